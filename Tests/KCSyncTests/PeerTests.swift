import Foundation
import Testing

/// Peers (issue 4): replicas of one school sync directly, with the board away; a replica of
/// another school is refused; the CLI reaches a running daemon over its control socket.
@Suite(.serialized) struct PeerTests {
    typealias Background = EndToEndTests.Background

    @Test func aLaptopSyncsWithItsSchoolWhileTheBoardIsAway() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-peer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cli = try CLI()
        func kc(_ arguments: String...) throws -> CLI.Result { try cli.run(arguments) }
        let boardPort = Int.random(in: 20_000...30_000)
        let peerPort = Int.random(in: 30_001...40_000)
        let boardDir = root.appendingPathComponent("board").path
        let desk = root.appendingPathComponent("desk").path
        let laptop = root.appendingPathComponent("laptop").path
        let other = root.appendingPathComponent("34CD").path
        try kc("board", "init", "--board", "41234", "--data", boardDir)
        for (dir, school) in [(desk, "12AB"), (other, "34CD")] {
            #expect(try kc("init", "--school", school, "--board", "41234", "--board-url", "ws://127.0.0.1:\(boardPort)", "--data", dir).status == 0)
            #expect(try kc("board", "add-school", school, "--key", try kc("key", "--data", dir).out.trimmed, "--data", boardDir).status == 0)
        }
        #expect(try kc("init", "--school", "12AB", "--board", "41234", "--data", laptop).status == 0)
        let deskKey = try kc("key", "--data", desk).out.trimmed
        let laptopKey = try kc("key", "--data", laptop).out.trimmed
        let otherKey = try kc("key", "--data", other).out.trimmed

        // Registration goes both ways; a bad key or address is refused in Dutch.
        #expect(try kc("peer", "add", "ws://127.0.0.1:\(peerPort)", "--key", "abc", "--data", laptop).err.contains("64 hexadecimale"))
        #expect(try kc("peer", "add", "http://127.0.0.1:\(peerPort)", "--key", deskKey, "--data", laptop).status == 1)
        #expect(try kc("peer", "add", "ws://127.0.0.1:\(peerPort)", "--key", deskKey, "--data", laptop).status == 0)
        #expect(try kc("peer", "add", "--key", laptopKey, "--data", desk).status == 0)
        // By mistake, the desk also registers a replica of another school: it is still refused.
        #expect(try kc("peer", "add", "--key", otherKey, "--data", desk).status == 0)

        let board = try Background(["board", "serve", "--port", "\(boardPort)", "--data", boardDir], log: root.appendingPathComponent("board.log"))
        let deskDaemon = try Background(["daemon", "--listen", "127.0.0.1:\(peerPort)", "--data", desk], log: root.appendingPathComponent("desk.log"))
        defer { deskDaemon.kill(SIGTERM) }
        #expect(await EndToEndTests.eventually(10) { FileManager.default.fileExists(atPath: desk + "/control.sock") })

        // The other school shares a trend note; the desk has it from the board.
        let shared = try cli.run(["note", "add", "--json", "--data", other, "--role", "trendanalist", "--category", "trendanalyse", "--subject", "school",
                                  "--title", "Trend van 34CD"])
        #expect(try kc("note", "share", String(try #require(try shared.object()["id"] as? String).suffix(8)), "--data", other).status == 0)
        #expect(try kc("sync", "--data", other).status == 0)
        func boardVector(_ dir: String) throws -> [String: Int] {
            let scopes = try cli.run(["status", "--json", "--data", dir]).object()["scopes"] as? [String: [String: Any]]
            return scopes?["board/41234"]?["versionVector"] as? [String: Int] ?? [:]
        }
        #expect(try await EndToEndTests.eventually(15) { try boardVector(desk) == boardVector(other) && !boardVector(other).isEmpty })

        // The desk writes school notes (one about a pupil); then the board goes away.
        try cli.run(["note", "add", "--data", desk, "--role", "zorgregisseur", "--category", "leerlingbespreking", "--subject", "pupil",
                     "--title", "Bespreking groep 5"])
        #expect(try cli.run(["note", "add", "--data", desk, "--role", "leercoordinator", "--category", "observatie", "--title", "Klassenbezoek"]).status == 0)
        board.kill(SIGKILL)

        // The laptop syncs with the desk directly: school notes and the board's shared note.
        let sync = try kc("sync", "--json", "--data", laptop)
        #expect(sync.status == 0, "\(sync.err)")
        let titles = Set(try cli.run(["note", "list", "--json", "--data", laptop]).array().compactMap { $0["title"] as? String })
        #expect(titles.isSuperset(of: ["Bespreking groep 5", "Klassenbezoek"]))
        #expect(try boardVector(laptop) == boardVector(other))

        // Live: with its daemon running, the laptop's write reaches the desk, and back.
        let laptopDaemon = try Background(["daemon", "--data", laptop], log: root.appendingPathComponent("laptop.log"))
        defer { laptopDaemon.kill(SIGTERM) }
        #expect(try cli.run(["note", "add", "--data", laptop, "--role", "leercoordinator", "--category", "observatie", "--title", "Vanaf de laptop"]).status == 0)
        func logs() -> String {
            ["desk", "laptop"].map { name in
                "\(name).log: " + ((try? String(contentsOf: root.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? "").suffix(3000)
            }.joined(separator: "\n")
        }
        #expect(try await EndToEndTests.eventually(15) {
            try cli.run(["note", "list", "--json", "--data", desk]).array().contains { $0["title"] as? String == "Vanaf de laptop" }
        }, "\(logs())")
        #expect(try cli.run(["note", "add", "--data", desk, "--role", "leercoordinator", "--category", "observatie", "--title", "Vanaf het bureau"]).status == 0)
        #expect(try await EndToEndTests.eventually(15) {
            try cli.run(["note", "list", "--json", "--data", laptop]).array().contains { $0["title"] as? String == "Vanaf het bureau" }
        }, "\(logs())")

        // Status shows the peer link on both sides, read live from the daemons.
        let laptopPeers = try #require(try cli.run(["status", "--json", "--data", laptop]).object()["peers"] as? [[String: Any]])
        #expect(laptopPeers.count == 1)
        #expect(laptopPeers.first?["state"] as? String == "connected")
        #expect(laptopPeers.first?["lastSync"] is String)
        let deskPeers = try #require(try cli.run(["status", "--json", "--data", desk]).object()["peers"] as? [[String: Any]])
        #expect(deskPeers.contains { $0["publicKey"] as? String == laptopKey && $0["state"] as? String == "connected" })

        // The control socket is the owner's only.
        let attributes = try FileManager.default.attributesOfItem(atPath: desk + "/control.sock")
        #expect((attributes[.posixPermissions] as? Int ?? 0) & 0o077 == 0)
        // `kcsync sync` with the daemon up goes through it and reports the links.
        let viaDaemon = try kc("sync", "--json", "--data", laptop)
        #expect(viaDaemon.status == 0, "\(viaDaemon.err)")
        #expect((try viaDaemon.object()["links"] as? [[String: Any]])?.count == 1)

        // A replica of another school is refused, even with its key registered, and gets nothing.
        #expect(try kc("peer", "add", "ws://127.0.0.1:\(peerPort)", "--key", deskKey, "--data", other).status == 0)
        let refused = try kc("sync", "--json", "--data", other)
        #expect(refused.status == 1)
        let peerLink = try #require((try refused.object()["links"] as? [[String: Any]])?.first { ($0["link"] as? String)?.hasPrefix("peer") == true })
        #expect((peerLink["error"] as? String)?.contains("unauthorized") == true, "\(peerLink)")
        #expect(!(try cli.run(["note", "list", "--json", "--data", other]).array().contains { $0["title"] as? String == "Klassenbezoek" }))
        laptopDaemon.kill(SIGTERM)
        deskDaemon.kill(SIGTERM)
        #expect(deskDaemon.process.terminationReason == .exit)
        #expect(!FileManager.default.fileExists(atPath: desk + "/control.sock"), "the daemon leaves no socket behind on a clean stop")
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
