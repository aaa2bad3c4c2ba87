import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing
import GRDB

/// Issue 14, end to end: the board reads the Inspectie's file and every school receives its
/// signaleringswaarde through the board scope; schools compute and share their indicators; the
/// board judges them. And the attacker's side: a school cannot write a profile, for itself or
/// another, whoever relays it.
@Suite struct InspectieImportTests {
    /// The Inspectie's table as a school's IT person might save it: a title line, `;`, decimal commas.
    static let file = """
        Gemiddelde referentieniveaus primair onderwijs;;;;;;;;
        BRIN_NUMMER;VESTIGINGSNUMMER;VESTIGINGSNAAM;Schoolweging;Schoolwegingscategorie;Signaleringswaarde 1S/2F;Gewogen driejaarsgemiddelde %1F;Gewogen driejaarsgemiddelde %1S/2F;Uitkomst indicator 1S/2F
        12AB;00;De Esdoorn;30,4;[30,31);45,5;93,1;51,94;Boven signaleringswaarde
        34CD;00;De Beuk;27,2;[27,28);50,1;91,0;47,5;Onder signaleringswaarde
        34CD;01;De Beuk, dependance;33,1;[33,34);38,7;90,0;40,0;Boven signaleringswaarde
        78GH;00;Elders;30,9;[30,31);45,5;95,0;58,0;Boven signaleringswaarde
        """

    /// Groep 8 figures of three years, every subject at one value (the worked check of DOMAIN.md).
    static func groep8(_ values: [(year: Int, value: Double, pupils: Int)], metric: TrendMetric, floor: Double? = nil) -> [TrendDraft] {
        values.flatMap { row in
            InspectionModel.subjects.map { area in
                var draft = TrendDraft(subjectArea: area, period: Period(startYear: row.year, moment: .end), group: "8", metric: metric,
                                       value: row.value, pupils: row.pupils)
                draft.inspectionThreshold = floor
                return draft
            }
        }
    }

    @Test func theBoardsFileReachesTheSchoolsAndTheirIndicatorsAreJudged() throws {
        let f = try AuthorityTests.Board()
        try f.board.register(school: "56EF", key: Hex.encode(ReplicaKey().publicKey))
        let result = try f.board.importInspectie(Data(Self.file.utf8))
        #expect(result.matched.map(\.brin) == ["12AB", "34CD"])
        #expect(result.missing == ["56EF"], "a school of the board the file lacks is named")
        #expect(result.otherLocations == ["34CD": ["01"]])
        #expect(result.rowsInFile == 4)

        // 12AB has no floor of its own: it comes with the board scope.
        #expect(f.a.threshold1S2F == nil)
        try f.deliver(from: f.board.store, to: f.a.store)
        #expect(f.a.threshold1S2F?.value == 45.5 && f.a.threshold1S2F?.source == "het bestand van de inspectie")
        #expect(f.a.inspectionProfile()?.published1S2F == 51.94)

        // Its figures: the worked check, so kcsync's value is the Inspectie's.
        try f.a.addTrends(Self.groep8([(2023, 55.56, 18), (2024, 51.28, 13), (2025, 47.22, 12)], metric: .percent2F1S)
                          + Self.groep8([(2023, 95, 18), (2024, 92, 13), (2025, 90, 12)], metric: .percent1F))
        let mine = try f.a.inspectionIndicators()
        let high = try #require(mine.first { $0.indicator == .percent1S2F })
        #expect(InspectionTests.rounded(high.value) == f.a.inspectionProfile()?.published1S2F)
        #expect(high.outcome == .above && high.threshold == 45.5)

        // Shared with the board without n, and judged there against the file's value.
        #expect(try f.deliver(from: f.a.store, to: f.board.store).refused.isEmpty)
        let report = try f.board.report()
        let row = try #require(report.inspection.first { $0.school == "12AB" })
        let judged = try #require(row.indicators.first { $0.indicator == "1S/2F" })
        #expect(InspectionTests.rounded(judged.value) == 51.94 && judged.judgedOn == "school" && judged.outcome == "boven de signaleringswaarde")
        #expect(judged.pupilsBand == PupilsBand.from30.rawValue && judged.inspectiePublished == 51.94)
        // 34CD shared nothing: the board shows the Inspectie's own judgment, said as such.
        let other = try #require(report.inspection.first { $0.school == "34CD" }?.indicators.first { $0.indicator == "1S/2F" })
        #expect(other.value == nil && other.judgedOn == "inspectie" && other.outcome == "onder de signaleringswaarde")
        // The board's copy of the indicator has no n anywhere.
        let stored = try f.board.store.read { db in try Row.fetchAll(db, sql: "SELECT * FROM \"record_inspectionIndicator\"") }
        #expect(!stored.isEmpty && stored.allSatisfy { !$0.hasColumn("pupils") })
    }

    @Test func aYearUnderTenPupilsKeepsTheValueAtSchool() throws {
        let f = try AuthorityTests.Board()
        _ = try f.board.importInspectie(Data(Self.file.utf8))
        try f.deliver(from: f.board.store, to: f.a.store)
        try f.a.addTrends(Self.groep8([(2023, 90, 25), (2024, 90, 8), (2025, 90, 25)], metric: .percent1F))
        #expect(try f.a.inspectionIndicators().first { $0.indicator == .percent1F }?.value == 90, "the school sees its own value")
        #expect(try f.deliver(from: f.a.store, to: f.board.store).refused.isEmpty)
        let judged = try #require(try f.board.report().inspection.first { $0.school == "12AB" }?.indicators.first { $0.indicator == "1F" })
        #expect(judged.value == nil && judged.withheld)
        // A hand-made copy that carries the value anyway is refused by the board.
        let t = KCSchemas.inspectionIndicator.name
        var rng = SystemRandomNumberGenerator()
        let forged = ChainForger.assign(EntityID(millis: 2, using: &rng), type: t, [
            "school": .text("12AB"), "indicator": .text("1F"), "throughYear": .integer(2025), "value": .real(90),
            "pupilsBand": .text(PupilsBand.under10.rawValue), "years": .integer(3)])
        // It continues 12AB's own chain, signed with 12AB's own key.
        let tip = try f.a.store.changes(in: f.a.boardScope, missingFrom: VersionVector()).map { try SignedChange(serialized: $0) }
            .last { $0.header.replica == f.a.store.replicaID }
        var forger = ChainForger(key: f.a.store.key, scope: f.a.boardScope, after: tip)
        let before = try f.board.store.stateHash()
        let refused = try f.board.store.receive([forger.next([forged]).serialized()], in: f.a.boardScope).refused
        #expect(refused.map(\.code) == ["scopeNotAllowed"], "\(refused)")
        #expect(try f.board.store.stateHash() == before)
        // Remote numbers are checked before anyone compares them: a year from nowhere is refused too.
        var later = ChainForger(key: f.a.store.key, scope: f.a.boardScope, after: tip)
        let absurd = later.next([ChainForger.assign(EntityID(millis: 5, using: &rng), type: t, [
            "school": .text("12AB"), "indicator": .text("1F"), "throughYear": .integer(Int64.max), "years": .integer(3)])])
        #expect(try f.board.store.receive([absurd.serialized()], in: f.a.boardScope).refused.map(\.code) == ["scopeNotAllowed"])
        #expect(try f.board.store.stateHash() == before)
    }

    /// A hostile school with a registered key writes a profile: for another school with a low
    /// signaleringswaarde, or for itself. Its own replica refuses to write it; hand-signed, the
    /// board and the other school refuse it, and nothing changes.
    @Test func onlyTheBoardWritesAProfileWhoeverRelaysIt() throws {
        let f = try AuthorityTests.Board()
        let t = KCSchemas.inspectionProfile.name
        #expect(throws: SyncError.self) {
            try f.b.store.write(in: f.b.boardScope) { builder throws(SyncError) in
                let id = builder.newEntity(type: t)
                try builder.assign(.text("34CD"), to: "school", of: id, type: t)
                try builder.assign(.text("34CD"), to: "about", of: id, type: t)
                try builder.assign(.real(10), to: "threshold1S2F", of: id, type: t)
            }
        }
        var rng = SystemRandomNumberGenerator()
        for fields: [String: Value] in [["school": .text(""), "about": .text("12AB"), "threshold1S2F": .real(90)],
                                        ["school": .text("34CD"), "about": .text("34CD"), "threshold1S2F": .real(10)]] {
            var forger = ChainForger(key: f.b.store.key, scope: f.b.boardScope)
            let change = forger.next([ChainForger.assign(EntityID(millis: 3, using: &rng), type: t, fields)])
            for receiver in [f.board.store, f.a.store] {
                let before = try receiver.stateHash()
                let result = try receiver.receive([change.serialized()], in: f.b.boardScope)
                #expect(result.refused.map(\.code) == ["notOwner"], "\(result.refused)")
                #expect(try receiver.stateHash() == before)
            }
        }
        #expect(f.a.inspectionProfile() == nil)
        // A profile from the board with a number out of range is refused at the school too.
        var boardForger = ChainForger(key: f.board.store.key, scope: f.board.scope)
        let absurd = boardForger.next([ChainForger.assign(EntityID(millis: 4, using: &rng), type: t,
                                                          ["school": .text(""), "about": .text("12AB"), "threshold1S2F": .real(1e9)])])
        #expect(try f.a.store.receive([absurd.serialized()], in: f.board.scope).refused.map(\.code) == ["scopeNotAllowed"])
    }
}
