/// A pipeline as `ListPipelines` and `DescribePipeline` return it.
struct Pipeline: Decodable, Sendable {
    struct State: Decodable, Sendable {
        var name: String
        var title: String
        var initial: Bool
        var outcome: String?
        var slaDays: Int?
    }

    struct Transition: Decodable, Sendable {
        var event: String
        var from: [String]
        var to: String
    }

    var name: String
    var version: Int
    var title: String
    var states: [State]
    var transitions: [Transition]
}
