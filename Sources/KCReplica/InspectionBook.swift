public import Foundation
public import KCModel
public import SyncCore
public import SyncStore

/// The Inspectie's model in a board scope: the profiles the board imported from the
/// Inspectie's open-data file (one per school), and the indicators the schools computed and
/// shared. Read the same way at the board and at every school.
public struct InspectionBook: Sendable {
    public let store: ReplicaStore
    public let scope: Scope

    static let profileType = KCSchemas.inspectionProfile.name
    static let indicatorType = KCSchemas.inspectionIndicator.name

    public init(store: ReplicaStore, scope: Scope) {
        self.store = store
        self.scope = scope
    }

    /// The profiles, by school (BRIN).
    public func profiles() throws(KCError) -> [String: InspectionProfile] {
        var out: [String: InspectionProfile] = [:]
        for (id, state) in try records(InspectionBook.profileType) {
            guard let profile = InspectionProfile(id: id, state: state) else { continue }
            out[profile.school] = profile
        }
        return out
    }

    /// The indicators the schools shared, by school and indicator.
    public func shared() throws(KCError) -> [String: [InspectionIndicator: SharedIndicator]] {
        var out: [String: [InspectionIndicator: SharedIndicator]] = [:]
        for (_, state) in try records(InspectionBook.indicatorType) {
            guard let indicator = SharedIndicator(state: state) else { continue }
            out[indicator.school, default: [:]][indicator.indicator] = indicator
        }
        return out
    }

    func records(_ type: String) throws(KCError) -> [(EntityID, EntityState)] {
        try KCError.performing("de gegevens van de inspectie te lezen") { () throws(SyncError) in
            var out: [(EntityID, EntityState)] = []
            for id in try store.entityIDs(type: type, in: scope) {
                if let state = try store.entityState(id, type: type, in: scope) { out.append((id, state)) }
            }
            return out
        }
    }
}

/// What `kcsync board import-inspectie` did.
public struct InspectieImport: Sendable {
    /// The rows used, one per school of the board.
    public var matched: [InspectieRow]
    /// Schools of the board the file does not have.
    public var missing: [String]
    /// Schools with several locations in the file and no main one: which ones (not imported).
    public var ambiguous: [String: [String]]
    /// Schools whose other locations were in the file too (the main one was used).
    public var otherLocations: [String: [String]]
    /// Lines of the file that could not be read.
    public var problems: [TrendInputError]
    /// How many schools the file holds in all.
    public var rowsInFile: Int
}

extension BoardReplica {
    /// Reads the Inspectie's yearly file (ODS, XLSX or CSV), finds the board's schools in it by
    /// BRIN and vestiging (the main location `00` unless `vestigingen` names another) and
    /// writes each one's profile in the board scope, in one change: the schools receive them
    /// with everything else the board sends. A school's profile from an earlier file is updated.
    public func importInspectie(_ data: Data, vestigingen: [String: String] = [:]) throws(KCError) -> InspectieImport {
        let parsed: InspectieFile.Parsed
        do { parsed = try InspectieFile.parse(try Spreadsheet.rows(data)) } catch {
            throw KCError(.invalidInput, "Het bestand van de inspectie is niet ingelezen: \(error.message). Er is niets opgeslagen.")
        }
        let schools = registry().keys.sorted()
        guard !schools.isEmpty else { throw KCError(.invalidInput, "Het bestuur heeft nog geen scholen; registreer ze met: kcsync board add-school BRIN SLEUTEL") }
        let byBRIN = Dictionary(grouping: parsed.rows, by: \.brin)
        var result = InspectieImport(matched: [], missing: [], ambiguous: [:], otherLocations: [:], problems: parsed.problems, rowsInFile: parsed.rows.count)
        for school in schools {
            let rows = byBRIN[school] ?? []
            if rows.isEmpty { result.missing.append(school); continue }
            let wanted = vestigingen[school]
            let row = wanted.map { v in rows.first { $0.vestiging == v } } ?? (rows.count == 1 ? rows.first : rows.first { $0.vestiging == "00" })
            guard let row else {
                if wanted != nil { result.missing.append("\(school) vestiging \(wanted!)") } else { result.ambiguous[school] = rows.map(\.vestiging).sorted() }
                continue
            }
            if rows.count > 1 { result.otherLocations[school] = rows.map(\.vestiging).filter { $0 != row.vestiging }.sorted() }
            result.matched.append(row)
        }
        let existing = try InspectionBook(store: store, scope: scope).profiles()
        let t = InspectionBook.profileType
        try KCError.performing("de gegevens van de inspectie op te slaan") { () throws(SyncError) in
            try store.write(in: scope) { b throws(SyncError) in
                for row in result.matched {
                    let id: EntityID
                    if let held = existing[row.brin] { id = held.id } else {
                        id = b.newEntity(type: t)
                        try b.assign(.text(""), to: "school", of: id, type: t)
                        try b.assign(.text(row.brin), to: "about", of: id, type: t)
                    }
                    func real(_ value: Double?) -> Value { value.map(Value.real) ?? .null }
                    func text(_ value: String?) -> Value { value.map(Value.text) ?? .null }
                    let similar = row.weightCategory.flatMap { parsed.similar[$0] }
                    try b.assign(.text(row.vestiging), to: "vestiging", of: id, type: t)
                    try b.assign(.text(row.name), to: "name", of: id, type: t)
                    try b.assign(text(row.schoolYear), to: "schoolYear", of: id, type: t)
                    try b.assign(real(row.schoolWeight), to: "schoolWeight", of: id, type: t)
                    try b.assign(text(row.weightCategory), to: "weightCategory", of: id, type: t)
                    try b.assign(real(row.threshold1S2F), to: "threshold1S2F", of: id, type: t)
                    try b.assign(real(row.published1F), to: "published1F", of: id, type: t)
                    try b.assign(real(row.published1S2F), to: "published1S2F", of: id, type: t)
                    try b.assign(text(row.outcome1F), to: "outcome1F", of: id, type: t)
                    try b.assign(text(row.outcome1S2F), to: "outcome1S2F", of: id, type: t)
                    try b.assign(real(similar?.average1F), to: "similar1F", of: id, type: t)
                    try b.assign(real(similar?.average1S2F), to: "similar1S2F", of: id, type: t)
                    try b.assign(similar.map { .integer(Int64($0.schools)) } ?? .null, to: "similarSchools", of: id, type: t)
                }
            }
        }
        return result
    }
}

extension KCReplica {
    /// What the board's copy of the Inspectie's file says of this school, if it sent one.
    public func inspectionProfile() -> InspectionProfile? {
        (try? InspectionBook(store: store, scope: boardScope).profiles())?[configuration.school]
    }

    /// The school's 1S/2F signaleringswaarde and where it comes from: the Inspectie's file (through
    /// the board) or, where that has none, `kcsync config floor-2f1s`.
    public var threshold1S2F: (value: Double, source: String)? {
        if let value = inspectionProfile()?.threshold1S2F { return (value, "het bestand van de inspectie") }
        if let value = configuration.floor2F1S { return (value, "zelf ingesteld") }
        return nil
    }

    /// Both of the Inspectie's indicators for this school, from its own groep 8 figures.
    public func inspectionIndicators() throws(KCError) -> [IndicatorResult] {
        InspectionModel.indicators(try trends(), threshold1S2F: threshold1S2F?.value)
    }

    /// This school as the Inspectie judges it, for its own pages: its own values (it knows its n),
    /// the signaleringswaarde and the Inspectie's figures from the board's copy of the file.
    public func inspectionView() throws(KCError) -> [BoardReport.SchoolInspection] {
        let results = try inspectionIndicators().filter { $0.value != nil }
        let profile = inspectionProfile()
        guard !results.isEmpty || profile != nil else { return [] }
        let byIndicator = Dictionary(results.map { ($0.indicator, $0) }, uniquingKeysWith: { a, _ in a })
        return [BoardReport.SchoolInspection(
            school: configuration.school, name: profile?.name, schoolYear: profile?.schoolYear, schoolWeight: profile?.schoolWeight,
            weightCategory: profile?.weightCategory,
            indicators: InspectionIndicator.allCases.compactMap { indicator -> BoardReport.IndicatorJudgment? in
                let result = byIndicator[indicator]
                guard result != nil || profile?.published(indicator) != nil else { return nil }
                return BoardReport.IndicatorJudgment(
                    indicator: indicator.rawValue, throughSchoolYear: result.map { "\($0.throughYear)-\($0.throughYear + 1)" }, value: result?.value,
                    pupilsBand: result.map { PupilsBand(pupils: $0.pupils).rawValue }, withheld: false, complete: result?.complete,
                    threshold: result?.threshold ?? (indicator == .percent1F ? InspectionFloor.percent1F : threshold1S2F?.value),
                    outcome: result?.outcome?.rawValue, margin: result?.margin, judgedOn: result?.outcome == nil ? nil : "school",
                    inspectiePublished: profile?.published(indicator), inspectieOutcome: profile?.outcome(indicator),
                    similarSchools: profile?.similar(indicator))
            })]
    }

    /// Shares the school's indicators with the board (a value over a band of pupils; none when
    /// a year behind it had fewer than 10 pupils). Written only when they changed.
    func shareIndicators() throws(KCError) {
        let results = try inspectionIndicators().filter { $0.value != nil }
        guard !results.isEmpty else { return }
        let book = InspectionBook(store: store, scope: boardScope)
        let held = try book.records(InspectionBook.indicatorType).filter { $0.1.value(of: "school")?.text == configuration.school }
        let byIndicator = Dictionary(held.compactMap { entry in entry.1.value(of: "indicator")?.text.map { ($0, entry.0) } }, uniquingKeysWith: { a, _ in a })
        let shared = try book.shared()[configuration.school] ?? [:]
        let t = InspectionBook.indicatorType
        let school = configuration.school
        func small(_ result: IndicatorResult) -> Bool { result.years.contains { $0.pupils < TrendSignals.minimumPupils } }
        let writes = results.filter { result in
            guard let now = shared[result.indicator] else { return true }
            return now.throughYear != result.throughYear || now.years != result.years.count || now.complete != result.complete
                || now.value != (small(result) ? nil : result.value)
        }
        guard !writes.isEmpty else { return }
        try perform("de indicatoren met het bestuur te delen") { () throws(SyncError) in
            try store.write(in: boardScope) { b throws(SyncError) in
                for result in writes {
                    let id: EntityID
                    if let existing = byIndicator[result.indicator.rawValue] { id = existing } else {
                        id = b.newEntity(type: t)
                        try b.assign(.text(school), to: "school", of: id, type: t)
                        try b.assign(.text(result.indicator.rawValue), to: "indicator", of: id, type: t)
                    }
                    let small = small(result)
                    try b.assign(.integer(Int64(result.throughYear)), to: "throughYear", of: id, type: t)
                    try b.assign(small ? .null : .real(result.value!), to: "value", of: id, type: t)
                    try b.assign(.text(PupilsBand(pupils: result.pupils).rawValue), to: "pupilsBand", of: id, type: t)
                    try b.assign(small ? .text(Suppression.smallCell.rawValue) : .null, to: "suppression", of: id, type: t)
                    try b.assign(.integer(Int64(result.years.count)), to: "years", of: id, type: t)
                    try b.assign(.boolean(result.complete), to: "complete", of: id, type: t)
                }
            }
        }
    }
}
