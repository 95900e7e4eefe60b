import Foundation

@testable import Systemd

/// Collects the lines a handler writes instead of sending them to standard error.
final class LineCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    var lines: [String] {
        lock.withLock { storage }
    }

    var output: LineOutput {
        LineOutput { line in
            self.lock.withLock { self.storage.append(line) }
        }
    }
}
