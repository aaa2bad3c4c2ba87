import ArgumentParser
import Foundation
import SyncCore
import SyncStore
import SyncTestKit

// W8: kcsync imports a history next to the in-memory CRDT libraries Loro and Yrs importing
// the same one (Tools/bench-peers/peers.py writes it through them). kcsync's import is the
// sync path: signed changes received in batches into a fresh replica on disk, each batch
// verified and durable before it counts. Theirs is one update blob into a fresh document in
// memory, unsigned: what the data structures cost, with nothing else.
extension Bench {
    /// The history of peers.py `history`, value for value: `notes` notes of seven fields with
    /// a body of `bodyLength` characters, then `updates` single-field updates (title,
    /// category or period in turn, of note u × 7919 mod notes).
    static func peerHistory(notes: Int, updates: Int, bodyLength: Int) -> ([NoteRow], [(note: Int, field: String, value: String)]) {
        let roles = ["learningCoordinator", "careCoordinator", "trendAnalyst"]
        let categories = ["groepsbespreking", "leerteamoverleg", "trendanalyse", "observatie"]
        let areas = ["rekenen", "begrijpend lezen", "technisch lezen", "spelling"]
        let rows = (0..<notes).map { i in
            let area = areas[i % 4]
            let sentence = "De leerteams zien bij \(area) een daling in groep \(i % 8 + 1). Afspraak: verlengde instructie. (\(i)) "
            return NoteRow(title: "Groepsbespreking groep \(i % 8 + 1) \(area) \(i)", role: roles[i % 3], category: categories[i % 4],
                           period: i % 2 == 0 ? "2025-2026 M" : "2025-2026 E", day: Int32(20_400 + i % 300), tags: [area, "groep \(i % 8 + 1)"],
                           body: String(String(repeating: sentence, count: 8).prefix(bodyLength)))
        }
        let fields = ["title", "category", "period"]
        let edits = (0..<updates).map { u in (note: u * 7919 % notes, field: fields[u % 3], value: "\(fields[u % 3]) \(u)") }
        return (rows, edits)
    }

    func w8() throws -> [String: Double] {
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scope = try Scope.school("12AB")
        let (rows, edits) = Bench.peerHistory(notes: w8Notes, updates: w8Updates, bodyLength: 400)

        // The author: one change per note, then one per update, as the peers commit them.
        let author = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        try author.addScope(scope)
        var ids: [EntityID] = []
        ids.reserveCapacity(rows.count)
        for row in rows {
            try author.write(in: scope) { b throws(SyncError) in ids.append(try Bench.writeNote(&b, row)) }
        }
        for edit in edits {
            try author.write(in: scope) { b throws(SyncError) in try b.assign(.text(edit.value), to: edit.field, of: ids[edit.note], type: "note") }
        }
        let history = try author.changes(in: scope, missingFrom: VersionVector())
        let bytes = history.reduce(0) { $0 + $1.count }
        let deflated = Bench.deflatedBytes(history, batch: applyBatch)

        let fresh = try ReplicaStore.open(path: dir.appendingPathComponent("fresh.db").path, schemas: SampleSchemas.all)
        try fresh.addScope(scope)
        var applied = 0
        let seconds = try Bench.time {
            for start in stride(from: 0, to: history.count, by: applyBatch) {
                let result = try fresh.receive(Array(history[start..<min(history.count, start + applyBatch)]), in: scope)
                guard result.refused.isEmpty else { throw ValidationError("refused: \(result.refused.prefix(3))") }
                applied += result.applied
            }
        }
        guard applied == history.count else { throw ValidationError("applied \(applied) of \(history.count) changes") }

        // Seven field writes per note (the two tags count as one, the body as one) and one per update.
        let fieldWrites = Double(rows.count * 7 + edits.count)
        var figures: [String: Double] = [
            "notes": Double(rows.count), "updates": Double(edits.count), "changes": Double(applied),
            "kcsyncSeconds": seconds, "kcsyncBytesPerFieldWrite": Double(bytes) / fieldWrites,
            "kcsyncDeflatedBytesPerFieldWrite": Double(deflated) / fieldWrites,
        ]
        let peers = try Bench.runPeers(script: peersScript, arguments: [rows.count, edits.count, 400, 3])
        var fastest = Double.infinity
        var described: [String] = []
        for (name, peer) in peers.sorted(by: { $0.key < $1.key }) {
            figures["\(name)Seconds"] = peer.importSeconds
            figures["\(name)BytesPerFieldWrite"] = Double(peer.bytes) / fieldWrites
            fastest = min(fastest, peer.importSeconds)
            described.append(String(format: "%@ (%@) %.2f s, %.0f bytes per field write", name, peer.version, peer.importSeconds, Double(peer.bytes) / fieldWrites))
        }
        figures["ratioToFastest"] = seconds / fastest
        line(String(format: "W8 import of %d notes and %d field updates (%d changes): kcsync %.2f s verified and durable, %.0f bytes per field write (%.0f in deflated batches); %@; ratio to the fastest %.1f× (goal ≤ 2×)",
                    rows.count, edits.count, applied, seconds, Double(bytes) / fieldWrites, Double(deflated) / fieldWrites, described.joined(separator: "; "), seconds / fastest))
        return figures
    }

    struct PeerFigure: Decodable {
        var version: String
        var bytes: Int
        var importSeconds: Double
    }

    /// Runs the peers' script (it sets up Loro and pycrdt from PyPI itself) and reads its JSON.
    static func runPeers(script: String, arguments: [Int]) throws -> [String: PeerFigure] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = arguments.map(String.init)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("the peers' script \(script) ended with status \(process.terminationStatus)") }
        return try JSONDecoder().decode([String: PeerFigure].self, from: data)
    }

    /// Tools/bench-peers/run.sh beside this source file.
    static let defaultPeersScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("bench-peers/run.sh").path
}
