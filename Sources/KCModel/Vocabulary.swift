/// The kc'er's three roles (LBBO professional standard). Every note belongs to one.
public enum KCRole: String, CaseIterable, Sendable, Codable {
    case learningCoordinator
    case careCoordinator
    case trendAnalyst

    /// The Dutch name a kc'er reads.
    public var label: String {
        switch self {
        case .learningCoordinator: "leercoördinator"
        case .careCoordinator: "zorgregisseur"
        case .trendAnalyst: "trendanalist"
        }
    }
}

/// What a note records.
public enum NoteCategory: String, CaseIterable, Sendable, Codable {
    case pupilMeeting = "leerlingbespreking"
    case groupMeeting = "groepsbespreking"
    case learningTeamMeeting = "leerteamoverleg"
    case observation = "observatie"
    case parentConversation = "oudergesprek"
    case expertConversation = "gesprek extern deskundige"
    case trendAnalysis = "trendanalyse"
    case other = "overig"

    /// The Dutch name (also the stored value).
    public var label: String { rawValue }

    /// Conversation reports with parents or external experts never leave the school (AVG).
    public var staysAtSchool: Bool { self == .parentConversation || self == .expertConversation }
}

/// Who or what a note or agreement is about.
public enum SubjectLevel: String, CaseIterable, Sendable, Codable {
    case pupil
    case group
    case learningTeam = "leerteam"
    case school

    /// The Dutch name.
    public var label: String {
        switch self {
        case .pupil: "leerling"
        case .group: "groep"
        case .learningTeam: "leerteam"
        case .school: "school"
        }
    }
}

/// The subjects (vakgebieden) of the half-yearly analyses.
public enum SubjectArea: String, CaseIterable, Sendable, Codable {
    case arithmetic = "rekenen"
    case readingComprehension = "begrijpend lezen"
    case technicalReading = "technisch lezen"
    case spelling = "spelling"
    case writing = "taalverzorging"
    case socialEmotional = "sociaal-emotioneel"

    /// The Dutch name (also the stored value).
    public var label: String { rawValue }
}

/// Who may see a record: the school only, or also its board.
public enum Visibility: String, CaseIterable, Sendable, Codable {
    case school
    case board
}

/// The state of an agreement (afspraak). "Te laat" is derived from the due date.
public enum AgreementStatus: String, CaseIterable, Sendable, Codable {
    case open
    case ongoing = "lopend"
    case done = "afgerond"
    case lapsed = "vervallen"

    /// The Dutch name (also the stored value).
    public var label: String { rawValue }

    /// True while the agreement still asks for work.
    public var isActive: Bool { self == .open || self == .ongoing }
}

/// A school's answer to a trend advice.
public enum AdviceReaction: String, CaseIterable, Sendable, Codable {
    case seen = "gezien"
    case adopted = "overgenomen"
    case notApplicable = "niet van toepassing"

    /// The Dutch name (also the stored value).
    public var label: String { rawValue }
}

/// A toetsmoment: school year and M (midden, Jan/Feb) or E (eind, June), written `2025-2026 M`.
public struct Period: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The calendar year the school year starts in (August).
    public let startYear: Int
    /// Mid-year (M) or end of year (E).
    public let moment: Moment

    /// The two toetsmomenten.
    public enum Moment: String, Sendable { case mid = "M", end = "E" }

    /// Parses exactly `2025-2026 M` or `2025-2026 E` (the stored and the API's form, which
    /// docs/openapi.yaml's pattern describes); nil for anything else, extra spaces too.
    public init?(_ text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, let moment = Moment(rawValue: String(parts[1])) else { return nil }
        let years = parts[0].split(separator: "-")
        guard years.count == 2, years[0].count == 4, years[1].count == 4,
              let a = Int(years[0]), let b = Int(years[1]), b == a + 1, (2000...2100).contains(a) else { return nil }
        startYear = a
        self.moment = moment
    }

    /// A period as a person typed it (a command's option, a spreadsheet cell): spaces around
    /// it and between its parts do not matter.
    public static func typed(_ text: String) -> Period? {
        Period(text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
    }

    /// The toetsmoment of the school year starting in `startYear` (2000–2100).
    public init(startYear: Int, moment: Moment) {
        self.startYear = min(max(startYear, 2000), 2100)
        self.moment = moment
    }

    public var description: String { "\(startYear)-\(startYear + 1) \(moment.rawValue)" }

    public static func < (a: Period, b: Period) -> Bool {
        (a.startYear, a.moment == .mid ? 0 : 1) < (b.startYear, b.moment == .mid ? 0 : 1)
    }
}
