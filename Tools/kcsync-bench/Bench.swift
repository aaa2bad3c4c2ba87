// kcsync-bench: the benchmarks of QUALITY.md, reported as ratios measured in the same run
// against a baseline (plain SQLite with the same rows and transaction sizes). Absolute times
// on shared machines are noise; the ratios are the figures.
//
//   swift run -c release kcsync-bench            # one line per figure
//   swift run -c release kcsync-bench --json     # one JSON object keyed by workload
//   swift run -c release kcsync-bench --only W3 --only W6
import ArgumentParser
import Foundation
import Logging
import GRDB
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kcsync-bench",
        abstract: "Measures kcsync in the same run against its baselines: W1 local writes and W2 initial sync apply against plain SQLite, W3 steady-state sync against a small history, W5 board fan-in and merged-view queries against plain SQLite, W6a the board as a hub for 200 light schools and W6b propagation between 50 full school replicas, each against two schools, W7 a thousand sessions and half-open connections on one board (sessions held, honest failures, peak memory, connections shed), W8 importing a history against Loro and Yrs importing the same one.")

    @Flag(help: "Print one JSON object keyed by workload instead of lines.")
    var json = false

    @Option(help: "Notes written in W1 and changes applied in W2.")
    var count = 100_000

    @Option(help: "Notes per transaction in W1's batched run.")
    var batch = 100

    @Option(help: "Notes written one per transaction (each an fsync) in W1's single-write run.")
    var singles = 1_000

    @Option(help: "Changes per apply call in W2 (the sync protocol's batch size).")
    var applyBatch = 1_000

    @Option(help: "Changes the two replicas hold in common in W3.")
    var history = 1_000_000

    @Option(help: "Light schools connected to the board in W6a, each writing once a second.")
    var w6Schools = 200

    @Option(help: "Full school replicas (daemon links) connected to the board in W6b, each writing once a second.")
    var w6bSchools = 50

    @Option(help: "Seconds W6a and W6b measure (after 5 s of warm-up).")
    var w6Seconds = 20.0

    @Option(help: "Schools in W5 (board fan-in).")
    var w5Schools = 72

    @Option(help: "Shared changes per school in W5.")
    var w5Changes = 5_000

    @Flag(help: "W5 with full school replicas (daemon links, each storing what the board sends down) instead of light schools.")
    var w5FullSchools = false

    @Option(help: "Merged-view queries W5 times after the intake.")
    var w5Queries = 200

    @Option(help: "School sessions held open against one board in W7.")
    var w7Sessions = 1_000

    @Option(help: "Half-open connections kept against the board in W7.")
    var w7HalfOpen = 300

    @Option(help: "Seconds W7 runs.")
    var w7Seconds = 60.0

    @Option(help: "Notes in W8's history (each a change of seven fields).")
    var w8Notes = 20_000

    @Option(help: "Single-field updates in W8's history, after the notes.")
    var w8Updates = 40_000

    @Option(help: "The script that runs W8's peers, Loro and Yrs (it installs them from PyPI into a virtual environment).")
    var peersScript = Bench.defaultPeersScript

    @Option(help: "Run only these workloads (e.g. --only W1).")
    var only: [String] = []

    func validate() throws {
        for (name, value) in [("--count", count), ("--batch", batch), ("--singles", singles), ("--apply-batch", applyBatch), ("--history", history),
                              ("--w6-schools", w6Schools), ("--w6b-schools", w6bSchools), ("--w5-schools", w5Schools), ("--w5-changes", w5Changes), ("--w5-queries", w5Queries),
                              ("--w7-sessions", w7Sessions), ("--w8-notes", w8Notes)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        guard w7HalfOpen >= 0, w8Updates >= 0, w6Seconds > 0, w7Seconds > 0 else {
            throw ValidationError("--w7-half-open, --w8-updates, --w6-seconds and --w7-seconds must not be negative")
        }
        let known: Set = ["W1", "W2", "W3", "W5", "W6", "W6a", "W6b", "W7", "W8"]
        for name in only where !known.contains(name) { throw ValidationError("--only \(name): the workloads are \(known.sorted().joined(separator: ", "))") }
    }

    mutating func run() async throws {
        // Every workload that runs reports, whatever another one did: a failure is reported
        // under its own key ({"error": "…"}), the others still print, and the exit code says so.
        var report: [String: Any] = [:]
        var failed: [String] = []
        func measure(_ name: String, _ body: () async throws -> [String: Double]) async {
            // --only W6 runs both halves of W6.
            guard only.isEmpty || only.contains(name) || (name.hasPrefix("W6") && only.contains("W6")) else { return }
            do { report[name] = try await body() } catch {
                failed.append(name)
                report[name] = ["error": "\(error)"]
                FileHandle.standardError.write(Data("kcsync-bench: \(name) failed: \(error)\n".utf8))
            }
        }
        await measure("W1") { try w1() }
        await measure("W2") { try w2() }
        await measure("W3") { try await w3() }
        await measure("W5") { try await w5() }
        await measure("W6a") { try await w6a() }
        await measure("W6b") { try await w6b() }
        await measure("W7") { try await w7() }
        await measure("W8") { try w8() }
        if json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
        }
        if !failed.isEmpty { throw ExitCode(1) }
    }

    func line(_ text: String) {
        if !json { print(text) }
    }

    // MARK: - Data

    struct NoteRow {
        var title: String
        var role: String
        var category: String
        var period: String
        var day: Int32
        var tags: [String]
        var body: String
    }

    static func rows(_ n: Int, seed: UInt64) -> [NoteRow] {
        var rng = SeededGenerator(seed: seed)
        let roles = ["learningCoordinator", "careCoordinator", "trendAnalyst"]
        let categories = ["groepsbespreking", "leerteamoverleg", "trendanalyse", "observatie"]
        let areas = ["rekenen", "begrijpend lezen", "technisch lezen", "spelling"]
        return (0..<n).map { i in
            let area = areas[i % areas.count]
            return NoteRow(
                title: "Groepsbespreking groep \(i % 8 + 1) \(area) \(i)",
                role: roles[i % 3], category: categories[i % 4], period: i % 2 == 0 ? "2025-2026 M" : "2025-2026 E",
                day: Int32(20_400 + Int.random(in: 0..<300, using: &rng)),
                tags: [area, "groep \(i % 8 + 1)"],
                body: "De leerteams zien bij \(area) een daling in groep \(i % 8 + 1). Afspraak: de leerkrachten plannen "
                    + "verlengde instructie en evalueren in de volgende periode. Wie doet wat en wanneer staat in de afspraak. (\(i))")
        }
    }

    @discardableResult
    static func writeNote(_ b: inout ChangeBuilder, _ row: NoteRow) throws(SyncError) -> EntityID {
        let id = b.newEntity(type: "note")
        try b.assign(.text(row.title), to: "title", of: id, type: "note")
        try b.assign(.text(row.role), to: "role", of: id, type: "note")
        try b.assign(.text(row.category), to: "category", of: id, type: "note")
        try b.assign(.text(row.period), to: "period", of: id, type: "note")
        try b.assign(.day(row.day), to: "meetingDate", of: id, type: "note")
        for tag in row.tags { try b.add(.text(tag), to: "tags", of: id, type: "note") }
        try b.setText(row.body, field: "body", of: id, type: "note")
        return id
    }

    /// The baseline: the same note rows in a plain table, same configuration (WAL, synchronous=FULL).
    static func plainDatabase(_ path: String) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: ReplicaStore.configuration())
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE note (
                    rowid INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, title TEXT, role TEXT, category TEXT,
                    period TEXT, meetingDate TEXT, tags TEXT, body TEXT)
                """)
        }
        return pool
    }

    static func plainInsert(_ db: Database, _ row: NoteRow, rng: inout SeededGenerator) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO note (id, title, role, category, period, meetingDate, tags, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let id = EntityID(millis: UInt64(Date().timeIntervalSince1970 * 1000), using: &rng)
        try statement.execute(arguments: [Data(id.bytes), row.title, row.role, row.category, row.period,
                                          Value.dayString(row.day), "[\"\(row.tags[0])\",\"\(row.tags[1])\"]", row.body])
    }

    /// The bytes `changes` take on the wire in deflated batches of `batch` (a batch that does
    /// not shrink goes as it is, as the session sends it).
    static func deflatedBytes(_ changes: [Data], batch: Int) -> Int {
        stride(from: 0, to: changes.count, by: batch).reduce(0) { total, start in
            let slice = Array(changes[start..<min(changes.count, start + batch)])
            return total + (BatchCompression.deflate(slice)?.count ?? slice.reduce(0) { $0 + $1.count })
        }
    }

    /// The logger a workload gives the code it measures: quiet, unless `KCSYNC_BENCH_LOG` names a
    /// level (`warning`, `debug`, ...) to see why a run misbehaves.
    static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["KCSYNC_BENCH_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func fileSize(_ path: String) -> Double {
        let sizes = [path, path + "-wal"].compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }
        return Double(sizes.reduce(0, +))
    }

    // MARK: - W1

    func w1() throws -> [String: Double] {
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = Bench.rows(count, seed: 1)
        let scope = try Scope.school("12AB")

        let store = try ReplicaStore.open(path: dir.appendingPathComponent("kcsync.db").path, schemas: SampleSchemas.all)
        try store.addScope(scope)
        let plain = try Bench.plainDatabase(dir.appendingPathComponent("plain.db").path)
        var rng = SeededGenerator(seed: 2)

        // Interleave the two in chunks, so drift in machine load hits both alike.
        var kcsyncSeconds = 0.0, plainSeconds = 0.0
        let chunk = max(batch, 10_000 / batch * batch)
        for start in stride(from: 0, to: rows.count, by: chunk) {
            let slice = rows[start..<min(rows.count, start + chunk)]
            kcsyncSeconds += try Bench.time {
                for group in stride(from: slice.startIndex, to: slice.endIndex, by: batch) {
                    try store.write(in: scope) { b throws(SyncError) in
                        for row in slice[group..<min(slice.endIndex, group + batch)] { try Bench.writeNote(&b, row) }
                    }
                }
            }
            plainSeconds += try Bench.time {
                for group in stride(from: slice.startIndex, to: slice.endIndex, by: batch) {
                    try plain.write { db in
                        for row in slice[group..<min(slice.endIndex, group + batch)] { try Bench.plainInsert(db, row, rng: &rng) }
                    }
                }
            }
        }
        // Single-note transactions: every write waits for its own fsync.
        let singleRows = Bench.rows(singles, seed: 3)
        var kcsyncSingle = 0.0, plainSingle = 0.0
        for part in stride(from: 0, to: singleRows.count, by: 100) {
            let slice = singleRows[part..<min(singleRows.count, part + 100)]
            kcsyncSingle += try Bench.time {
                for row in slice { try store.write(in: scope) { b throws(SyncError) in try Bench.writeNote(&b, row) } }
            }
            plainSingle += try Bench.time {
                for row in slice { try plain.write { db in try Bench.plainInsert(db, row, rng: &rng) } }
            }
        }
        let storeBytes = Bench.fileSize(dir.appendingPathComponent("kcsync.db").path)
        let plainBytes = Bench.fileSize(dir.appendingPathComponent("plain.db").path)
        let figures: [String: Double] = [
            "notes": Double(count), "batch": Double(batch),
            "kcsyncSeconds": kcsyncSeconds, "plainSeconds": plainSeconds, "ratio": kcsyncSeconds / plainSeconds,
            "notesPerSecond": Double(count) / kcsyncSeconds,
            "singleWrites": Double(singles), "singleRatio": kcsyncSingle / plainSingle,
            "singleKcsyncMillis": kcsyncSingle * 1000 / Double(singles), "singlePlainMillis": plainSingle * 1000 / Double(singles),
            "bytesRatio": storeBytes / plainBytes,
        ]
        line(String(format: "W1 local writes: %d notes in transactions of %d: kcsync %.2f s, plain SQLite %.2f s, ratio %.2f× (goal ≤ 2×)",
                    count, batch, kcsyncSeconds, plainSeconds, kcsyncSeconds / plainSeconds))
        line(String(format: "W1 single-note transactions: %d writes: kcsync %.2f ms, plain SQLite %.2f ms per write, ratio %.2f×",
                    singles, figures["singleKcsyncMillis"]!, figures["singlePlainMillis"]!, kcsyncSingle / plainSingle))
        line(String(format: "W1 size on disk: kcsync %.1f MB, plain SQLite %.1f MB, ratio %.2f×", storeBytes / 1e6, plainBytes / 1e6, storeBytes / plainBytes))
        return figures
    }

    // MARK: - W2

    func w2() throws -> [String: Double] {
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scope = try Scope.school("12AB")
        let writers = 10
        let perWriter = count / writers
        let rows = Bench.rows(count, seed: 4)

        // Ten replicas each write their share, one note per change, in memory.
        var changes: [[Data]] = []
        for w in 0..<writers {
            let author = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
            try author.addScope(scope)
            for row in rows[(w * perWriter)..<((w + 1) * perWriter)] {
                try author.write(in: scope) { b throws(SyncError) in try Bench.writeNote(&b, row) }
            }
            changes.append(try author.changes(in: scope, missingFrom: VersionVector()))
        }
        // Arrival order: batches from the ten replicas interleaved, as a sync with a relay delivers them.
        var arrival: [Data] = []
        for start in stride(from: 0, to: perWriter, by: applyBatch / writers) {
            for w in 0..<writers { arrival += changes[w][start..<min(perWriter, start + applyBatch / writers)] }
        }
        let bytes = arrival.reduce(0) { $0 + $1.count }
        let deflatedBytes = Bench.deflatedBytes(arrival, batch: applyBatch)

        let fresh = try ReplicaStore.open(path: dir.appendingPathComponent("fresh.db").path, schemas: SampleSchemas.all)
        try fresh.addScope(scope)
        let plain = try Bench.plainDatabase(dir.appendingPathComponent("plain.db").path)
        var rng = SeededGenerator(seed: 5)
        var applySeconds = 0.0, plainSeconds = 0.0
        var applied = 0
        for start in stride(from: 0, to: arrival.count, by: applyBatch) {
            let slice = Array(arrival[start..<min(arrival.count, start + applyBatch)])
            // The session's path: each change checked on its own, refusals reported, not thrown.
            applySeconds += try Bench.time {
                let result = try fresh.receive(slice, in: scope)
                guard result.refused.isEmpty else { throw ValidationError("refused: \(result.refused.prefix(3))") }
                applied += result.applied
            }
            plainSeconds += try Bench.time {
                try plain.write { db in
                    for i in start..<min(arrival.count, start + applyBatch) { try Bench.plainInsert(db, rows[i], rng: &rng) }
                }
            }
        }
        guard applied == arrival.count else { throw ValidationError("applied \(applied) of \(arrival.count) changes") }
        let perSecond = Double(applied) / applySeconds
        // What checking every change's own signature would cost, alone (one core): the work
        // sealed chains save, since a receiver checks one signature per run.
        let decoded = try arrival.map { try SignedChange(serialized: $0) }
        var keys: [ReplicaID: [UInt8]] = [:]
        for change in decoded where change.header.seq == 1 { keys[change.header.replica] = change.header.authorKey }
        let verifySeconds = try Bench.time {
            for change in decoded { try change.verifySignature(publicKey: keys[change.header.replica]!) }
        }
        line(String(format: "W2 apply remote changes: %d signed changes from %d replicas in batches of %d: %.2f s, %.0f changes/s (goal ≥ 100k/s)",
                    applied, writers, applyBatch, applySeconds, perSecond))
        line(String(format: "W2 against plain SQLite inserts of the same rows: %.2f s vs %.2f s, ratio %.2f× (goal ≤ 3×); %.0f bytes per change, %.0f on the wire in deflated batches of %d",
                    applySeconds, plainSeconds, applySeconds / plainSeconds, Double(bytes) / Double(applied), Double(deflatedBytes) / Double(applied), applyBatch))
        line(String(format: "W2 checking every change's own signature instead of one per run would take %.2f s more on one core (%d signatures, %.0f µs each)",
                    verifySeconds, decoded.count, 1e6 * verifySeconds / Double(decoded.count)))
        return [
            "verifySeconds": verifySeconds,
            "changes": Double(applied), "replicas": Double(writers), "batch": Double(applyBatch),
            "seconds": applySeconds, "changesPerSecond": perSecond, "plainSeconds": plainSeconds,
            "ratio": applySeconds / plainSeconds, "bytesPerChange": Double(bytes) / Double(applied),
            "deflatedBytesPerChange": Double(deflatedBytes) / Double(applied),
        ]
    }
}
