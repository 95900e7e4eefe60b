/// The fixed journal MESSAGE_IDs of casetrackd's notable events.
///
/// `Packaging/casetrack.catalog` explains each to `journalctl -x`; an id is
/// never changed once shipped.
public enum MessageID: String, Sendable, CaseIterable {
    case startup = "2f7be1d777994d22b50f49e1bf87ff57"
    case ready = "e9cea819491b44c597424116fe05b5a1"
    case reload = "60bd2f8f39484ef2a305013a9041931d"
    case reloadFailed = "7411109528db476ba5e25ce689734649"
    case shutdown = "4548c311225947cab49cdce947883108"
    case transition = "bc24a9eadd2d4d4e841ce28bf204630a"
    case move = "47b2d5e834f04ee68748b0cf07ce43a5"
    case intake = "b161d940c13a4ead8e4ddaa0504f1aa5"
    case caseAdded = "c5bc609fe1594c13b5b7c603fa0b3d91"
    case cohortCreated = "a0475f1659e34945b6eeb3a29ff03213"
    case importCases = "509115fff188448fa881870f7f0d03ff"
    case digest = "499ff81153c140f3a6f96c74ea613dcf"
    case permissionDenied = "cef1b2c7717e4e01b3a36fa348e4439e"
    case storeError = "3d2b1c65dba140a9933ad2fd9d73995d"
}
