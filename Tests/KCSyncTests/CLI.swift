import Foundation
import SyncTestKit
import Testing

/// Runs the real `kcsync` executable against a data directory of its own.
final class CLI {
    let home: URL

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-cli-\(UUID().uuidString)")
    }

    deinit { try? FileManager.default.removeItem(at: home) }

    /// Starts `process` (see SyncTestKit's ``ProcessLauncher``).
    static func launch(_ process: Process) throws { try ProcessLauncher.launch(process) }

    static var executable: URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug"),
        ]
        for dir in candidates {
            let url = dir.appendingPathComponent("kcsync")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[2].appendingPathComponent("kcsync")
    }

    struct Result {
        var status: Int32
        var out: String
        var err: String

        /// The standard output parsed as JSON.
        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(out.utf8)) }
        func object() throws -> [String: Any] { try #require(try json() as? [String: Any], "not a JSON object: \(out)") }
        func array() throws -> [[String: Any]] { try #require(try json() as? [[String: Any]], "not a JSON array: \(out)") }
    }

    /// Runs `kcsync ARGS` with KCSYNC_HOME set to this CLI's home (unless `--data` is given).
    @discardableResult
    func run(_ arguments: String...) throws -> Result {
        try run(arguments)
    }

    @discardableResult
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["KCSYNC_HOME"] = home.path
        environment["KCSYNC_AUTHOR"] = "Anne de Vries"
        for (k, v) in extra { environment[k] = v }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try CLI.launch(process)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                      err: String(decoding: errData, as: UTF8.self))
    }

    /// `status --json`'s state hash.
    func stateHash() throws -> String {
        try #require(try run("status", "--json").object()["stateHash"] as? String)
    }

    /// Adds a note and returns its id.
    func addNote(_ extra: String...) throws -> String {
        let result = try run(["note", "add", "--json", "--role", "trendanalist", "--category", "trendanalyse", "--subject", "school"] + extra)
        #expect(result.status == 0, "\(result.err)")
        return try #require(try result.object()["id"] as? String)
    }
}
