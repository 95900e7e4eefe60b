import Testing

/// Tests that change the process environment or its file descriptors 3 and up, or that spawn
/// processes (which copy the environment). They run one at a time.
@Suite("Process environment", .serialized)
struct ProcessEnvironmentTests {}
