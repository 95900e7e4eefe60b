import Foundation

/// Creation and checks of files that hold data about people at risk.
enum FileSafety {
    /// Creates the store's directory (0700) and file (0600) if missing, and
    /// refuses a store file that others may read.
    static func prepareStoreFile(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        var info = stat()
        if stat(path, &info) == 0 {
            let mode = UInt32(info.st_mode) & 0o777
            guard mode & 0o007 == 0 else { throw StoreError.unsafePermissions(path: path, mode: mode) }
        } else {
            try createPrivateFile(path)
        }
    }

    /// Takes the store's single-writer lock (`<store>.lock`, flock), held
    /// until the returned descriptor is closed: the writer keeps the sequence
    /// in memory, so a second daemon on the same store must not start.
    static func lockStore(_ path: String) throws -> Int32 {
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw StoreError.unavailable("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw StoreError.locked(path: path, holder: holder.flatMap { $0.isEmpty ? nil : $0 })
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return fd
    }

    /// Creates (or truncates) `path` with mode 0600, whatever the umask.
    static func createPrivateFile(_ path: String) throws {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw StoreError.unavailable("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else {
            throw StoreError.unavailable("cannot chmod \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.unavailable("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StoreError.unavailable("fsync \(path): \(String(cString: strerror(errno)))") }
    }
}
