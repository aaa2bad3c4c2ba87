public import Foundation

/// Starts child processes one at a time for every test in the process: Foundation's
/// `Process.run()` crashed (in a memcpy) when tests running in parallel launched processes at
/// the same moment.
public enum ProcessLauncher {
    private static let launching = NSLock()

    /// Starts `process` (as `process.run()`), holding the launch lock.
    public static func launch(_ process: Process) throws {
        launching.lock()
        defer { launching.unlock() }
        try process.run()
    }
}
