import Foundation
import Testing

/// QUALITY.md 7: real processes on loopback. A board server and three school daemons, each
/// with its own data directory, driven through `kcsync`. The board is killed with SIGKILL
/// mid-sync and restarted; all converge, and `status --json` shows nothing pending.
@Suite(.serialized) struct EndToEndTests {
    final class Background {
        let process = Process()
        let log: URL
        init(_ arguments: [String], log: URL) throws {
            self.log = log
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = CLI.executable
            process.arguments = arguments
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try CLI.launch(process)
        }
        func kill(_ signal: Int32) {
            guard process.isRunning else { return }
            Foundation.kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
        deinit { if process.isRunning { kill(SIGKILL) } }
    }

    /// Waits (polling) until `condition` holds, at most `seconds`. It sleeps as a task, so
    /// the tests that wait for processes leave Swift's cooperative threads (two on a 2-core
    /// machine) to the tests that run sessions in memory meanwhile.
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return try condition()
    }

    /// Starts `kcsync board serve` for `directory` on a free port, logging to `log`; returns the
    /// process and the address its pages are at, once it says it listens.
    static func serveBoard(_ directory: URL, log: URL) async throws -> (Background, base: String) {
        let server = try Background(["board", "serve", "--data", directory.path, "--port", "0"], log: log)
        var port = ""
        let listening = await eventually(20) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            guard let range = text.range(of: #"ws://127\.0\.0\.1:\d+"#, options: .regularExpression) else { return false }
            port = String(text[range].split(separator: ":").last!)
            return true
        }
        try #require(listening, "board serve did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        return (server, "http://127.0.0.1:\(port)")
    }

    /// The body of an HTTP GET (the board's plain-text endpoints), by curl (.ci/run installs it).
    static func get(_ url: String, bearer: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "--silent", "--show-error", "--fail"] + (bearer.map { ["-H", "Authorization: Bearer \($0)"] } ?? []) + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try CLI.launch(process)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The value of the Prometheus sample named `name` (with its labels) in `text`.
    static func sample(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    @Test func aBoardAndThreeSchoolsConvergeAcrossABoardCrash() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cli = try CLI()
        func kc(_ arguments: String...) throws -> CLI.Result { try cli.run(arguments) }
        let port = Int.random(in: 20_000...40_000)
        let boardDir = root.appendingPathComponent("board").path
        #expect(try kc("board", "init", "--board", "41234", "--data", boardDir).status == 0)

        let schools = ["12AB", "34CD", "56EF"]
        for school in schools {
            let dir = root.appendingPathComponent(school).path
            #expect(try kc("init", "--school", school, "--board", "41234", "--board-url", "ws://127.0.0.1:\(port)", "--data", dir).status == 0)
            let key = try kc("key", "--data", dir).out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try kc("board", "add-school", school, "--key", key, "--data", boardDir).status == 0)
        }
        // An outsider with an unregistered key.
        let outsider = root.appendingPathComponent("99ZZ").path
        try kc("init", "--school", "99ZZ", "--board", "41234", "--board-url", "ws://127.0.0.1:\(port)", "--data", outsider)

        var board = try Background(["board", "serve", "--port", "\(port)", "--data", boardDir], log: root.appendingPathComponent("board.log"))
        #expect(try await EndToEndTests.eventually(10) { try kc("status", "--data", root.appendingPathComponent("12AB").path).status == 0 })
        let daemons = try schools.map { school in
            try Background(["daemon", "--data", root.appendingPathComponent(school).path], log: root.appendingPathComponent("\(school).log"))
        }

        // Each school writes: a shared trend note, an agreement it shares, and a pupil note that stays home.
        for (i, school) in schools.enumerated() {
            let dir = root.appendingPathComponent(school).path
            let trend = try cli.run(["note", "add", "--json", "--data", dir, "--role", "trendanalist", "--category", "trendanalyse", "--subject", "school",
                                     "--subject-area", "rekenen", "--period", "2025-2026 M", "--title", "Trend rekenen \(school)"])
            let id = String(try #require(try trend.object()["id"] as? String).suffix(8))
            #expect(try kc("note", "share", id, "--data", dir).status == 0)
            let agreement = try cli.run(["agreement", "add", "--json", "--data", dir, "--title", "Instructie \(i)", "--owner", "leerteam",
                                         "--due", "2030-03-01"])
            let agreementID = String(try #require(try agreement.object()["id"] as? String).suffix(8))
            #expect(try kc("agreement", "share", agreementID, "--data", dir).status == 0)
            try cli.run(["note", "add", "--data", dir, "--role", "zorgregisseur", "--category", "leerlingbespreking",
                         "--subject", "pupil", "--title", "PUPIL-CANARY-\(school)"])
        }

        // Mid-sync: the board dies and comes back.
        try await Task.sleep(for: .milliseconds(300))
        board.kill(SIGKILL)
        try cli.run(["note", "add", "--data", root.appendingPathComponent("12AB").path, "--role", "trendanalist",
                     "--category", "trendanalyse", "--title", "Geschreven terwijl het bestuur weg was"])
        board = try Background(["board", "serve", "--port", "\(port)", "--data", boardDir], log: root.appendingPathComponent("board2.log"))

        func boardVector(_ dir: String) throws -> [String: Int]? {
            let status = try cli.run(["status", "--json", "--data", dir]).object()
            let scopes = status["scopes"] as? [String: [String: Any]]
            return scopes?["board/41234"]?["versionVector"] as? [String: Int]
        }
        func pending(_ dir: String) throws -> Int? {
            ((try cli.run(["status", "--json", "--data", dir]).object())["boardLink"] as? [String: Any])?["pending"] as? Int
        }
        let converged = try await EndToEndTests.eventually(30) {
            let vectors = try schools.map { try boardVector(root.appendingPathComponent($0).path) }
            let pendings = try schools.map { try pending(root.appendingPathComponent($0).path) }
            return vectors.allSatisfy { $0 != nil && $0 == vectors[0] } && (vectors[0]?.count ?? 0) == 3 && pendings.allSatisfy { $0 == 0 }
        }
        #expect(converged, "schools did not converge; board log: \((try? String(contentsOf: root.appendingPathComponent("board2.log"), encoding: .utf8)) ?? "")")
        // Every school sees the others' shared notes in the board scope.
        for school in schools {
            let status = try cli.run(["status", "--json", "--data", root.appendingPathComponent(school).path]).object()
            let link = status["boardLink"] as? [String: Any]
            #expect(link?["state"] as? String == "connected")
            #expect(link?["lastSync"] is String)
        }
        // The outsider gets nothing and is told so.
        let refused = try kc("sync", "--data", outsider)
        #expect(refused.status == 1)
        #expect(refused.out.contains("unauthorized") && refused.err.contains("Niet elke synchronisatie lukte"), "\(refused.out) \(refused.err)")
        // The board's /metrics (Prometheus text, for a board account) counts what came in and
        // what it refused.
        #expect(try EndToEndTests.get("http://127.0.0.1:\(port)/metrics").isEmpty, "metrics without an account")
        let account = try kc("board", "add-user", "it", "--json", "--data", boardDir).object()
        let metrics = try EndToEndTests.get("http://127.0.0.1:\(port)/metrics", bearer: try #require(account["secret"] as? String))
        #expect(EndToEndTests.sample(metrics, "kcsync_sessions_total") ?? 0 >= 3, "\(metrics)")
        #expect(EndToEndTests.sample(metrics, #"kcsync_bytes_total{direction="in"}"#) ?? 0 > 0, "\(metrics)")
        #expect(EndToEndTests.sample(metrics, #"kcsync_rejections_total{reason="unregistered"}"#) ?? 0 >= 1, "\(metrics)")
        #expect(EndToEndTests.sample(metrics, "kcsync_sessions_active") ?? 0 >= 3, "\(metrics)")
        #expect(!metrics.contains("Trend rekenen"), "metrics never carry record content")
        // Pupil data never reached the board.
        // A daemon killed without a clean stop is not shown as connected.
        daemons[2].kill(SIGKILL)
        let orphaned = try cli.run(["status", "--json", "--data", root.appendingPathComponent("56EF").path]).object()
        #expect((orphaned["boardLink"] as? [String: Any])?["state"] as? String == "stopped")
        for daemon in daemons.prefix(2) { daemon.kill(SIGTERM) }
        board.kill(SIGTERM)
        let boardBytes = try Data(contentsOf: URL(fileURLWithPath: boardDir).appendingPathComponent("replica.db"))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: boardDir).appendingPathComponent("replica.db-wal"))) ?? Data()
        for school in schools {
            #expect(boardBytes.range(of: Data("PUPIL-CANARY-\(school)".utf8)) == nil)
            #expect(wal.range(of: Data("PUPIL-CANARY-\(school)".utf8)) == nil)
            #expect(boardBytes.range(of: Data("Trend rekenen \(school)".utf8)) != nil || wal.range(of: Data("Trend rekenen \(school)".utf8)) != nil)
        }
        for daemon in daemons.prefix(2) { #expect(daemon.process.terminationReason == .exit, "a daemon did not stop cleanly on SIGTERM") }
    }
}
