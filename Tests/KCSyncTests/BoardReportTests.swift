import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncStore
import Testing

/// The merged view's window: the last eight periods up to the one asked for.
struct BoardReportTests {
    @Test func theViewShowsFourSchoolYearsUpToThePeriodAskedFor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let board = try BoardReplica.create(in: directory.appendingPathComponent("board"), board: "41234")
        let school = try KCReplica.create(in: directory.appendingPathComponent("12AB"), school: "12AB", board: "41234")
        try board.register(school: "12AB", key: school.publicKeyHex)
        // Five school years of one series, falling from the third year on.
        let periods = (2020..<2025).flatMap { year in ["M", "E"].map { Period("\(year)-\(year + 1) \($0)")! } }
        let values: [Double] = [50, 51, 50, 52, 51, 50, 48, 46, 44, 42]
        let t = KCSchemas.trendAnalysis.name
        _ = try school.store.transaction { tx throws(SyncError) in
            try tx.change(in: school.boardScope) { b throws(SyncError) in
                for (period, value) in zip(periods, values) {
                    let id = b.newEntity(type: t)
                    try b.assign(.text("12AB"), to: "school", of: id, type: t)
                    try b.assign(.text("rekenen"), to: "subjectArea", of: id, type: t)
                    try b.assign(.text(period.description), to: "period", of: id, type: t)
                    try b.assign(.text("6"), to: "group", of: id, type: t)
                    try b.assign(.text(TrendMetric.percentLevelIandII.rawValue), to: "metric", of: id, type: t)
                    try b.assign(.real(value), to: "value", of: id, type: t)
                    try b.assign(.integer(period == periods[9] ? 9 : 25), to: "pupils", of: id, type: t)
                }
            }
        }
        _ = try board.store.apply(try school.store.changes(in: school.boardScope, missingFrom: VersionVector()))
        let latest = try board.report()
        let series = try #require(latest.subjects.first?.series.first)
        #expect(latest.subjects.first?.periods == periods.suffix(8).map(\.description))
        #expect(series.points.map(\.period) == periods.suffix(8).map(\.description))
        // The latest figure is over 9 pupils: shown as "< 10", and the direction uses the shown figures before it.
        #expect(series.points.last?.display == "< 10" && series.points.last?.value == nil)
        #expect(series.direction == TrendDirection.falling.rawValue)

        let earlier = try board.report(period: periods[4])
        let old = try #require(earlier.subjects.first?.series.first)
        #expect(old.points.map(\.period) == periods.prefix(5).map(\.description))
        #expect(old.direction == TrendDirection.stable.rawValue)   // 50, 52, 51: within 2 points
        #expect(earlier.signals.isEmpty)
        #expect(try board.periods() == periods)
    }
}

/// No school writes in another's name: the board refuses a record naming a school when the
/// replica that wrote it is not registered for that school.
struct BoardAdmissionTests {
    @Test func aReactionInAnotherSchoolsNameIsRefusedAndChangesNothing() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-admission-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let board = try BoardReplica.create(in: root.appendingPathComponent("board"), board: "41234")
        let honest = try KCReplica.create(in: root.appendingPathComponent("12AB"), school: "12AB", board: "41234")
        let forger = try KCReplica.create(in: root.appendingPathComponent("34CD"), school: "34CD", board: "41234")
        try board.register(school: "12AB", key: honest.publicKeyHex)
        try board.register(school: "34CD", key: forger.publicKeyHex)

        // An advice reaches both schools from the board.
        var draft = AdviceDraft(period: Period("2025-2026 E")!, subjectArea: .spelling, signal: "dalende trend spelling", advice: "Oefen dagelijks.", author: "bestuur")
        draft.suggestedAgreements = []
        let advice = try board.adviceBook.add(draft)
        let fromBoard = try board.store.changes(in: board.scope, missingFrom: VersionVector())
        _ = try honest.store.apply(fromBoard)
        _ = try forger.store.apply(fromBoard)

        // 34CD writes a reaction that says it comes from 12AB.
        let r = KCSchemas.adviceResponse.name
        try forger.store.write(in: forger.boardScope) { b throws(SyncError) in
            let id = b.newEntity(type: r)
            try b.assign(.id(advice.id), to: "advice", of: id, type: r)
            try b.assign(.text("12AB"), to: "school", of: id, type: r)
            try b.assign(.text(AdviceReaction.notApplicable.rawValue), to: "reaction", of: id, type: r)
        }
        let before = try board.store.stateHash()
        let forged = try forger.store.changes(in: forger.boardScope, missingFrom: try board.store.versionVector(board.scope))
        #expect(forged.count == 1)
        #expect(throws: SyncError.self) { try board.store.apply(forged) }
        #expect(try board.store.stateHash() == before)
        #expect(try board.adviceBook.responses()[advice.id] == nil)

        // The real 12AB answers for itself: accepted.
        _ = try honest.respond(to: advice.id, reaction: .seen, comment: "", owner: "kc'er", due: honest.todayDay + 42)
        _ = try board.store.apply(try honest.store.changes(in: honest.boardScope, missingFrom: try board.store.versionVector(board.scope)))
        #expect(try board.adviceBook.responses()[advice.id]?.map(\.school) == ["12AB"])
    }
}
