import Foundation
import Testing

/// Peer links are TLS 1.3, both sides authenticated by their replica keys: a relay that reads
/// the wire sees no pupil data, a replica whose key is not registered gets no handshake, and a
/// server with another key than the one registered for the peer gets no session.
@Suite(.serialized) struct PeerTLSTests {
    typealias Background = EndToEndTests.Background

    /// A desk with its membership from the board, and the board stopped again.
    static func school(_ root: URL, _ cli: CLI) async throws -> (desk: String, deskKey: String) {
        func kc(_ arguments: String...) throws -> CLI.Result { try cli.run(arguments) }
        let boardPort = Int.random(in: 20_000...30_000)
        let boardDir = root.appendingPathComponent("board").path
        let desk = root.appendingPathComponent("desk").path
        try kc("board", "init", "--board", "41234", "--data", boardDir)
        #expect(try kc("init", "--school", "12AB", "--board", "41234", "--board-url", "ws://127.0.0.1:\(boardPort)", "--data", desk).status == 0)
        let deskKey = try kc("key", "--data", desk).out.trimmed
        #expect(try kc("board", "add-school", "12AB", "--key", deskKey, "--data", boardDir).status == 0)
        let board = try Background(["board", "serve", "--port", "\(boardPort)", "--data", boardDir], log: root.appendingPathComponent("board.log"))
        defer { board.kill(SIGTERM) }
        #expect(await EndToEndTests.eventually(15) { (try? kc("sync", "--data", desk).status) == 0 })
        return (desk, deskKey)
    }

    @Test func aRelayThatReadsTheWireSeesNothingOfThePupil() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-peertls-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cli = try CLI()
        func kc(_ arguments: String...) throws -> CLI.Result { try cli.run(arguments) }
        let (desk, deskKey) = try await PeerTLSTests.school(root, cli)
        let canary = "Pupil-\(UUID().uuidString)"
        #expect(try kc("note", "add", "--data", desk, "--role", "zorgregisseur", "--category", "leerlingbespreking", "--subject", "pupil",
                       "--subject-ref", canary, "--title", "Bespreking \(canary)").status == 0)

        let peerPort = Int.random(in: 30_001...40_000)
        let deskDaemon = try Background(["daemon", "--listen", "127.0.0.1:\(peerPort)", "--tls", "--data", desk], log: root.appendingPathComponent("desk.log"))
        defer { deskDaemon.kill(SIGTERM) }
        #expect(await EndToEndTests.eventually(10) { FileManager.default.fileExists(atPath: desk + "/control.sock") })
        let tap = try WireTap(forwardingTo: peerPort)

        // The laptop, registered at the desk, syncs over TLS through the tap.
        let laptop = root.appendingPathComponent("laptop").path
        #expect(try kc("init", "--school", "12AB", "--board", "41234", "--data", laptop).status == 0)
        #expect(try kc("peer", "add", "--key", try kc("key", "--data", laptop).out.trimmed, "--data", desk).status == 0)
        #expect(try kc("peer", "add", "wss://127.0.0.1:\(tap.port)", "--key", deskKey, "--data", laptop).status == 0)
        let sync = try kc("sync", "--data", laptop)
        #expect(sync.status == 0, "\(sync.err)\n\((try? String(contentsOf: root.appendingPathComponent("desk.log"), encoding: .utf8)) ?? "")")
        #expect(try kc("note", "list", "--json", "--data", laptop).array().contains { ($0["title"] as? String)?.contains(canary) == true })
        let wire = tap.readable
        #expect(wire.count > 1_000 && wire.first == 0x16, "TLS handshake records on the wire")
        #expect(wire.range(of: Data(canary.utf8)) == nil, "the pupil's reference crossed the wire readable")
        #expect(wire.range(of: Data("leerlingbespreking".utf8)) == nil)

        // A replica of the school whose key the desk did not register gets no handshake, and
        // nothing of the school.
        let stranger = root.appendingPathComponent("stranger").path
        #expect(try kc("init", "--school", "12AB", "--board", "41234", "--data", stranger).status == 0)
        #expect(try kc("peer", "add", "wss://127.0.0.1:\(peerPort)", "--key", deskKey, "--data", stranger).status == 0)
        let refused = try kc("sync", "--json", "--data", stranger)
        #expect(refused.status != 0 && refused.out.contains("CERTIFICATE_UNKNOWN"), "refused in the handshake: \(refused.out)")
        #expect(try kc("note", "list", "--json", "--data", stranger).array().isEmpty)

        // A fake desk (another key) on another port: the laptop, pinned to the real desk's key,
        // refuses it in the handshake.
        let fake = root.appendingPathComponent("fake").path
        #expect(try kc("init", "--school", "12AB", "--board", "41234", "--data", fake).status == 0)
        #expect(try kc("peer", "add", "--key", try kc("key", "--data", laptop).out.trimmed, "--data", fake).status == 0)
        let fakePort = peerPort + 1
        let fakeDaemon = try Background(["daemon", "--listen", "127.0.0.1:\(fakePort)", "--tls", "--data", fake], log: root.appendingPathComponent("fake.log"))
        defer { fakeDaemon.kill(SIGTERM) }
        #expect(await EndToEndTests.eventually(10) { FileManager.default.fileExists(atPath: fake + "/control.sock") })
        let victim = root.appendingPathComponent("victim").path
        #expect(try kc("init", "--school", "12AB", "--board", "41234", "--data", victim).status == 0)
        #expect(try kc("peer", "add", "wss://127.0.0.1:\(fakePort)", "--key", deskKey, "--data", victim).status == 0)
        let fooled = try kc("sync", "--json", "--data", victim)
        #expect(fooled.status != 0 && fooled.out.contains("CERTIFICATE_VERIFY_FAILED"), "refused in the handshake: \(fooled.out)")
        #expect((try? String(contentsOf: root.appendingPathComponent("fake.log"), encoding: .utf8))?.contains("established") != true)
    }

    @Test func cleartextToAnotherMachineIsRefused() async throws {
        let cli = try CLI()
        try cli.run("init", "--school", "12AB", "--board", "41234")
        let key = String(repeating: "ab", count: 32)
        let plain = try cli.run("peer", "add", "ws://192.168.1.20:8451", "--key", key)
        #expect(plain.status != 0 && plain.err.contains("onversleuteld"))
        #expect(try cli.run("peer", "add", "wss://192.168.1.20:8451", "--key", key).status == 0)
    }
}
