import Foundation

/// Bewaartermijnen: how long a kc record is kept before it is erased (AVG art. 5(1)(e), storage
/// limitation). The AVG sets no terms; the defaults follow the sector's advice for primary
/// schools (PO-Raad, "Bewaartermijnen"; Kennisnet, "Hoe lang mag je gegevens van leerlingen
/// bewaren?"): the leerlingdossier (care notes, conversation reports, observations) 2 years
/// after the pupil leaves school; see ../shared/DOMAIN.md. kcsync does not know when a pupil
/// leaves, so it counts from the record's own date (the meeting date, else the day it was
/// made): a kc'er keeps a note longer with `retainUntil` (a pupil still at school), and a
/// school changes a term with `kcsync retention set`. Records about no one in particular
/// (leerteam, school, trend analyses) are kept 5 years, long enough for the Inspectorate's
/// three-year window and the school's own trend work.
public enum Retention {
    /// The default term of each note category, in months.
    public static let noteMonths: [NoteCategory: Int] = [
        .pupilMeeting: 24,
        .parentConversation: 24,
        .expertConversation: 24,
        .observation: 24,
        .groupMeeting: 24,
        .other: 24,
        .learningTeamMeeting: 60,
        .trendAnalysis: 60,
    ]
    /// The key of agreements in a school's overrides, and their default terms.
    public static let agreementKey = "afspraak"
    public static let pupilAgreementKey = "afspraak-leerling"
    public static let agreementMonths = 60
    public static let pupilAgreementMonths = 24

    /// Every key a school may set a term for, with its default.
    public static var defaults: [String: Int] {
        var out = Dictionary(uniqueKeysWithValues: noteMonths.map { ($0.key.rawValue, $0.value) })
        out[agreementKey] = agreementMonths
        out[pupilAgreementKey] = pupilAgreementMonths
        return out
    }

    /// The longest term a school may set (a typo of 2400 months is refused).
    public static let maximumMonths = 240

    /// The day a record dated `day` is due, `months` later (calendar months, UTC).
    public static func due(from day: Int32, months: Int) -> Int32 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = Date(timeIntervalSince1970: TimeInterval(day) * 86_400)
        let end = calendar.date(byAdding: .month, value: months, to: start) ?? start
        return Int32((end.timeIntervalSince1970 / 86_400).rounded(.down))
    }
}
