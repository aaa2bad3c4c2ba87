import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// Small numbers stay home: a figure over fewer than 10 pupils leaves its school without value
/// or n, and no set of shared figures gives one back.
struct SmallCellTests {
    nonisolated(unsafe) static var rng = SystemRandomNumberGenerator()

    static func figure(_ group: String, n: Int, value: Double = 50, area: SubjectArea = .arithmetic) -> TrendFigure {
        TrendFigure(id: EntityID(millis: 1, using: &SmallCellTests.rng), school: "12AB", subjectArea: area, period: Period("2025-2026 E")!, group: group,
                    metric: .percentLevelIandII, value: value, pupils: n)
    }

    @Test func aCohortOverASmallGroupIsWithheldToo() {
        let six = SmallCellTests.figure("6", n: 24)
        let seven = SmallCellTests.figure("7", n: 8)
        let cohort = SmallCellTests.figure("6-7", n: 32)
        let wide = SmallCellTests.figure("5–7", n: 55)
        let five = SmallCellTests.figure("5", n: 23)
        let team = SmallCellTests.figure("bovenbouw", n: 60)
        let otherSubject = SmallCellTests.figure("6-7", n: 40, area: .spelling)
        let withheld = TrendSuppression.withheld([six, seven, cohort, wide, five, team, otherSubject])
        #expect(withheld[seven.id] == .smallCell)
        #expect(withheld[cohort.id] == .complementary)
        #expect(withheld[wide.id] == .complementary)
        // A group that cannot be read is withheld beside any small cell (fail closed).
        #expect(withheld[team.id] == .complementary)
        #expect(withheld[six.id] == nil && withheld[five.id] == nil && withheld[otherSubject.id] == nil)
    }

    /// Over random sets of groups and cohorts: whatever is shared covers no withheld group, so
    /// no sum or difference of shared figures isolates a small cell.
    @Test func noSharedFigureCoversAWithheldOne() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            var figures: [TrendFigure] = []
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let low = Int.random(in: 1...8, using: &random)
                let high = Int.random(in: low...8, using: &random)
                let n = Int.random(in: 3...40, using: &random) * (high - low + 1)
                figures.append(SmallCellTests.figure(low == high ? "\(low)" : "\(low)-\(high)", n: n))
            }
            let withheld = TrendSuppression.withheld(figures)
            for figure in figures where figure.pupils! < 10 { #expect(withheld[figure.id] == .smallCell) }
            for hidden in figures where withheld[hidden.id] != nil {
                let inner = TrendSuppression.coverage(hidden.group)!
                for shown in figures where withheld[shown.id] == nil {
                    let outer = TrendSuppression.coverage(shown.group)!
                    #expect(!(outer.contains(inner.lowerBound) && outer.contains(inner.upperBound)),
                            "\(shown.group) is shared and covers the withheld \(hidden.group)")
                }
            }
        }
    }

    /// A cohort shared with its value while it was safe, then a small group inside it: the old
    /// copy is erased everywhere (its value could give the small group back) and a copy
    /// without value takes its place. The board and its schools receive it through real sync.
    @Test func aCopyThatBecomesRevealingIsErasedNotJustHidden() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-cells-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let board = try BoardReplica.create(in: directory.appendingPathComponent("board"), board: "41234")
        let school = try KCReplica.create(in: directory.appendingPathComponent("12AB"), school: "12AB", board: "41234")
        try board.register(school: "12AB", key: school.publicKeyHex)
        let period = Period("2025-2026 E")!
        func draft(_ group: String, _ value: Double, _ n: Int) -> TrendDraft {
            TrendDraft(subjectArea: .arithmetic, period: period, group: group, metric: .percentLevelIandII, value: value, pupils: n)
        }
        try school.addTrends([draft("6", 41.25, 24), draft("6-7", 47.75, 32)])
        _ = try board.store.apply(try school.store.changes(in: school.boardScope, missingFrom: VersionVector()))
        let before = try BoardReport.figures(store: board.store, scope: board.scope)
        #expect(Set(before.compactMap(\.value)) == [41.25, 47.75])
        #expect(before.allSatisfy { $0.pupils == nil } && Set(before.map(\.band)) == [.from20, .from30])

        // Groep 7 alone has 8 pupils: with 6 and 6-7 its value would follow.
        try school.addTrends([draft("7", 65.875, 8)])
        _ = try board.store.apply(try school.store.changes(in: school.boardScope, missingFrom: board.store.versionVector(board.scope)))
        let after = try BoardReport.figures(store: board.store, scope: board.scope)
        #expect(after.count == 3)
        #expect(after.first { $0.group == "7" }?.suppression == .smallCell && after.first { $0.group == "7" }?.value == nil)
        #expect(after.first { $0.group == "6-7" }?.suppression == .complementary && after.first { $0.group == "6-7" }?.value == nil)
        #expect(after.first { $0.group == "6" }?.value == 41.25)
        // Neither the cohort's old value nor the small cell's is in any byte of the board.
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("board").path)
        var bytes = Data()
        for name in files { bytes += (try? Data(contentsOf: directory.appendingPathComponent("board").appendingPathComponent(name))) ?? Data() }
        for value in [47.75, 65.875] {
            for encoding in DemoTests.encodings(value) { #expect(bytes.range(of: encoding) == nil, "\(value) is at the board") }
        }
        #expect(DemoTests.encodings(41.25).contains { bytes.range(of: $0) != nil })
        // At the school every figure is whole.
        #expect(Set(try school.trends().compactMap(\.value)) == [41.25, 47.75, 65.875])

        // A copy with a value over a small cell, or with n, signed by hand with the school's
        // registered key (the writer's own checks skipped), is refused by the board; nothing changes.
        let t = KCSchemas.trendAnalysis.name
        var rng = SystemRandomNumberGenerator()
        var forger = ChainForger(key: school.store.key, scope: school.boardScope,
                                 after: try school.store.changes(in: school.boardScope, missingFrom: VersionVector()).last
                                    .map { try SignedChange(serialized: $0) })
        let base: [String: Value] = ["school": .text("12AB"), "subjectArea": .text("rekenen"), "period": .text(period.description),
                                     "group": .text("8"), "metric": .text(TrendMetric.percent1F.rawValue)]
        for extra: [String: Value] in [["value": .real(33), "pupilsBand": .text(PupilsBand.under10.rawValue)],
                                       ["value": .real(33), "pupils": .integer(25), "pupilsBand": .text(PupilsBand.from20.rawValue)],
                                       ["value": .real(33)],
                                       ["value": .real(33), "pupilsBand": .text("25")]] {
            let held = try board.store.stateHash()
            let change = forger.next([ChainForger.assign(EntityID(millis: 1, using: &rng), type: t, base.merging(extra) { $1 })])
            let result = try board.store.receive([change.serialized()], in: school.boardScope)
            #expect(result.applied == 0 && result.refused.count == 1, "\(extra) was let in")
            #expect(try board.store.stateHash() == held)
            forger = ChainForger(key: school.store.key, scope: school.boardScope,
                                 after: try school.store.changes(in: school.boardScope, missingFrom: VersionVector()).last
                                    .map { try SignedChange(serialized: $0) })
        }
    }
}
