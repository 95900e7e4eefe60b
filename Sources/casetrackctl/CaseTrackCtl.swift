import ArgumentParser

/// casetrackctl: the control CLI of casetrackd.
@main
struct CaseTrackCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "casetrackctl",
        abstract: "Drive casetrackd: pipelines, cohorts, cases and their transitions.",
        discussion: """
            casetrackctl talks to casetrackd over its Varlink socket (--socket, else \
            $CASETRACK_SOCKET, else /run/casetrack/io.casetrack.Tracker). Every command prints \
            a readable table, or the daemon's reply as JSON with --json. Every change is sent \
            with a fresh requestId, so a retried call is applied once: a UUID of version 7, \
            which begins with the time and so is cheap for the store to record. A client of \
            your own may send any id up to 128 characters; time-ordered ones are the fast kind.

            Exit codes:
              0   success
              1   casetrackd answered with an error, or verify found a problem
              64  usage error: a bad option, argument or value
              65  bad input data: an import file with bad rows (nothing sent)
              69  casetrackd unreachable: no socket, not listening, no permission
            """,
        subcommands: [
            StatusCommand.self,
            PipelinesCommand.self, PipelineCommand.self,
            CohortsCommand.self, CohortCommand.self,
            IntakeCommand.self, MoveCommand.self,
            CaseCommand.self, TransitionCommand.self, CasesCommand.self,
            HistoryCommand.self, WatchCommand.self,
            ImportCommand.self, ExportCommand.self,
            VerifyCommand.self, BackupCommand.self, PurgeCommand.self, DigestCommand.self, DigestsCommand.self, ReloadCommand.self,
            CallCommand.self,
        ])

    /// Accepts the global options before the command too (`casetrackctl --json status`)
    /// by moving them after it, where every command declares them.
    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var leading: [String] = []
        while let first = arguments.first {
            if first == "--json" || first.hasPrefix("--socket=") {
                leading.append(arguments.removeFirst())
            } else if first == "--socket", arguments.count >= 2 {
                leading += arguments.prefix(2)
                arguments.removeFirst(2)
            } else {
                break
            }
        }
        guard !leading.isEmpty else {
            await main(nil)
            return
        }
        if let terminator = arguments.firstIndex(of: "--") {
            arguments.insert(contentsOf: leading, at: terminator)
        } else {
            arguments += leading
        }
        await main(arguments)
    }
}
