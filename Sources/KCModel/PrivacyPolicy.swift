public import SyncCore

/// The AVG rule of what may leave the school (../shared/DOMAIN.md, "Privacy").
///
/// Pupil-level records, anything marked sensitive, and conversation reports with parents or
/// external experts never enter a board scope. The store calls ``check(scope:type:state:)``
/// for every local write and for every change it receives, so the rule holds at the writer,
/// at every peer and at the board, not only in the command line.
public enum PrivacyPolicy {
    /// Why a record may not enter a board scope.
    public enum Refusal: String, Sendable, Equatable {
        case subjectUnknown
        case pupilLevel
        case sensitive
        case conversationReport

        /// The Dutch explanation a kc'er reads.
        public var message: String {
            switch self {
            case .subjectUnknown:
                "Deze notitie zegt niet waarover ze gaat (leerling, groep, leerteam of school), en dat wordt nooit aangenomen. Geef het onderwerp op met 'kcsync note edit ID --subject groep|leerteam|school'; daarna kan ze gedeeld worden."
            case .pupilLevel:
                "Dit gaat over een leerling. Gegevens op leerlingniveau verlaten de school nooit (AVG); alleen de school zelf bewaart ze."
            case .sensitive:
                "Dit is als gevoelig gemarkeerd (bijzondere persoonsgegevens). Gevoelige gegevens verlaten de school nooit (AVG)."
            case .conversationReport:
                "Dit is een verslag van een gesprek met ouders of een externe deskundige. Zulke verslagen blijven op school (AVG)."
            }
        }

        /// The English reason, for logs.
        public var logMessage: String {
            switch self {
            case .subjectUnknown: "note without a subject"
            case .pupilLevel: "pupil-level record"
            case .sensitive: "record marked sensitive"
            case .conversationReport: "conversation report with parents or externals"
            }
        }
    }

    /// Why a record of `type` in `state` may not be in `scope`; nil when it may.
    public static func refusal(scope: Scope, type: String, state: EntityState) -> Refusal? {
        guard scope.kind == .board else { return nil }
        func text(_ field: String) -> String? { state.value(of: field)?.text }
        switch type {
        case KCSchemas.note.name:
            // A pupil meeting is about pupils whatever its subject says.
            if text("subject") == SubjectLevel.pupil.rawValue || text("category") == NoteCategory.pupilMeeting.rawValue { return .pupilLevel }
            if state.value(of: "sensitive") == .boolean(true) { return .sensitive }
            if let category = text("category").flatMap(NoteCategory.init(rawValue:)), category.staysAtSchool {
                return .conversationReport
            }
            // Shareable only when the rules say so positively: a known subject other than a pupil.
            guard let subject = text("subject").flatMap(SubjectLevel.init(rawValue:)), subject != .pupil else { return .subjectUnknown }
        case KCSchemas.agreement.name:
            if text("level") == SubjectLevel.pupil.rawValue { return .pupilLevel }
        default:
            break
        }
        return nil
    }

    /// Throws `scopeNotAllowed` when the record may not be in `scope`.
    public static func check(scope: Scope, type: String, state: EntityState) throws(SyncError) {
        if let refusal = refusal(scope: scope, type: type, state: state) {
            throw SyncError(.scopeNotAllowed, "\(refusal.logMessage) may not enter \(scope) (AVG)")
        }
    }
}
