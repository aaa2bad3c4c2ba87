import Foundation
import GRDB
import KCReplica
import SyncCore
import SyncStore
import Testing

/// The trust model with real processes on loopback, as IT would set it up from the README: a
/// board, a school's desktop with a laptop admitted only with `kcsync peer add` at the
/// desktop, and a second school. The laptop's note (shared, then edited) reaches the other
/// school; an erasure written at the desktop afterwards reaches every replica; the board's
/// `status` shows its schools; removing a school closes its open session.
@Suite(.serialized) struct TrustEndToEndTests {
    typealias Background = EndToEndTests.Background

    @Test func aLaptopAdmittedWithPeerAddOnlyReachesEverySchoolAndAnErasureFollows() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-trust-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cli = try CLI()
        @discardableResult func kc(_ arguments: String...) throws -> CLI.Result {
            let result = try cli.run(arguments)
            #expect(result.status == 0, "kcsync \(arguments.joined(separator: " ")): \(result.err)")
            return result
        }
        let port = Int.random(in: 20_000...30_000), peerPort = port + 1
        let boardDir = root.appendingPathComponent("board").path
        let desktop = root.appendingPathComponent("12AB").path, laptop = root.appendingPathComponent("laptop").path
        let other = root.appendingPathComponent("34CD").path
        try kc("board", "init", "--board", "41234", "--data", boardDir)
        let boardKey = try kc("board", "key", "--data", boardDir).out.trimmingCharacters(in: .whitespacesAndNewlines)
        for (dir, school) in [(desktop, "12AB"), (other, "34CD")] {
            try kc("init", "--school", school, "--board", "41234", "--board-url", "ws://127.0.0.1:\(port)", "--board-key", boardKey, "--data", dir)
            try kc("board", "add-school", school, "--key", try kc("key", "--data", dir).out.trimmingCharacters(in: .whitespacesAndNewlines), "--data", boardDir)
        }
        // The laptop: a replica of 12AB the board never heard of.
        try kc("init", "--school", "12AB", "--board", "41234", "--board-url", "ws://127.0.0.1:\(port)", "--data", laptop)
        let laptopKey = try kc("key", "--data", laptop).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let desktopKey = try kc("key", "--data", desktop).out.trimmingCharacters(in: .whitespacesAndNewlines)
        try kc("peer", "add", "--key", laptopKey, "--data", desktop)
        try kc("peer", "add", "ws://127.0.0.1:\(peerPort)", "--key", desktopKey, "--data", laptop)
        // Cleartext to another machine is refused.
        let cleartext = try cli.run(["config", "board-url", "ws://192.0.2.7:8450", "--data", laptop])
        #expect(cleartext.status != 0 && cleartext.err.contains("wss://"), "\(cleartext.err)")

        let board = try Background(["board", "serve", "--port", "\(port)", "--data", boardDir], log: root.appendingPathComponent("board.log"))
        let daemons = try [
            Background(["daemon", "--listen", "127.0.0.1:\(peerPort)", "--data", desktop], log: root.appendingPathComponent("desktop.log")),
            Background(["daemon", "--data", laptop], log: root.appendingPathComponent("laptop.log")),
            Background(["daemon", "--data", other], log: root.appendingPathComponent("34CD.log")),
        ]
        defer { for daemon in daemons { daemon.kill(SIGTERM) }; board.kill(SIGTERM) }
        func titles(_ dir: String) throws -> [String] {
            let url = URL(fileURLWithPath: dir)
            let store = dir == boardDir ? try BoardReplica.open(directory: url).store : try KCReplica.open(directory: url).store
            return try store.read { db in
                try String.fetchAll(db, sql: "SELECT title FROM record_note WHERE scope = (SELECT id FROM scope WHERE name = 'board/41234') ORDER BY title")
            }
        }

        // The laptop shares a note and edits it.
        let added = try kc("note", "add", "--json", "--data", laptop, "--role", "trendanalist", "--category", "trendanalyse", "--subject", "school",
                           "--subject-area", "rekenen", "--period", "2025-2026 M", "--title", "Van de laptop")
        let id = String(try #require(try added.object()["id"] as? String).suffix(8))
        try kc("note", "share", id, "--data", laptop)
        try kc("note", "edit", id, "--title", "Van de laptop, bijgewerkt", "--data", laptop)
        let arrived = try await EndToEndTests.eventually(45) { try titles(other) == ["Van de laptop, bijgewerkt"] }
        #expect(arrived, "34CD: \((try? titles(other)) ?? []), board: \((try? titles(boardDir)) ?? []); logs: \(["board", "desktop", "laptop", "34CD"].map { (try? String(contentsOf: root.appendingPathComponent("\($0).log"), encoding: .utf8)) ?? "" })")
        #expect(try titles(boardDir) == ["Van de laptop, bijgewerkt"])

        // The desktop erases the note (it holds the laptop's school record): gone everywhere.
        #expect(try await EndToEndTests.eventually(15) { try kc("note", "list", "--data", desktop).out.contains("Van de laptop") })
        try kc("erase", id, "--reason", "verzoek ouders", "--data", desktop)
        let erased = try await EndToEndTests.eventually(30) {
            try [boardDir, other, laptop].allSatisfy { try titles($0).isEmpty }
        }
        #expect(erased)
        for dir in [boardDir, other] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("replica.db"))
            let wal = (try? Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent("replica.db-wal"))) ?? Data()
            #expect(bytes.range(of: Data("Van de laptop".utf8)) == nil && wal.range(of: Data("Van de laptop".utf8)) == nil)
        }

        // The board's own status: its key, both schools (12AB with the laptop), nothing refused.
        let status = try kc("status", "--json", "--data", boardDir).object()
        #expect(status["boardKey"] as? String == boardKey)
        let schools = try #require(status["schools"] as? [[String: Any]])
        #expect(schools.map { $0["school"] as? String } == ["12AB", "34CD"])
        #expect((schools.first?["keys"] as? [String])?.count == 2, "the desktop and the laptop it admitted")
        #expect((status["refused"] as? [Any])?.isEmpty == true)
        #expect(try kc("status", "--data", boardDir).out.contains("School 34CD"))
        #expect(try kc("status", "--json", "--data", other).object()["refused"] is [Any])

        // Removing 34CD closes its open session at once; the school's status says so.
        try kc("board", "remove-school", "34CD", "--data", boardDir)
        let closed = try await EndToEndTests.eventually(15) {
            let link = try kc("status", "--json", "--data", other).object()["boardLink"] as? [String: Any]
            return (link?["lastError"] as? String)?.contains("unauthorized") == true
        }
        #expect(closed, "34CD log: \((try? String(contentsOf: root.appendingPathComponent("34CD.log"), encoding: .utf8)) ?? "")")
    }
}
