import Foundation
import GRDB
import KCModel
@testable import KCReplica
import SyncCore
import SyncStore
import SyncTestKit
import Testing

/// The board keeps its merged trend view ready per period (``BoardTrendView``). What a page
/// reads from the kept rows must be, after every kind of change, exactly what computing the
/// view from the figures gives; and a replica that cannot vouch for its rows computes.
struct BoardTrendViewTests {
    static let periods = (2019..<2026).flatMap { year in ["M", "E"].map { Period("\(year)-\(year + 1) \($0)")! } }
    static let areas: [SubjectArea] = [.arithmetic, .readingComprehension]
    static let metrics: [TrendMetric] = [.percentLevelIandII, .meanAbility]

    /// Every period the board knows, one before and one after them all, each subject and all
    /// of them: the kept rows are up to date and read as the computed view.
    static func expectKeptIsComputed(_ board: BoardReplica, _ note: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let known = try board.periods()
        let asked = known + [Period("2018-2019 M")!, Period("2027-2028 E")!]
        for period in asked {
            for area in [nil] + areas {
                let kept = try BoardReport.kept(store: board.store, scope: board.scope, period: period, subjectArea: area)
                let computed = try BoardReport.computed(store: board.store, scope: board.scope, period: period, subjectArea: area, ownSchool: false)
                #expect(kept != nil, "\(note): the kept view is not up to date for \(period)", sourceLocation: sourceLocation)
                #expect(kept == computed, "\(note): \(period) \(area?.rawValue ?? "all")", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func theKeptViewIsTheComputedViewAfterEveryChange() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SeededGenerator(seed: seed)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-kept-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let board = try BoardReplica.create(in: directory.appendingPathComponent("board"), board: "41234")
        var schools: [KCReplica] = []
        for brin in ["12AB", "34CD", "56EF"] {
            let school = try KCReplica.create(in: directory.appendingPathComponent(brin), school: brin, board: "41234")
            try board.register(school: brin, key: school.publicKeyHex)
            schools.append(school)
        }
        func deliver(_ index: Int) throws {
            let school = schools[index]
            let result = try board.store.apply(try school.store.changes(in: school.boardScope, missingFrom: board.store.versionVector(board.scope)))
            #expect(result.refused.isEmpty, "seed \(seed): \(result.refused)")
        }
        // Periods arrive out of order: a later year first, then older ones in between.
        let order = Self.periods.shuffled(using: &rng)
        for round in 0..<8 {
            for index in schools.indices {
                var drafts: [String: TrendDraft] = [:]
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    var draft = TrendDraft(
                        subjectArea: Self.areas.randomElement(using: &rng)!,
                        period: order[Int.random(in: 0...min(order.count - 1, 2 * round + 1), using: &rng)],
                        group: ["5", "6", "7"].randomElement(using: &rng)!,
                        metric: Self.metrics.randomElement(using: &rng)!,
                        value: Double(Int.random(in: 300...900, using: &rng)) / 10,
                        // Some cells under ten pupils: withheld at the board, and figures
                        // that were shown become withheld (their copy erased and made again).
                        pupils: Int.random(in: 6...30, using: &rng))
                    if Bool.random(using: &rng) { draft.ambition = 60 }
                    draft.interpretation = Bool.random(using: &rng) ? "ronde \(round)" : ""
                    drafts[draft.key] = draft
                }
                try schools[index].addTrends(Array(drafts.values))
                try deliver(index)
                try Self.expectKeptIsComputed(board, "seed \(seed), round \(round), school \(index)")
            }
        }
        // The board's views offer the subjects that have figures, read without reading them.
        let held = try BoardReport.figures(store: board.store, scope: board.scope)
        #expect(try BoardReport.subjectAreas(store: board.store, scope: board.scope) == SubjectArea.allCases.filter { area in held.contains { $0.subjectArea == area } })
        // The board erases figures, among them every figure of one period: it leaves the list.
        let figures = try BoardReport.figures(store: board.store, scope: board.scope)
        let gone = try #require(Dictionary(grouping: figures, by: \.period).min { $0.value.count < $1.value.count })
        for figure in gone.value + figures.shuffled(using: &rng).prefix(3) {
            _ = try? board.erase(figure.id.hex, reason: "test")
        }
        #expect(try !board.periods().contains(gone.key), "seed \(seed)")
        try Self.expectKeptIsComputed(board, "seed \(seed), after erasing")
        // And the page the board reads is the one computed.
        let page = try board.report(period: try board.periods().last)
        #expect(!page.subjects.isEmpty)
    }

    /// A writer that does not keep the view (another process opening the store without it)
    /// leaves notes; the board then computes from the figures, and its next transaction works
    /// the notes off.
    @Test func aWriterThatDoesNotKeepTheViewMakesTheBoardCompute() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-kept-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let board = try BoardReplica.create(in: directory.appendingPathComponent("board"), board: "41234")
        let school = try KCReplica.create(in: directory.appendingPathComponent("12AB"), school: "12AB", board: "41234")
        try board.register(school: "12AB", key: school.publicKeyHex)
        let period = Self.periods[3]
        try school.addTrends([TrendDraft(subjectArea: .arithmetic, period: period, group: "6", metric: .meanAbility, value: 40, pupils: 25)])
        _ = try board.store.apply(try school.store.changes(in: school.boardScope, missingFrom: VersionVector()))
        let before = try board.report(period: period)
        #expect(before.subjects.first?.series.first?.points.map(\.value) == [40])

        let sent = try board.store.versionVector(board.scope)
        try school.addTrends([TrendDraft(subjectArea: .arithmetic, period: period, group: "6", metric: .meanAbility, value: 47, pupils: 25)])
        let other = try ReplicaStore.open(path: KCReplica.databasePath(in: directory.appendingPathComponent("board")), schemas: KCSchemas.all,
                                          policy: KCReplica.admission, keyFile: KCReplica.keyPath(in: directory.appendingPathComponent("board")))
        let result = try other.apply(try school.store.changes(in: school.boardScope, missingFrom: sent))
        #expect(result.applied > 0)
        // The rows still say 40; the board must not show them.
        #expect(try BoardReport.kept(store: board.store, scope: board.scope, period: period, subjectArea: nil) == nil)
        #expect(try board.report(period: period).subjects.first?.series.first?.points.map(\.value) == [47])

        // The board's next write of its own brings the rows up to date.
        _ = try board.adviceBook.add(AdviceDraft(period: period, subjectArea: .arithmetic, signal: "dalende trend", advice: "Blijf de vaardigheid volgen.", author: "bestuur"))
        try Self.expectKeptIsComputed(board, "after the board's own write")
        #expect(try board.report(period: period).subjects.first?.series.first?.points.map(\.value) == [47])
    }

    @Test func keptPointsReadBackAndBadBytesAreRefused() throws {
        let points = [PackedPoints.Point(period: "2023-2024 M", value: 87.5, band: .from20),
                      PackedPoints.Point(period: "2023-2024 E", value: nil, band: .under10),
                      PackedPoints.Point(period: "2024-2025 M", value: -0.25, band: .from10)]
        let bytes = PackedPoints.encode(points)
        #expect(PackedPoints.decode(bytes) == points)
        #expect(PackedPoints.decode(PackedPoints.encode([])) == [])
        for cut in 0..<bytes.count {
            #expect(PackedPoints.decode(bytes.prefix(cut)) == nil, "a prefix of \(cut) bytes read as points")
        }
        #expect(PackedPoints.decode(bytes + [0]) == nil)
        var flag = bytes
        flag[1 + 1 + 11 + 1 + PupilsBand.from20.rawValue.utf8.count] = 2
        #expect(PackedPoints.decode(flag) == nil)
    }

    /// A page for one subject and period reads that period's rows by the primary key.
    @Test func theKeptViewIsReadByItsKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-kept-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let board = try BoardReplica.create(in: directory.appendingPathComponent("board"), board: "41234")
        let plan = try board.store.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT points FROM trend_view_series WHERE scope = 1 AND subjectArea = 'rekenen' AND period = '2024-2025 M'
                """).map { $0["detail"] as String }.joined(separator: "; ")
        }
        #expect(plan.contains("USING PRIMARY KEY (scope=? AND period=? AND subjectArea=?)"), "\(plan)")
    }
}
