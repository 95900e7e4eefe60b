import CSystemd
import Glibc

/// Sockets passed by systemd socket activation (`sd_listen_fds_with_names(3)`).
public enum ListenFDs {
    /// One passed file descriptor and its `FileDescriptorName=`.
    public struct Descriptor: Sendable, Equatable {
        public let fd: CInt
        /// The name systemd gave it: `FileDescriptorName=`, else the socket unit's name
        /// (`casetrackd.socket`), or `unknown` when `$LISTEN_FDNAMES` is unset.
        public let name: String

        public init(fd: CInt, name: String) {
            self.fd = fd
            self.name = name
        }
    }

    /// All descriptors passed to this process, in order (from fd 3).
    ///
    /// Consumes `$LISTEN_PID`, `$LISTEN_FDS` and `$LISTEN_FDNAMES`, so a second call, or a
    /// child process, sees none. The descriptors have close-on-exec set. Returns `[]` when
    /// nothing was passed or the variables are not for this process.
    public static func takeAll() -> [Descriptor] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        defer {
            if let names {
                var index = 0
                while let name = names[index] {
                    free(name)
                    index += 1
                }
                free(names)
            }
        }
        guard count > 0 else { return [] }
        return (0..<Int(count)).map { index in
            let name = names.flatMap { $0[index] }.map { String(cString: $0) } ?? "unknown"
            return Descriptor(fd: SD_LISTEN_FDS_START + CInt(index), name: name)
        }
    }

    /// The passed socket for `name`, or `nil` when there is none (bind it yourself then).
    ///
    /// Takes everything passed (see ``takeAll()``), picks with ``select(named:from:)`` and
    /// closes the descriptors not picked; use ``takeAll()`` to keep several.
    public static func take(named name: String) -> CInt? {
        let descriptors = takeAll()
        let chosen = select(named: name, from: descriptors)
        for descriptor in descriptors where descriptor != chosen {
            close(descriptor.fd)
        }
        return chosen?.fd
    }

    /// The descriptor named `name`; failing that, the only descriptor if its name is not a
    /// deliberate other one (it is `unknown`, empty, or a socket unit's default `*.socket`).
    public static func select(named name: String, from descriptors: [Descriptor]) -> Descriptor? {
        if let match = descriptors.first(where: { $0.name == name }) {
            return match
        }
        if descriptors.count == 1, let only = descriptors.first,
            only.name == "unknown" || only.name.isEmpty || only.name.hasSuffix(".socket")
        {
            return only
        }
        return nil
    }
}
