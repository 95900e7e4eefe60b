import Foundation
import NIOPosix
import Synchronization
import Varlink

/// `org.example.test`: a small interface that echoes, counts, sleeps,
/// streams and fails on request, to drive a `VarlinkServer` in tests.
struct TestInterface: VarlinkInterface {
    let name = "org.example.test"
    let memory = Memory()

    let interfaceDescription = """
        # An interface for testing a Varlink server.
        interface org.example.test

        type Item (name: string, count: int)

        # Returns its input.
        method Echo(text: string, count: ?int, item: ?Item, items: ?[]Item) -> (
          text: string,
          count: ?int,
          item: ?Item,
          items: ?[]Item
        )

        # Takes only optional parameters.
        method Optional(flag: ?bool) -> (flag: ?bool)

        # Streams 1, 2, ... upTo; must be called with more.
        method Count(upTo: int) -> (value: int)

        # Replies after sleeping.
        method Sleep(milliseconds: int, tag: string) -> (tag: string)

        # Streams a tick every few milliseconds until cancelled.
        method Ticks() -> (tick: int)

        # Remembers a tag; meant for oneway calls.
        method Remember(tag: string) -> ()

        # The tags remembered so far.
        method Remembered() -> (tags: []string)

        # The caller's credentials.
        method WhoAmI() -> (uid: int, gid: int, pid: int)

        # Fails with Failed.
        method Fail(reason: string) -> ()

        # Throws an error that is not a Varlink error.
        method Crash() -> ()

        # Returns nothing at all.
        method Nothing() -> ()

        # Answered at once (as Echo is): whether on an event loop.
        method Where(tag: string) -> (tag: string, eventLoop: bool)

        # Started without a task, finished from another thread after the
        # delay: with its tag, or failing with Failed or with a crash.
        method Deferred(milliseconds: int, tag: string, outcome: ?string) -> (tag: string, eventLoop: bool)

        error Failed (reason: string)
        """

    final class Memory: Sendable {
        private let tags = Mutex<[String]>([])
        func remember(_ tag: String) { tags.withLock { $0.append(tag) } }
        var all: [String] { tags.withLock { $0 } }
    }

    struct Item: Codable, Sendable, Equatable {
        var name: String
        var count: Int
    }

    struct Echo: Codable, Sendable, Equatable {
        var text: String
        var count: Int?
        var item: Item?
        var items: [Item]?
    }

    struct Flag: Codable, Sendable, Equatable {
        var flag: Bool?
    }

    struct Value: Codable, Sendable, Equatable {
        var value: Int
    }

    struct UpTo: Codable, Sendable {
        var upTo: Int
    }

    struct Sleep: Codable, Sendable {
        var milliseconds: Int
        var tag: String
    }

    struct Tag: Codable, Sendable, Equatable {
        var tag: String
    }

    struct Deferral: Codable, Sendable {
        var milliseconds: Int
        var tag: String
        var outcome: String?
    }

    struct Place: Codable, Sendable, Equatable {
        var tag: String
        var eventLoop: Bool
    }

    struct Tick: Codable, Sendable {
        var tick: Int
    }

    struct Tags: Codable, Sendable {
        var tags: [String]
    }

    struct Credentials: Codable, Sendable {
        var uid: UInt32
        var gid: UInt32
        var pid: Int32
    }

    struct Reason: Codable, Sendable {
        var reason: String
    }

    struct Crashed: Error {}

    func answerAtOnce(_ call: VarlinkCall, peer: VarlinkPeer) -> VarlinkAnswer? {
        do {
            switch call.methodName {
            case "Echo":
                return .parameters(try call.decodeParameters(Echo.self))
            case "Where":
                let tag = try call.decodeParameters(Tag.self).tag
                return .parameters(Place(tag: tag, eventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil))
            default:
                return nil
            }
        } catch {
            return .error(error)
        }
    }

    func start(_ call: VarlinkCall, peer: VarlinkPeer, finish: VarlinkFinish) -> Bool {
        guard call.methodName == "Deferred" else { return false }
        let deferral: Deferral
        do {
            deferral = try call.decodeParameters(Deferral.self)
        } catch {
            finish { throw error }
            return true
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(deferral.milliseconds)) {
            finish {
                switch deferral.outcome {
                case "fail": throw VarlinkError(name: "org.example.test.Failed", parameters: ["reason": "deferred"])
                case "crash": throw Crashed()
                default:
                    return .parameters(
                        Place(tag: deferral.tag, eventLoop: MultiThreadedEventLoopGroup.currentEventLoop != nil))
                }
            }
        }
        return true
    }

    func handle(_ call: VarlinkCall, peer: VarlinkPeer, replies: VarlinkReplyWriter) async throws {
        switch call.methodName {
        case "Deferred":
            // Behind other calls: the same, from a task.
            let deferral = try call.decodeParameters(Deferral.self)
            try await Task.sleep(for: .milliseconds(deferral.milliseconds))
            switch deferral.outcome {
            case "fail": throw VarlinkError(name: "org.example.test.Failed", parameters: ["reason": "deferred"])
            case "crash": throw Crashed()
            default: try await replies.send(Place(tag: deferral.tag, eventLoop: false))
            }
        case "Optional":
            try await replies.send(call.decodeParameters(Flag.self))
        case "Count":
            let upTo = try call.decodeParameters(UpTo.self).upTo
            guard call.more else { throw VarlinkError.expectedMore }
            for value in 1...max(1, upTo) {
                try await replies.send(Value(value: value), continues: value < upTo)
            }
        case "Sleep":
            let sleep = try call.decodeParameters(Sleep.self)
            memory.remember("sleeping:\(sleep.tag)")
            try await Task.sleep(for: .milliseconds(sleep.milliseconds))
            try await replies.send(Tag(tag: sleep.tag))
        case "Ticks":
            guard call.more else { throw VarlinkError.expectedMore }
            var tick = 0
            while true {
                tick += 1
                try await replies.send(Tick(tick: tick), continues: true)
                try await Task.sleep(for: .milliseconds(5))
            }
        case "Remember":
            memory.remember(try call.decodeParameters(Tag.self).tag)
        case "Remembered":
            try await replies.send(Tags(tags: memory.all))
        case "WhoAmI":
            try await replies.send(Credentials(uid: peer.uid, gid: peer.gid, pid: peer.pid))
        case "Fail":
            let reason = try call.decodeParameters(Reason.self).reason
            throw VarlinkError(name: "org.example.test.Failed", parameters: ["reason": .string(reason)])
        case "Crash":
            throw Crashed()
        case "Nothing":
            return
        default:
            throw VarlinkError.methodNotFound(call.method)
        }
    }
}
