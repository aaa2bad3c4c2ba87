public import Foundation

/// Starts child processes for the tests, one at a time.
///
/// Foundation's `Process.run()` on Linux (Swift 6.3.1) lists `/proc/self/fd` to close every
/// descriptor in the child, and copies each entry's whole 256-byte name field: when the
/// listing fills glibc's 32 KiB directory buffer (about 1,350 open descriptors) the copy can
/// run past its end and the test process crashes in a memcpy (fixed upstream in
/// swift-corelibs-foundation pull request 5472). The tests once held 4,500 descriptors, 200
/// seeds of on-disk replicas running at once; the seeded suites now run their cases one
/// after another (at most about 220 open), and a launch with too many open refuses with
/// this explanation instead of crashing at random.
public enum ProcessLauncher {
    private static let launching = NSLock()

    /// The most descriptors open when a process is started (well under the ~1,350 that fill
    /// the buffer).
    public static let descriptorLimit = 1_000

    public struct TooManyDescriptors: Error, CustomStringConvertible {
        public let open: Int
        public var description: String {
            "\(open) descriptors are open: Foundation's Process.run may crash above about 1,350 (see ProcessLauncher); close or serialize what holds them"
        }
    }

    /// Starts `process` (as `process.run()`), holding the launch lock.
    public static func launch(_ process: Process) throws {
        launching.lock()
        defer { launching.unlock() }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        guard open <= descriptorLimit else { throw TooManyDescriptors(open: open) }
        try process.run()
    }
}
