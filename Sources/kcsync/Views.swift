import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncStore

// JSON views of the records: stable English keys, documented in the README.

struct NoteView: Encodable {
    var id: String
    var school: String
    var author: String
    var role: String?
    var category: String?
    var subject: String?
    var subjectRef: String?
    var subjectArea: String?
    var period: String?
    var meetingDate: String?
    var title: String
    var body: String
    var tags: [String]
    var participants: [String]
    var linkedAgreements: [String]
    var sensitive: Bool
    var visibility: String
    var shared: Bool
    var deleted: Bool
    var conflicts: [String]

    init(_ note: Note) {
        id = note.id.hex
        school = note.school
        author = note.author
        role = note.role?.rawValue
        category = note.category?.rawValue
        subject = note.subject?.rawValue
        subjectRef = note.subjectRef
        subjectArea = note.subjectArea?.rawValue
        period = note.period
        meetingDate = note.meetingDate.map(Value.dayString)
        title = note.title
        body = note.body
        tags = note.tags
        participants = note.participants
        linkedAgreements = note.linkedAgreements.map(\.hex)
        sensitive = note.sensitive
        visibility = note.visibility.rawValue
        shared = note.boardCopy != nil
        deleted = note.deleted
        conflicts = note.conflictedFields
    }
}

struct AgreementView: Encodable {
    var id: String
    var school: String
    var title: String
    var description: String
    var owner: String
    var dueDate: String?
    var evaluationDate: String?
    var status: String
    var overdue: Bool
    var outcome: String?
    var origin: String?
    var level: String?
    var visibility: String
    var shared: Bool
    var deleted: Bool
    var conflicts: [String]

    init(_ agreement: Agreement, today: Int32) {
        id = agreement.id.hex
        school = agreement.school
        title = agreement.title
        description = agreement.description
        owner = agreement.owner
        dueDate = agreement.dueDate.map(Value.dayString)
        evaluationDate = agreement.evaluationDate.map(Value.dayString)
        status = agreement.status.rawValue
        overdue = agreement.isOverdue(today: today)
        outcome = agreement.outcome
        origin = agreement.origin?.hex
        level = agreement.level?.rawValue
        visibility = agreement.visibility.rawValue
        shared = agreement.boardCopy != nil
        deleted = agreement.deleted
        conflicts = agreement.conflictedFields
    }
}

struct ConflictView: Encodable {
    var scope: String
    var record: String
    var type: String
    var title: String
    var field: String
    var kind: String
    var winner: String?
    var loser: String?
    var winnerAt: String
    var loserAt: String
}

/// `2026-03-01 14:05` (UTC) for a clock reading.
func moment(_ timestamp: Timestamp) -> String {
    let date = Date(timeIntervalSince1970: Double(timestamp.millis) / 1000)
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "nl_NL")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: date) + " UTC"
}

/// The Dutch word for a record type.
func typeLabel(_ type: String) -> String {
    switch type {
    case KCSchemas.note.name: "notitie"
    case KCSchemas.agreement.name: "afspraak"
    case KCSchemas.trendAnalysis.name: "trendanalyse"
    case KCSchemas.trendAdvice.name: "trendadvies"
    case KCSchemas.adviceResponse.name: "reactie"
    default: type
    }
}
