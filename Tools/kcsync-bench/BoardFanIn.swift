import ArgumentParser
import BoardServer
import Foundation
import GRDB
import Hummingbird
import KCModel
import KCReplica
import Logging
import SchoolDaemon
import SyncCore
import SyncNet
import SyncProtocol
import SyncStore
import SyncTestKit
import Synchronization

// W5 (board fan-in): 72 schools × 5,000 shared changes taken in by a real board server on
// loopback, then the merged-view queries the board's pages and API run.

extension Bench {
    /// One shared trend figure: the i-th of a school. 80 series (4 subjects × groups 4–8 ×
    /// 4 metrics) over consecutive periods from 2000-2001 M on; values and n at random (some
    /// groups under 10 pupils, so suppression is part of the work).
    struct FigureRow {
        var school: String
        var subjectArea: String
        var period: String
        var group: String
        var metric: String
        var value: Double
        var pupils: Int
        var ambition: Double
        var interpretation: String

        static let areas = ["rekenen", "begrijpend lezen", "technisch lezen", "spelling"]
        static let metrics = TrendMetric.allCases.map(\.rawValue)

        init(school: String, index i: Int, rng: inout SeededGenerator) {
            let series = i % 80
            self.school = school
            subjectArea = FigureRow.areas[series % 4]
            group = String(4 + (series / 4) % 5)
            metric = FigureRow.metrics[series / 20]
            let step = i / 80
            period = Period("\(2000 + step / 2)-\(2001 + step / 2) \(step % 2 == 0 ? "M" : "E")")!.description
            value = Double(Int.random(in: 300...900, using: &rng)) / 10
            pupils = Int.random(in: 8...30, using: &rng)
            ambition = 50
            interpretation = i % 10 == 0 ? "Duiding van het leerteam bij meting \(step) van groep \(group)." : ""
        }
    }

    /// `schools` school replicas, each with `changes` shared figures in its board scope, one
    /// change each (written 1,000 to a transaction).
    static func fanInSchools(_ count: Int, changes: Int, in dir: URL, board: BoardReplica) throws -> ([KCReplica], [FigureRow]) {
        var schools: [KCReplica] = []
        var all: [FigureRow] = []
        all.reserveCapacity(count * changes)
        for s in 0..<count {
            let brin = String(format: "%02d", s % 100) + "F" + String(UnicodeScalar(UInt8(65 + s / 100)))
            let school = try KCReplica.create(in: dir.appendingPathComponent(brin), school: brin, board: "41234")
            try board.register(school: brin, key: school.publicKeyHex)
            var rng = SeededGenerator(seed: UInt64(s + 1))
            let rows = (0..<changes).map { FigureRow(school: brin, index: $0, rng: &rng) }
            let t = KCSchemas.trendAnalysis.name
            var written = 0
            while written < changes {
                let n = min(1_000, changes - written)
                try school.store.transaction { tx throws(SyncError) in
                    for row in rows[written..<(written + n)] {
                        try tx.change(in: school.boardScope) { b throws(SyncError) in
                            let id = b.newEntity(type: t)
                            try b.assign(.text(row.school), to: "school", of: id, type: t)
                            try b.assign(.text(row.subjectArea), to: "subjectArea", of: id, type: t)
                            try b.assign(.text(row.period), to: "period", of: id, type: t)
                            try b.assign(.text(row.group), to: "group", of: id, type: t)
                            try b.assign(.text(row.metric), to: "metric", of: id, type: t)
                            // What a school's board copy carries: a band instead of n, and for
                            // a small cell neither the value nor the leerteam's text.
                            let band = PupilsBand(pupils: row.pupils)
                            try b.assign(.text(band.rawValue), to: "pupilsBand", of: id, type: t)
                            if band == .under10 {
                                try b.assign(.text(Suppression.smallCell.rawValue), to: "suppression", of: id, type: t)
                            } else {
                                try b.assign(.real(row.value), to: "value", of: id, type: t)
                            }
                            try b.assign(.real(row.ambition), to: "ambition", of: id, type: t)
                            if !row.interpretation.isEmpty && band != .under10 {
                                try b.setText(row.interpretation, field: "interpretation", of: id, type: t)
                            }
                            try b.assign(.text("board"), to: "visibility", of: id, type: t)
                        }
                    }
                }
                written += n
            }
            schools.append(school)
            all += rows
        }
        return (schools, all)
    }

    /// The baseline: the same rows inserted into a plain table with the same index (same
    /// configuration, 1,000 to a transaction), and the plain query a merged-view query cannot
    /// do with less: the rows of one subject in the periods the view shows.
    static func plainFigures(_ rows: [FigureRow], path: String) throws -> (insertSeconds: Double, pool: DatabasePool) {
        let pool = try DatabasePool(path: path, configuration: ReplicaStore.configuration())
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE figure (rowid INTEGER PRIMARY KEY, school TEXT, subjectArea TEXT, period TEXT, "group" TEXT,
                                     metric TEXT, value REAL, pupils INTEGER, ambition REAL, interpretation TEXT)
                """)
            try db.execute(sql: "CREATE INDEX figure_view ON figure (subjectArea, period)")
        }
        let seconds = try Bench.time {
            var index = 0
            while index < rows.count {
                let slice = rows[index..<min(index + 1_000, rows.count)]
                try pool.write { db in
                    let statement = try db.cachedStatement(sql: """
                        INSERT INTO figure (school, subjectArea, period, "group", metric, value, pupils, ambition, interpretation)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                    for row in slice {
                        try statement.execute(arguments: [row.school, row.subjectArea, row.period, row.group, row.metric,
                                                          row.value, row.pupils, row.ambition, row.interpretation])
                    }
                }
                index += slice.count
            }
        }
        return (seconds, pool)
    }

    /// Runs `session` until `done` (checked every 50 ms), then cancels it; a session that ends
    /// before is run again after 100 ms, as the daemon would. How many times it was run again.
    static func retried(until done: @escaping @Sendable () -> Bool, _ session: @escaping @Sendable () async -> Void) async -> Int {
        var retries = 0
        while true {
            let ended = EndFlag()
            let running = Task {
                await session()
                ended.set()
            }
            while !ended.isSet, !done() { try? await Task.sleep(for: .milliseconds(50)) }
            if done() {
                running.cancel()
                _ = await running.value
                return retries
            }
            retries += 1
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

    func w5() async throws -> [String: Double] {
        // 72 school databases, their sessions' sockets at both ends: past the default 1,024
        // descriptors, where libdispatch's worker monitor traps when it cannot open /proc.
        Bench.raiseFileLimit()
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let logger = Bench.quietLogger("kcsync.bench")
        let board = try BoardReplica.create(in: dir.appendingPathComponent("board"), board: "41234")
        var schools: [KCReplica] = []
        var rows: [FigureRow] = []
        let generated = try Bench.time { (schools, rows) = try Bench.fanInSchools(w5Schools, changes: w5Changes, in: dir, board: board) }
        let total = w5Schools * w5Changes

        // Intake: every school connects at once and syncs until the board holds its changes.
        let (url, server) = try await Bench.startBoard(board, schools: w5Schools, logger: logger)
        defer { server.cancel() }
        let quiet = logger
        let expected = UInt64(w5Changes)
        let boardHolds = { @Sendable (school: KCReplica) in
            ((try? board.store.versionVector(board.scope)) ?? VersionVector())[school.store.replicaID] >= expected
        }
        // Light schools (the default): what each school holds is taken from its replica
        // first, and sent by the real session state machine, which acknowledges what the
        // board sends down and stores nothing. The figure is then the board's work (verify,
        // admit, store, keep the merged view, push every change to the 71 others) and not 72
        // replicas on the same two cores storing 71 schools' figures each.
        let uploads = try w5FullSchools ? [] : schools.map { try $0.store.changes(in: $0.boardScope, missingFrom: VersionVector()) }
        // A light school acknowledges at once, far faster than a replica applies: the receive
        // rate limit of its own session (20,000 a second after a burst of 100,000) would end
        // the session and start its download over, work no real school makes the board do.
        var unlimited = SessionLimits.standard
        unlimited.changesPerSecond = 1e9
        unlimited.changesBurst = 1e9
        let start = ContinuousClock.now
        let retries = await withTaskGroup(of: Int.self) { group in
            for (i, school) in schools.enumerated() {
                if w5FullSchools {
                    group.addTask {
                        await Bench.retried(until: { boardHolds(school) }) {
                            _ = await LinkService.syncOnce(replica: school, target: .board(url: url), notifier: ChangeNotifier(),
                                                           logger: quiet, status: nil, stopWhenCaughtUp: false)
                        }
                    }
                } else {
                    let client = HubSchool(key: school.store.key, school: school.configuration.school, offset: 0, initial: uploads[i],
                                           writes: false, limits: unlimited)
                    group.addTask {
                        await Bench.retried(until: { boardHolds(school) }) {
                            await client.run(url: url + "/sync", start: Date(), until: 0, lags: nil, logger: quiet)
                        }
                    }
                }
            }
            var retries = 0
            for await n in group { retries += n }
            return retries
        }
        let intake = (ContinuousClock.now - start) / .seconds(1)
        let held = try board.store.changeCount(board.scope)
        guard held == total else { throw ValidationError("W5 intake incomplete: the board holds \(held) of \(total) changes") }
        let (plainSeconds, plain) = try Bench.plainFigures(rows, path: dir.appendingPathComponent("plain.db").path)

        // Merged-view queries as the pages and the API ask them: one subject, one period.
        let periods = Set(rows.map(\.period)).compactMap(Period.init).sorted()
        var rng = SeededGenerator(seed: 5)
        var times: [Double] = []
        var plainTimes: [Double] = []
        for _ in 0..<w5Queries {
            let area = SubjectArea(rawValue: FigureRow.areas.randomElement(using: &rng)!)!
            let period = periods.randomElement(using: &rng)!
            var report: BoardReport?
            times.append(try Bench.time { report = try board.report(period: period, subjectArea: area) } * 1000)
            guard let report, !report.subjects.isEmpty else { throw ValidationError("W5: an empty merged view") }
            let window = periods.filter { $0 <= period }.suffix(BoardReport.window).map(\.description)
            plainTimes.append(try Bench.time {
                _ = try plain.read { db in
                    try Row.fetchAll(db, sql: "SELECT * FROM figure WHERE subjectArea = ? AND period IN (\(window.map { _ in "?" }.joined(separator: ", ")))",
                                     arguments: StatementArguments([area.rawValue] + window)).count
                }
            } * 1000)
        }
        var full: BoardReport?
        let fullMillis = try Bench.time { full = try board.report() } * 1000
        times.sort()
        plainTimes.sort()
        let p99 = Bench.percentile(times, 0.99), p50 = Bench.percentile(times, 0.5)
        let plainP99 = Bench.percentile(plainTimes, 0.99)
        line(String(format: "W5 board fan-in, %d %@ schools × %d shared changes: intake %.1f s (%.0f changes/s, %d sessions retried; plain SQLite inserts of the same rows %.1f s, ratio %.1f×); merged-view queries (one subject, one period, %d series) p50 %.0f ms, p99 %.0f ms (plain SELECT of the same rows p99 %.1f ms, ratio %.1f×); the whole view %.0f ms; data made in %.0f s",
                    w5Schools, w5FullSchools ? "full" : "light", w5Changes, intake, Double(total) / intake, retries, plainSeconds, intake / plainSeconds,
                    full?.subjects.first?.series.count ?? 0, p50, p99, plainP99, p99 / max(plainP99, 0.001), fullMillis, generated))
        return [
            "schools": Double(w5Schools), "fullSchools": w5FullSchools ? 1 : 0, "changesPerSchool": Double(w5Changes), "intakeSeconds": intake,
            "changesPerSecond": Double(total) / intake, "sessionRetries": Double(retries), "plainInsertSeconds": plainSeconds, "intakeRatio": intake / plainSeconds,
            "p50Millis": p50, "p99Millis": p99, "plainQueryP99Millis": plainP99, "p99Ratio": p99 / max(plainP99, 0.001),
            "fullViewMillis": fullMillis, "queries": Double(w5Queries),
        ]
    }
}

/// Set once a school's session has ended on its own (W5 retries it).
final class EndFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
