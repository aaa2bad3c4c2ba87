import Foundation
import SyncCore
import SyncProtocol
import SyncTestKit
import Testing

/// Every path by which text can leave a school, tried with canaries (issue 10): notes of every
/// category and subject, subjectRef, participants, tags, sensitive notes, agreements, trend
/// duiding and actions (a small cell's and a shared figure's), a reaction's comment, adopted
/// advice, a conflict between two replicas, a peer relaying, an edit that removes a name.
/// Real processes: a board, a school's desk and laptop (a TLS peer link) and another school;
/// the school-to-board and desk-to-laptop traffic passes relays that keep every byte.
/// Canaries in pupil-level places are in no file of the board or of the other school, in no
/// log and in no captured byte; the shared canaries are (the scan sees text).
@Suite(.serialized) struct CanaryTests {
    typealias Background = EndToEndTests.Background

    @Test func pupilDataLeavesTheSchoolByNoPath() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-canary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cli = try CLI()
        func kc(_ arguments: [String]) throws -> CLI.Result { try cli.run(arguments) }
        func path(_ name: String) -> String { root.appendingPathComponent(name).path }
        let boardPort = Int.random(in: 20_000...30_000)
        let peerPort = Int.random(in: 30_001...40_000)
        let boardTap = try WireTap(forwardingTo: boardPort)
        let peerTap = try WireTap(forwardingTo: peerPort)
        let (board, desk, laptop, other) = (path("board"), path("desk"), path("laptop"), path("34CD"))
        let boardURL = "ws://127.0.0.1:\(boardTap.port)"

        #expect(try kc(["board", "init", "--board", "41234", "--data", board]).status == 0)
        for (dir, school) in [(desk, "12AB"), (other, "34CD")] {
            #expect(try kc(["init", "--school", school, "--board", "41234", "--board-url", boardURL, "--data", dir]).status == 0)
            #expect(try kc(["board", "add-school", school, "--key", try kc(["key", "--data", dir]).out.trimmed, "--data", board]).status == 0)
        }
        #expect(try kc(["init", "--school", "12AB", "--board", "41234", "--data", laptop]).status == 0)
        let deskKey = try kc(["key", "--data", desk]).out.trimmed
        #expect(try kc(["peer", "add", "--key", try kc(["key", "--data", laptop]).out.trimmed, "--data", desk]).status == 0)
        #expect(try kc(["peer", "add", "wss://127.0.0.1:\(peerTap.port)", "--key", deskKey, "--data", laptop]).status == 0)

        let boardServer = try Background(["board", "serve", "--port", "\(boardPort)", "--data", board], log: root.appendingPathComponent("board.log"))
        defer { boardServer.kill(SIGTERM) }
        #expect(await EndToEndTests.eventually(15) { (try? kc(["sync", "--data", desk]).status) == 0 })
        #expect(try kc(["sync", "--data", other]).status == 0)
        let deskDaemon = try Background(["daemon", "--listen", "127.0.0.1:\(peerPort)", "--tls", "--data", desk],
                                        log: root.appendingPathComponent("desk.log"))
        defer { deskDaemon.kill(SIGTERM) }
        #expect(await EndToEndTests.eventually(30) { FileManager.default.fileExists(atPath: desk + "/control.sock") }, "\((try? String(contentsOf: root.appendingPathComponent("desk.log"), encoding: .utf8)) ?? "")")

        var secret: [String] = []   // pupil-level: may leave the school by no path
        var shared: [String] = []   // shared: must be at the board and the other school
        func canary(_ kind: String, pupilLevel: Bool) -> String {
            let text = "\(pupilLevel ? "GEHEIM" : "GEDEELD")\(kind)\(UUID().uuidString.prefix(8))"
            if pupilLevel { secret.append(text) } else { shared.append(text) }
            return text
        }
        func note(_ dir: String, category: String, subject: String?, extra: [String] = [], pupilLevel: Bool, share: Bool = true) throws {
            let title = canary("titel", pupilLevel: pupilLevel)
            var arguments = ["note", "add", "--json", "--data", dir, "--role", "zorgregisseur", "--category", category,
                             "--title", title, "--body", "Tekst " + canary("body", pupilLevel: pupilLevel),
                             "--tag", canary("tag", pupilLevel: pupilLevel)] + extra
            if let subject { arguments += ["--subject", subject] }
            let added = try kc(arguments)
            #expect(added.status == 0, "\(added.err)")
            guard share, let id = try added.object()["id"] as? String else { return }
            let result = try kc(["note", "share", String(id.suffix(8)), "--data", dir])
            #expect((result.status == 0) == !pupilLevel, "\(category)/\(subject ?? "-"): \(result.err)")
        }

        // Notes of every category and subject: only a group, leerteam or school subject in a
        // category that is not about a pupil or a conversation leaves.
        let categories = ["leerlingbespreking", "groepsbespreking", "leerteamoverleg", "observatie", "oudergesprek",
                          "gesprek extern deskundige", "trendanalyse", "overig"]
        for category in categories {
            for subject in ["pupil", "group", "leerteam", "school", nil] {
                let staysHome = ["leerlingbespreking", "oudergesprek", "gesprek extern deskundige"].contains(category)
                    || subject == "pupil" || subject == nil
                try note(desk, category: category, subject: subject, pupilLevel: staysHome)
            }
        }
        // A reference to whom it is about, participants, the sensitive flag: each keeps a note home.
        let pupilName = "Jelmer\(UUID().uuidString.prefix(6))"
        secret.append(pupilName)
        try note(desk, category: "groepsbespreking", subject: "group",
                 extra: ["--subject-ref", "\(pupilName) van Dijk, groep 5 " + canary("ref", pupilLevel: true)], pupilLevel: true)
        try note(desk, category: "leerteamoverleg", subject: "leerteam", extra: ["--participant", "moeder " + canary("deelnemer", pupilLevel: true)],
                 pupilLevel: true)
        try note(desk, category: "observatie", subject: "group", extra: ["--sensitive"], pupilLevel: true)

        // An edit that removes a name: refused while the name is in it, shared once it is out;
        // the text with the name never leaves.
        let named = try kc(["note", "add", "--json", "--data", desk, "--role", "leercoordinator", "--category", "groepsbespreking",
                            "--subject", "group", "--title", "Groep 5 " + canary("naamtitel", pupilLevel: false),
                            "--body", "Met \(pupilName) gaat het beter."])
        let namedID = String(try #require(try named.object()["id"] as? String).suffix(8))
        #expect(try kc(["note", "share", namedID, "--data", desk]).err.contains(pupilName.lowercased()))
        #expect(try kc(["note", "edit", namedID, "--body", "Het gaat beter in groep 5.", "--data", desk]).status == 0)
        #expect(try kc(["note", "share", namedID, "--data", desk]).status == 0)

        // Agreements: a pupil-level one stays, a school one is shared.
        let pupilAgreement = try kc(["agreement", "add", "--json", "--data", desk, "--title", canary("afspraak", pupilLevel: true), "--owner", "juf",
                                     "--due", "2027-01-15", "--level", "pupil", "--description", canary("afspraakomschrijving", pupilLevel: true)])
        #expect(try kc(["agreement", "share", String(try #require(try pupilAgreement.object()["id"] as? String).suffix(8)), "--data", desk]).status != 0)
        let schoolAgreement = try kc(["agreement", "add", "--json", "--data", desk, "--title", canary("afspraak", pupilLevel: false), "--owner", "leerteam",
                                      "--due", "2027-01-15", "--level", "school"])
        #expect(try kc(["agreement", "share", String(try #require(try schoolAgreement.object()["id"] as? String).suffix(8)), "--data", desk]).status == 0)

        // Trend figures: a small cell's duiding and actions stay; a shared figure's go.
        #expect(try kc(["trend", "add", "--data", desk, "--subject-area", "spelling", "--period", "2025-2026 E", "--group", "7",
                        "--metric", "pct-niveau-I-II", "--value", "37.5", "--n", "8", "--duiding", canary("duiding", pupilLevel: true),
                        "--actions", canary("acties", pupilLevel: true)]).status == 0)
        #expect(try kc(["trend", "add", "--data", desk, "--subject-area", "spelling", "--period", "2025-2026 E", "--group", "6",
                        "--metric", "pct-niveau-I-II", "--value", "41.5", "--n", "25", "--duiding", canary("duiding", pupilLevel: false)]).status == 0)

        // The laptop writes too, and only reaches the board through the desk (a relaying peer).
        try note(laptop, category: "leerlingbespreking", subject: "pupil", pupilLevel: true)
        try note(laptop, category: "leerteamoverleg", subject: "leerteam", pupilLevel: false, share: false)
        let laptopShared = try kc(["note", "list", "--json", "--data", laptop]).array().first { ($0["category"] as? String) == "leerteamoverleg" }
        // (shared once the laptop knows the board: after its first sync below)

        // A conflict: the same pupil note edited on desk and laptop at once.
        let conflictNote = try kc(["note", "add", "--json", "--data", desk, "--role", "zorgregisseur", "--category", "leerlingbespreking",
                                   "--subject", "pupil", "--title", canary("conflict", pupilLevel: true)])
        let conflictID = String(try #require(try conflictNote.object()["id"] as? String).suffix(8))
        #expect(try kc(["sync", "--data", laptop]).status == 0)
        #expect(try kc(["note", "edit", conflictID, "--title", canary("bureau", pupilLevel: true), "--data", desk]).status == 0)
        #expect(try kc(["note", "edit", conflictID, "--title", canary("laptop", pupilLevel: true), "--data", laptop]).status == 0)
        if let id = laptopShared?["id"] as? String { #expect(try kc(["note", "share", String(id.suffix(8)), "--data", laptop]).status == 0) }
        #expect(try kc(["sync", "--data", laptop]).status == 0)
        #expect(try kc(["conflicts", "--data", desk]).out.contains("GEHEIMbureau") || kc(["conflicts", "--data", desk]).out.contains("GEHEIMlaptop"))

        // Advice from the board: a comment naming a pupil is refused, a plain one goes; adopted
        // advice makes agreements at school.
        let advice = try kc(["advice", "add", "--json", "--data", board, "--period", "2025-2026 E", "--subject-area", "spelling",
                             "--signal", "dalende trend spelling", "--advice", "Oefen dagelijks.", "--suggest", "Dagelijks spellingsblok"])
        let adviceID = String(try #require(try advice.object()["id"] as? String).suffix(8))
        let arrived = await EndToEndTests.eventually(20) { (try? kc(["advice", "list", "--json", "--data", desk]).out.contains(adviceID)) == true }
        let syncOut = try kc(["sync", "--json", "--data", desk]).out
        let listOut = try kc(["advice", "list", "--json", "--data", desk]).out
        #expect(arrived, "\(syncOut) \(listOut)")
        #expect(try kc(["advice", "respond", adviceID, "overgenomen", "--comment", "Vooral \(pupilName) heeft dit nodig", "--owner", "juf", "--data", desk]).status != 0)
        #expect(try kc(["advice", "respond", adviceID, "overgenomen", "--comment", canary("reactie", pupilLevel: false), "--owner", "juf", "--data", desk]).status == 0)

        // Everything syncs: desk and the other school with the board, the laptop with the desk.
        #expect(try kc(["sync", "--data", desk]).status == 0)
        #expect(try kc(["sync", "--data", other]).status == 0)
        #expect(try kc(["sync", "--data", laptop]).status == 0)
        #expect(try kc(["sync", "--data", desk]).status == 0)
        #expect(try kc(["sync", "--data", other]).status == 0)
        boardServer.kill(SIGTERM)
        deskDaemon.kill(SIGTERM)

        func files(_ dir: String) -> Data {
            var bytes = Data()
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                bytes += (try? Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name))) ?? Data()
            }
            return bytes
        }
        let away = files(board) + files(other)
        let logs = files(root.path)   // board.log and desk.log
        // What a relay reads: every byte, and every deflated batch inflated.
        let wire = boardTap.readable + peerTap.readable
        #expect(secret.count >= 90 && shared.count >= 40)
        for text in secret {
            #expect(away.range(of: Data(text.utf8)) == nil, "\(text) is at the board or at 34CD")
            #expect(logs.range(of: Data(text.utf8)) == nil, "\(text) is in a log")
            #expect(wire.range(of: Data(text.utf8)) == nil, "\(text) crossed a wire readable")
        }
        // The shared canaries are at the board and at the other school, and on the board's wire.
        let atBoard = files(board), atOther = files(other)
        for text in shared {
            #expect(atBoard.range(of: Data(text.utf8)) != nil, "\(text) did not reach the board")
            #expect(atOther.range(of: Data(text.utf8)) != nil, "\(text) did not reach 34CD")
        }
        let boardWire = boardTap.readable
        #expect(boardTap.decoded.messages > 10, "the tap takes the board's sessions apart")
        #expect(shared.contains { boardWire.range(of: Data($0.utf8)) != nil }, "the board's wire shows what is shared")
        #expect(peerTap.captured.count > 1_000 && peerTap.captured.first == 0x16)
    }

    /// The relay's reading is not fooled by compression: a canary inside a deflated batch, in
    /// a masked WebSocket frame after an HTTP upgrade, is in what it reads, and not in the raw
    /// bytes (so a scan of those alone would miss it).
    @Test func theRelayReadsWhatADeflatedBatchCarries() throws {
        let canary = "CANARY-IN-A-DEFLATED-BATCH"
        let changes = (0..<50).map { Data("change \($0) \(canary) with the same words over and over".utf8) }
        let frame = FrameForger.deflatedChanges(scope: try Scope.board("41234"), batch: 1, FrameForger.deflatedList(changes))
        // A client's frame: FIN and binary, masked, with a 16-bit length.
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        var stream = Data("GET /sync HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\n\r\n".utf8)
        stream += Data([0x82, 0x80 | 126, UInt8(frame.count >> 8), UInt8(frame.count & 0xFF)] + mask)
        stream += Data(frame.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        #expect(stream.range(of: Data(canary.utf8)) == nil)
        let messages = WireTap.messages(in: stream)
        #expect(messages == [frame])
        let inflated = try #require(FrameForger.inflatedChanges(in: frame))
        #expect(inflated.range(of: Data(canary.utf8)) != nil)
    }
}
