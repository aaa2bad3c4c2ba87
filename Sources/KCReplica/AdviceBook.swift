import Foundation
public import KCModel
public import SyncCore
public import SyncStore

/// What a new trend advice holds.
public struct AdviceDraft: Sendable {
    public var period: Period
    public var subjectArea: SubjectArea
    /// The signal it answers ("dalende trend begrijpend lezen groep 6–7 bij 4 van 11 scholen").
    public var signal: String
    /// The advice itself.
    public var advice: String
    /// How the writer reads the signal.
    public var interpretation: String = ""
    /// Agreements each school may take over.
    public var suggestedAgreements: [String] = []
    /// The schools it concerns (empty: all).
    public var schools: [String] = []
    /// Who writes it.
    public var author: String

    public init(period: Period, subjectArea: SubjectArea, signal: String, advice: String, author: String) {
        self.period = period
        self.subjectArea = subjectArea
        self.signal = signal
        self.advice = advice
        self.author = author
    }
}

/// Trend advice and the schools' reactions in a board scope: the same at the board and at
/// every school, since they all hold the board scope.
public struct AdviceBook: Sendable {
    /// The store that holds the board scope.
    public let store: ReplicaStore
    /// `board/<number>`.
    public let scope: Scope
    /// The school writing (empty at the board).
    public let school: String

    static let adviceType = KCSchemas.trendAdvice.name
    static let responseType = KCSchemas.adviceResponse.name

    public init(store: ReplicaStore, scope: Scope, school: String) {
        self.store = store
        self.scope = scope
        self.school = school
    }

    /// Writes a trend advice into the board scope, from where it flows to every school.
    public func add(_ draft: AdviceDraft) throws(KCError) -> TrendAdvice {
        let signal = draft.signal.trimmingCharacters(in: .whitespacesAndNewlines)
        let text = draft.advice.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !signal.isEmpty else { throw KCError(.invalidInput, "Een trendadvies noemt het signaal waar het over gaat (--signal).") }
        guard !text.isEmpty else { throw KCError(.invalidInput, "Een trendadvies heeft een advies nodig (--advice).") }
        let suggestions = draft.suggestedAgreements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if suggestions.contains(where: \.isEmpty) { throw KCError(.invalidInput, "Een voorgestelde afspraak (--suggest) mag niet leeg zijn.") }
        for school in draft.schools where !Scope.isValidBRIN(school) {
            throw KCError(.invalidInput, "'\(school)' is geen geldig BRIN-nummer (--school).")
        }
        let t = AdviceBook.adviceType
        var created: EntityID?
        try perform("het trendadvies op te slaan") { () throws(SyncError) in
            try store.write(in: scope) { b throws(SyncError) in
                let id = b.newEntity(type: t)
                try b.assign(.text(draft.author), to: "author", of: id, type: t)
                try b.assign(.text(school), to: "school", of: id, type: t)
                try b.assign(.text(draft.period.description), to: "period", of: id, type: t)
                try b.assign(.text(draft.subjectArea.rawValue), to: "subjectArea", of: id, type: t)
                try b.assign(.text(signal), to: "signal", of: id, type: t)
                if !draft.interpretation.isEmpty { try b.setText(draft.interpretation, field: "interpretation", of: id, type: t) }
                try b.setText(text, field: "advice", of: id, type: t)
                for suggestion in suggestions { try b.add(.text(suggestion), to: "suggestedAgreements", of: id, type: t) }
                for school in draft.schools { try b.add(.text(school.uppercased()), to: "schools", of: id, type: t) }
                created = id
            }
        }
        return try advice(created!)
    }

    /// One advice.
    public func advice(_ id: EntityID) throws(KCError) -> TrendAdvice {
        guard let state = try perform("het trendadvies te lezen", { () throws(SyncError) in try store.entityState(id, type: AdviceBook.adviceType, in: scope) }),
              !state.isDeleted else {
            throw KCError(.notFound, "Geen trendadvies gevonden met id \(id.hex).")
        }
        return TrendAdvice(id: id, state: state)
    }

    /// The advice whose id starts or ends with `text`.
    public func resolve(_ text: String) throws(KCError) -> EntityID {
        try KCReplica.resolve(text, type: AdviceBook.adviceType, label: "trendadvies", in: scope, store: store)
    }

    /// Every advice, newest first.
    public func all() throws(KCError) -> [TrendAdvice] {
        let ids = try perform("de trendadviezen te lezen") { () throws(SyncError) in try store.entityIDs(type: AdviceBook.adviceType, in: scope) }
        var out: [TrendAdvice] = []
        for id in ids.reversed() {
            if let state = try perform("het trendadvies te lezen", { () throws(SyncError) in try store.entityState(id, type: AdviceBook.adviceType, in: scope) }),
               !state.isDeleted {
                out.append(TrendAdvice(id: id, state: state))
            }
        }
        return out
    }

    /// Every reaction, per advice; per school the latest (ids are time-ordered).
    public func responses() throws(KCError) -> [EntityID: [AdviceResponse]] {
        let ids = try perform("de reacties te lezen") { () throws(SyncError) in try store.entityIDs(type: AdviceBook.responseType, in: scope) }
        var latest: [String: AdviceResponse] = [:]
        for id in ids {
            guard let state = try perform("de reactie te lezen", { () throws(SyncError) in try store.entityState(id, type: AdviceBook.responseType, in: scope) }),
                  !state.isDeleted else { continue }
            let response = AdviceResponse(id: id, state: state)
            guard let advice = response.advice, response.reaction != nil else { continue }
            latest["\(advice.hex)|\(response.school)"] = response
        }
        return Dictionary(grouping: latest.values, by: { $0.advice! }).mapValues { $0.sorted { $0.school < $1.school } }
    }

    @discardableResult
    func perform<T>(_ what: String, _ body: () throws(SyncError) -> T) throws(KCError) -> T {
        try KCError.performing(what, body)
    }
}

extension KCReplica {
    /// The advice in this school's board scope.
    public var adviceBook: AdviceBook { AdviceBook(store: store, scope: boardScope, school: configuration.school) }

    /// Answers a trend advice for this school: gezien, overgenomen or niet van toepassing,
    /// with a comment. A second answer replaces the first. Overgenomen makes a local
    /// afspraak of every suggested agreement (or one for the advice itself when it suggests
    /// none), linked to the advice; they stay at school, and the reaction names the first.
    /// `agreements` are the titles as the kc'er edited them (nil: the advice's suggestions).
    public func respond(to adviceID: EntityID, reaction: AdviceReaction, comment: String, owner: String, due: Int32,
                        agreements edited: [String]? = nil) throws(KCError) -> (AdviceResponse, [Agreement]) {
        let book = adviceBook
        let advice = try book.advice(adviceID)
        let previous = try book.responses()[adviceID]?.first { $0.school == configuration.school }
        let school = configuration.school
        let suggested = advice.suggestedAgreements.isEmpty ? ["Trendadvies uitvoeren: \(advice.signal)"] : advice.suggestedAgreements
        let titles = reaction == .adopted ? (edited.map { $0.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty } } ?? suggested) : []
        if reaction == .adopted, titles.isEmpty {
            throw KCError(.invalidInput, "Bij overgenomen hoort minstens één afspraak.")
        }
        let owner = owner.trimmingCharacters(in: .whitespacesAndNewlines)
        if !titles.isEmpty && owner.isEmpty { throw KCError(.invalidInput, "Wie voert de afspraak uit? Geef --owner.") }
        try checkNoPupilReferences([comment], what: "de toelichting bij de reactie")
        var agreements: [EntityID] = []
        var responseID: EntityID?
        let a = KCReplica.agreementType
        let r = AdviceBook.responseType
        try perform("de reactie op te slaan") { () throws(SyncError) in
            try store.transaction { tx throws(SyncError) in
                if !titles.isEmpty {
                    try tx.change(in: schoolScope) { b throws(SyncError) in
                        for title in titles {
                            let id = b.newEntity(type: a)
                            try b.assign(.text(school), to: "school", of: id, type: a)
                            try b.assign(.text(title), to: "title", of: id, type: a)
                            try b.setText(advice.advice, field: "description", of: id, type: a)
                            try b.assign(.text(owner), to: "owner", of: id, type: a)
                            try b.assign(.day(due), to: "dueDate", of: id, type: a)
                            try b.assign(.text(AgreementStatus.open.rawValue), to: "status", of: id, type: a)
                            try b.assign(.text(SubjectLevel.school.rawValue), to: "level", of: id, type: a)
                            try b.assign(.text(Visibility.school.rawValue), to: "visibility", of: id, type: a)
                            try b.assign(.id(adviceID), to: "origin", of: id, type: a)
                            try b.assign(.text("advice"), to: "originKind", of: id, type: a)
                            agreements.append(id)
                        }
                    }
                }
                try tx.change(in: boardScope) { b throws(SyncError) in
                    let id = previous?.id ?? b.newEntity(type: r)
                    if previous == nil {
                        try b.assign(.id(adviceID), to: "advice", of: id, type: r)
                        try b.assign(.text(school), to: "school", of: id, type: r)
                    }
                    try b.assign(.text(reaction.rawValue), to: "reaction", of: id, type: r)
                    try b.assign(.text(comment), to: "comment", of: id, type: r)
                    if let first = agreements.first { try b.assign(.id(first), to: "agreement", of: id, type: r) }
                    responseID = id
                }
            }
        }
        guard let state = try state(responseID!, type: r, in: boardScope) else {
            throw KCError(.storage, "De reactie is opgeslagen maar kon niet worden teruggelezen.")
        }
        return (AdviceResponse(id: responseID!, state: state), try agreements.map { id throws(KCError) in try agreement(id) })
    }
}
