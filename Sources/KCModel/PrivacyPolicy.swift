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
        case smallCell
        case notCanonical

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
            case .smallCell:
                "Dit cijfer gaat over minder dan 10 leerlingen, of zou zo'n cijfer laten uitrekenen. De waarde en het aantal leerlingen blijven op school (AVG); het bestuur ziet alleen dat er een cijfer is."
            case .notCanonical:
                "Een veld heeft een waarde die kcsync niet kent. Alleen bekende waarden gaan naar het bestuur."
            }
        }

        /// The English reason, for logs.
        public var logMessage: String {
            switch self {
            case .subjectUnknown: "note without a subject"
            case .pupilLevel: "pupil-level record"
            case .sensitive: "record marked sensitive"
            case .conversationReport: "conversation report with parents or externals"
            case .smallCell: "trend figure over fewer than 10 pupils, or one that would reveal such a figure, carrying a value, n or text"
            case .notCanonical: "field value outside the known vocabulary"
            }
        }
    }

    /// Why a record of `type` in `state` may not be in `scope`; nil when it may.
    public static func refusal(scope: Scope, type: String, state: EntityState) -> Refusal? {
        guard scope.kind == .board else { return nil }
        func text(_ field: String) -> String? { state.value(of: field)?.text }
        /// A field that is absent or null, or one of `known`.
        func canonical(_ field: String, _ known: [String]) -> Bool {
            guard let value = state.value(of: field), value != .null else { return true }
            return value.text.map(known.contains) ?? false
        }
        switch type {
        case KCSchemas.note.name:
            guard canonical("category", NoteCategory.allCases.map(\.rawValue)), canonical("subject", SubjectLevel.allCases.map(\.rawValue)),
                  canonical("role", KCRole.allCases.map(\.rawValue)) else { return .notCanonical }
            // A pupil meeting is about pupils whatever its subject says.
            if text("subject") == SubjectLevel.pupil.rawValue || text("category") == NoteCategory.pupilMeeting.rawValue { return .pupilLevel }
            // A note that refers to a pupil or lists the people at a meeting is about people.
            if let reference = state.value(of: "subjectRef")?.text, !reference.isEmpty { return .pupilLevel }
            if !state.elements(of: "participants").isEmpty { return .pupilLevel }
            if state.value(of: "sensitive") == .boolean(true) { return .sensitive }
            if let category = text("category").flatMap(NoteCategory.init(rawValue:)), category.staysAtSchool {
                return .conversationReport
            }
            // Shareable only when the rules say so positively: a known subject other than a pupil.
            guard let subject = text("subject").flatMap(SubjectLevel.init(rawValue:)), subject != .pupil else { return .subjectUnknown }
        case KCSchemas.agreement.name:
            guard canonical("level", SubjectLevel.allCases.map(\.rawValue)), canonical("status", AgreementStatus.allCases.map(\.rawValue)),
                  canonical("visibility", Visibility.allCases.map(\.rawValue)) else { return .notCanonical }
            if text("level") == SubjectLevel.pupil.rawValue { return .pupilLevel }
        case KCSchemas.trendAnalysis.name:
            guard canonical("subjectArea", SubjectArea.allCases.map(\.rawValue)), canonical("metric", TrendMetric.allCases.map(\.rawValue)),
                  canonical("pupilsBand", PupilsBand.allCases.map(\.rawValue)),
                  canonical("suppression", Suppression.allCases.map(\.rawValue)) else { return .notCanonical }
            // Small numbers stay home: a board copy carries a band, never n, and a withheld
            // figure carries neither its value nor (for a small cell) the leerteam's text.
            if let pupils = state.value(of: "pupils"), pupils != .null { return .smallCell }
            let band = text("pupilsBand").flatMap(PupilsBand.init(rawValue:))
            let suppression = text("suppression").flatMap(Suppression.init(rawValue:))
            let hasValue = if case .real? = state.value(of: "value") { true } else { false }
            if band == .under10 && suppression != .smallCell { return .smallCell }
            if hasValue && band == nil { return .smallCell }
            if suppression != nil && hasValue { return .smallCell }
            if suppression == .smallCell && !(state.text(of: "interpretation").isEmpty && state.text(of: "actions").isEmpty) { return .smallCell }
        case KCSchemas.adviceResponse.name:
            guard canonical("reaction", AdviceReaction.allCases.map(\.rawValue)) else { return .notCanonical }
        case KCSchemas.inspectionProfile.name:
            // Remote numbers are checked before anyone shows or compares them.
            for field in ["schoolWeight", "threshold1S2F", "published1F", "published1S2F", "similar1F", "similar1S2F"] {
                guard let value = state.value(of: field), value != .null else { continue }
                guard case .real(let number) = value, number.isFinite, (0...100).contains(number) else { return .notCanonical }
            }
            if let about = text("about"), !Scope.isValidBRIN(about) { return .notCanonical }
            if let count = state.value(of: "similarSchools"), count != .null {
                guard case .integer(let n) = count, (0...100_000).contains(n) else { return .notCanonical }
            }
        case KCSchemas.inspectionIndicator.name:
            guard canonical("indicator", InspectionIndicator.allCases.map(\.rawValue)), canonical("pupilsBand", PupilsBand.allCases.map(\.rawValue)),
                  canonical("suppression", Suppression.allCases.map(\.rawValue)) else { return .notCanonical }
            if let value = state.value(of: "value"), value != .null {
                guard case .real(let number) = value, number.isFinite, (0...100).contains(number) else { return .notCanonical }
                // Small numbers stay home: a value only over a band of at least 10 and never withheld.
                let band = text("pupilsBand").flatMap(PupilsBand.init(rawValue:))
                if band == nil || band == .under10 || text("suppression") != nil { return .smallCell }
            }
            if let years = state.value(of: "years"), years != .null {
                guard case .integer(let n) = years, (0...Int64(InspectionModel.years)).contains(n) else { return .notCanonical }
            }
            if let year = state.value(of: "throughYear"), year != .null {
                guard case .integer(let n) = year, (2000...2100).contains(n) else { return .notCanonical }
            }
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
