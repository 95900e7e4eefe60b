import Foundation
import Synchronization

/// What a caller may do. Each role may do everything the roles below it may.
public enum Role: Int, Sendable, Comparable, CustomStringConvertible {
    case none = 0
    case reader = 1
    case `operator` = 2
    case admin = 3

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .none: "none"
        case .reader: "reader"
        case .operator: "operator"
        case .admin: "admin"
        }
    }
}

/// A caller as the kernel vouches for it: the peer credentials of its
/// connection, with the names and groups they stand for.
public struct Identity: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    /// The user's name, or `uid:N` for a uid without one. Recorded as the actor of every change.
    public var name: String
    public var groupIDs: Set<UInt32>
    public var groupNames: Set<String>

    public init(uid: UInt32, gid: UInt32, name: String, groupIDs: Set<UInt32>, groupNames: Set<String>) {
        self.uid = uid
        self.gid = gid
        self.name = name
        self.groupIDs = groupIDs
        self.groupNames = groupNames
    }

    /// Looks up the user and every group it belongs to in the system's databases.
    public static func resolve(uid: UInt32, gid: UInt32) -> Identity {
        var name = "uid:\(uid)"
        var groupIDs: Set<UInt32> = [gid]
        var buffer = [CChar](repeating: 0, count: 16_384)
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        if getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, let result, let userName = result.pointee.pw_name {
            name = String(cString: userName)
            var count: Int32 = 64
            var groups = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(userName, gid, &groups, &count) == -1 {
                groups = [gid_t](repeating: 0, count: Int(count))
                _ = getgrouplist(userName, gid, &groups, &count)
            }
            for group in groups.prefix(Int(max(0, count))) { groupIDs.insert(group) }
        }
        var groupNames: Set<String> = []
        for group in groupIDs {
            var groupEntry = group_()
            var groupResult: UnsafeMutablePointer<group_>?
            if getgrgid_r(group, &groupEntry, &buffer, buffer.count, &groupResult) == 0, let groupResult,
                let groupName = groupResult.pointee.gr_name
            {
                groupNames.insert(String(cString: groupName))
            }
        }
        return Identity(uid: uid, gid: gid, name: name, groupIDs: groupIDs, groupNames: groupNames)
    }
}

typealias group_ = group

/// The configured mapping of users and groups to roles. root is admin.
public struct AccessPolicy: Sendable, Equatable {
    public var access: DaemonConfiguration.Access

    public init(_ access: DaemonConfiguration.Access) { self.access = access }

    public func role(of identity: Identity) -> Role {
        if identity.uid == 0 { return .admin }
        if matches(access.admin, identity) { return .admin }
        if matches(access.operator, identity) { return .operator }
        if matches(access.reader, identity) { return .reader }
        return .none
    }

    private func matches(_ members: DaemonConfiguration.Members, _ identity: Identity) -> Bool {
        members.users.contains { $0 == identity.name || UInt32($0) == identity.uid }
            || members.groups.contains { group in
                identity.groupNames.contains(group) || UInt32(group).map { identity.groupIDs.contains($0) } ?? false
            }
    }
}

/// Resolved identities, kept for a minute so a busy client does not cost a
/// passwd lookup per call.
final class IdentityCache: Sendable {
    private struct Entry {
        var identity: Identity
        var resolvedAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[UInt64: Entry]>([:])

    func identity(uid: UInt32, gid: UInt32) -> Identity {
        let key = UInt64(uid) << 32 | UInt64(gid)
        let now = ContinuousClock.now
        if let entry = entries.withLock({ $0[key] }), now - entry.resolvedAt < .seconds(60) { return entry.identity }
        let identity = Identity.resolve(uid: uid, gid: gid)
        entries.withLock { entries in
            if entries.count > 4096 { entries = [:] }
            entries[key] = Entry(identity: identity, resolvedAt: now)
        }
        return identity
    }

    func clear() { entries.withLock { $0 = [:] } }
}
