public import CaseTrackCore
import Foundation

/// The written digests: `<stateDirectory>/digests/<UTC time>.{json,md,html}`
/// (mode 0640, in a 0750 directory), `latest.*` symbolic links to the
/// newest, and pruning after the retention.
public struct DigestArchive: Sendable {
    public static let formats: [DigestFormat] = [.json, .md, .html]

    /// One written digest.
    public struct Entry: Sendable, Hashable, Codable {
        /// The file name without extension, e.g. `20261129T060000Z`.
        public var name: String
        public var time: Timestamp
        public var formats: [String]
        public var bytes: Int
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
            }
        }
    }

    public let directory: String

    public init(stateDirectory: String) {
        directory = (stateDirectory as NSString).appendingPathComponent("digests")
    }

    /// `20261129T060000Z`: sortable, and free of characters shells and URLs dislike.
    public static func name(for time: Timestamp) -> String {
        let text = time.rfc3339
        return String(text.prefix(19)).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
            + "Z"
    }

    static func time(fromName name: String) -> Timestamp? {
        let bytes = Array(name.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        let digits = String(decoding: bytes, as: UTF8.self)
        func part(_ from: Int, _ length: Int) -> Substring {
            digits.dropFirst(from).prefix(length)
        }
        return Timestamp(
            rfc3339: "\(part(0, 4))-\(part(4, 2))-\(part(6, 2))T\(part(9, 2)):\(part(11, 2)):\(part(13, 2))Z")
    }

    /// Writes the digest in every format, then points `latest.*` at it.
    /// Returns the paths written.
    @discardableResult
    public func write(_ digest: Digest) throws -> [String] {
        try makeDirectory()
        let name = Self.name(for: digest.generatedAt)
        var paths: [String] = []
        for format in Self.formats {
            let file = "\(name).\(format.rawValue)"
            let path = (directory as NSString).appendingPathComponent(file)
            try writeFile(path, contents: format.render(digest))
            try link(latest: "latest.\(format.rawValue)", to: file)
            paths.append(path)
        }
        return paths
    }

    /// Deletes digests written before `cutoff`; never the newest.
    @discardableResult
    public func prune(before cutoff: Timestamp) -> [String] {
        let entries = list()
        var removed: [String] = []
        for entry in entries.dropFirst() where entry.time < cutoff {
            for format in entry.formats {
                let path = (directory as NSString).appendingPathComponent("\(entry.name).\(format)")
                if unlink(path) == 0 { removed.append(path) }
            }
        }
        return removed
    }

    /// The written digests, newest first.
    public func list() -> [Entry] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var entries: [String: Entry] = [:]
        for file in files {
            let name = (file as NSString).deletingPathExtension
            let format = (file as NSString).pathExtension
            guard Self.formats.contains(where: { $0.rawValue == format }), let time = Self.time(fromName: name) else {
                continue
            }
            var info = stat()
            let bytes = lstat((directory as NSString).appendingPathComponent(file), &info) == 0 ? Int(info.st_size) : 0
            entries[name, default: Entry(name: name, time: time, formats: [], bytes: 0)].formats.append(format)
            entries[name]?.bytes += bytes
        }
        return entries.values.map { entry in
            var entry = entry
            entry.formats.sort()
            return entry
        }.sorted { $0.time > $1.time }
    }

    private func makeDirectory() throws {
        if mkdir(directory, 0o750) == 0 {
            // The daemon's umask (077) would otherwise keep the group out.
            chmod(directory, 0o750)
        } else if errno != EEXIST {
            throw Failure.cannotWrite(path: directory, reason: String(cString: strerror(errno)))
        }
    }

    /// Writes through a temporary file and a rename, so a reader never sees half a digest.
    private func writeFile(_ path: String, contents: String) throws {
        let temporary = path + ".partial"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw Failure.cannotWrite(path: temporary, reason: String(cString: strerror(errno))) }
        // The daemon's umask (077) would otherwise take the group's read bit.
        fchmod(fd, 0o640)
        var bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw Failure.cannotWrite(path: path, reason: reason)
            }
            offset += written
        }
        fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure.cannotWrite(path: path, reason: reason)
        }
        bytes.removeAll()
    }

    private func link(latest: String, to target: String) throws {
        let path = (directory as NSString).appendingPathComponent(latest)
        let temporary = path + ".partial"
        unlink(temporary)
        guard symlink(target, temporary) == 0, rename(temporary, path) == 0 else {
            throw Failure.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
    }
}
