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
