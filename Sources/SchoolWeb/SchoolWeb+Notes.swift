import Foundation
import Hummingbird
import HummingbirdAuth
import KCModel
import KCReplica
import KCWeb
import SyncCore
import SyncNet
import SyncStore

/// Notities: per role, filtered and searched (FTS5), a note's page with its share button (or
/// why it may not leave the school), and the editor, whose text is merged with what arrived
/// while it was open.
extension SchoolWeb {
    struct Choice { var value: String; var label: String; var selected: Bool }
    struct Option { var value: String; var selected: Bool }

    static func role(_ text: String?) -> KCRole? {
        guard let text else { return nil }
        return KCRole(rawValue: text) ?? KCRole.allCases.first { $0.label == text }
    }

    func notes(_ request: Request, _ context: KCWebContext) -> Response {
        struct Row {
            var id: String; var title: String; var role: String; var category: String; var period: String?; var area: String?
            var author: String; var shared: Bool; var conflict: Bool; var tags: [String]
        }
        struct RoleLink { var href: String; var label: String; var current: Bool }
        struct View {
            var page: Frame; var role: String?; var roleLabel: String?; var roles: [RoleLink]; var query: String; var tag: String
            var periods: [Option]; var areas: [Option]; var categories: [Option]; var problem: String?; var notice: String?
            var notes: [Row]; var hasNotes: Bool; var count: Int; var one: Bool
        }
        var filter = NoteFilter()
        let role = SchoolWeb.role(WebPages.queryValue(request, "rol"))
        filter.role = role
        filter.text = WebPages.queryValue(request, "zoek")
        filter.tag = WebPages.queryValue(request, "tag")
        var problem: String?
        if let period = WebPages.queryValue(request, "periode") {
            if let parsed = Period.typed(period) { filter.period = parsed.description } else { problem = "'\(period)' is geen periode; kies er een uit de lijst." }
        }
        if let area = WebPages.queryValue(request, "vakgebied") {
            if let parsed = SubjectArea(rawValue: area) { filter.subjectArea = parsed } else { problem = "'\(area)' is geen vakgebied." }
        }
        if let category = WebPages.queryValue(request, "categorie") {
            if let parsed = NoteCategory(rawValue: category) { filter.category = parsed } else { problem = "'\(category)' is geen categorie." }
        }
        do throws(KCError) {
            let found = problem == nil ? try replica.notes(filter) : []
            let periods = Set(try replica.notes().compactMap(\.period)).sorted(by: >)
            let rows = found.map {
                Row(id: $0.id.hex, title: $0.title, role: $0.role?.label ?? "", category: $0.category?.label ?? "", period: $0.period,
                    area: $0.subjectArea?.label, author: $0.author, shared: $0.boardCopy != nil, conflict: !$0.conflictedFields.isEmpty, tags: $0.tags)
            }
            let roles = [RoleLink(href: "/notities", label: "alle rollen", current: role == nil)]
                + KCRole.allCases.map { RoleLink(href: "/notities?rol=\($0.rawValue)", label: $0.label, current: $0 == role) }
            let view = View(
                page: frame(context, title: "Notities", current: "/notities"), role: role?.rawValue, roleLabel: role?.label, roles: roles,
                query: filter.text ?? "", tag: filter.tag ?? "",
                periods: periods.map { Option(value: $0, selected: $0 == filter.period) },
                areas: SubjectArea.allCases.map { Option(value: $0.label, selected: $0 == filter.subjectArea) },
                categories: NoteCategory.allCases.map { Option(value: $0.label, selected: $0 == filter.category) },
                problem: problem, notice: WebPages.queryValue(request, "gewist") != nil ? "De notitie is gewist, hier en op elke replica." : nil,
                notes: rows, hasNotes: !rows.isEmpty, count: rows.count, one: rows.count == 1)
            return render(view, "notities", status: problem == nil ? .ok : .badRequest)
        } catch {
            return failure(context, error)
        }
    }

    func noteID(_ context: KCWebContext) throws(KCError) -> EntityID {
        guard let text = context.parameters.get("id"), let id = EntityID(hex: text) else {
            throw KCError(.notFound, "Deze notitie bestaat niet.")
        }
        return id
    }

    func notePage(_ context: KCWebContext, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        struct Shown {
            var id: String; var title: String; var role: String; var category: String; var author: String; var period: String?
            var area: String?; var meeting: String?; var subject: String?; var subjectRef: String?; var tags: [String]; var hasTags: Bool
            var conflict: String?; var body: String; var shared: Bool; var refusal: String?; var token: String
        }
        struct View { var page: Frame; var note: Shown; var notice: String?; var problem: String? }
        do throws(KCError) {
            let note = try replica.note(try noteID(context))
            guard !note.deleted else { throw KCError(.notFound, "Deze notitie is verwijderd.") }
            let shown = Shown(
                id: note.id.hex, title: note.title, role: note.role?.label ?? "", category: note.category?.label ?? "", author: note.author,
                period: note.period, area: note.subjectArea?.label, meeting: note.meetingDate.map(Value.dayString), subject: note.subject?.label,
                subjectRef: note.subjectRef, tags: note.tags, hasTags: !note.tags.isEmpty,
                conflict: note.conflictedFields.isEmpty ? nil : note.conflictedFields.joined(separator: ", "), body: note.body,
                shared: note.boardCopy != nil, refusal: note.boardCopy == nil ? try replica.shareRefusal(note.id) : nil,
                token: context.sessions.session?.token ?? "")
            return render(View(page: frame(context, title: note.title, current: "/notities"), note: shown, notice: notice, problem: problem),
                          "notitie", status: status)
        } catch where error.code == .notFound {
            return failure(context, error, heading: "Niet gevonden", status: .notFound)
        } catch {
            return failure(context, error)
        }
    }

    func share(_ request: Request, _ context: KCWebContext, sharing: Bool) async throws -> Response {
        guard try await form(request, context: context) != nil else {
            return notePage(context, problem: "Dit formulier was verlopen; probeer het opnieuw. Er is niets veranderd.", status: .forbidden)
        }
        do throws(KCError) {
            let id = try noteID(context)
            if sharing { _ = try replica.shareNote(id) } else { _ = try replica.unshareNote(id) }
            notifier.notify(replica.schoolScope)
            notifier.notify(replica.boardScope)
            return notePage(context, notice: sharing ? "Gedeeld met het bestuur." : "Niet meer gedeeld: het bestuur heeft de notitie niet meer.")
        } catch {
            return notePage(context, problem: error.message, status: .badRequest)
        }
    }

    // MARK: - The editor

    struct FormView {
        var page: Frame; var heading: String; var action: String; var cancel: String; var token: String; var editing: Bool; var base: String
        var title: String; var body: String; var tags: String; var period: String
        var roles: [Choice]; var categories: [Option]; var subjects: [Choice]; var areas: [Option]
        var problem: String?; var theirs: String?
    }

    /// The form with `values` (what was typed, or the note as it is).
    func formView(_ context: KCWebContext, heading: String, action: String, cancel: String, editing: Bool, base: String,
                  values: [String: String], problem: String? = nil, theirs: String? = nil) -> FormView {
        let role = SchoolWeb.role(values["rol"])
        return FormView(
            page: frame(context, title: heading, current: "/notities"), heading: heading, action: action, cancel: cancel,
            token: context.sessions.session?.token ?? "", editing: editing, base: base,
            title: values["titel"] ?? "", body: values["tekst"] ?? "", tags: values["labels"] ?? "", period: values["periode"] ?? "",
            roles: KCRole.allCases.map { Choice(value: $0.rawValue, label: $0.label, selected: $0 == role) },
            categories: NoteCategory.allCases.map { Option(value: $0.label, selected: $0.label == values["categorie"]) },
            subjects: SubjectLevel.allCases.map { Choice(value: $0.rawValue, label: $0.label, selected: $0.rawValue == values["onderwerp"]) },
            areas: SubjectArea.allCases.map { Option(value: $0.label, selected: $0.label == values["vakgebied"]) },
            problem: problem, theirs: theirs)
    }

    func noteForm(_ context: KCWebContext, role: String?) -> Response {
        render(formView(context, heading: "Nieuwe notitie", action: "/notities", cancel: "/notities", editing: false, base: "",
                        values: ["rol": SchoolWeb.role(role)?.rawValue ?? "", "categorie": NoteCategory.other.label]), "notitie-formulier")
    }

    /// The fields of the form as the note's parts; a bad one is a Dutch error.
    struct Parsed {
        var role: KCRole; var category: NoteCategory; var subject: SubjectLevel?; var area: SubjectArea?; var period: Period?; var title: String
    }

    func parse(_ fields: [String: String]) throws(KCError) -> Parsed {
        guard let role = SchoolWeb.role(fields["rol"]) else { throw KCError(.invalidInput, "Kies een rol.") }
        guard let category = fields["categorie"].flatMap(NoteCategory.init(rawValue:)) else { throw KCError(.invalidInput, "Kies een categorie.") }
        let title = (fields["titel"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw KCError(.invalidInput, "Geef de notitie een titel.") }
        var subject: SubjectLevel?
        if let text = fields["onderwerp"], !text.isEmpty {
            guard let parsed = SubjectLevel(rawValue: text) else { throw KCError(.invalidInput, "'\(text)' is geen onderwerp.") }
            subject = parsed
        }
        var area: SubjectArea?
        if let text = fields["vakgebied"], !text.isEmpty {
            guard let parsed = SubjectArea(rawValue: text) else { throw KCError(.invalidInput, "'\(text)' is geen vakgebied.") }
            area = parsed
        }
        var period: Period?
        if let text = fields["periode"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            guard let parsed = Period.typed(text) else {
                throw KCError(.invalidInput, "'\(text)' is geen periode; schrijf bijvoorbeeld 2025-2026 M of 2025-2026 E.")
            }
            period = parsed
        }
        return Parsed(role: role, category: category, subject: subject, area: area, period: period, title: title)
    }

    func addNote(_ request: Request, _ context: KCWebContext) async throws -> Response {
        guard let fields = try await form(request, context: context) else {
            return render(formView(context, heading: "Nieuwe notitie", action: "/notities", cancel: "/notities", editing: false, base: "",
                                   values: [:], problem: "Dit formulier was verlopen; vul het opnieuw in. Er is niets opgeslagen."), "notitie-formulier", status: .forbidden)
        }
        do throws(KCError) {
            let parsed = try parse(fields)
            var draft = NoteDraft(author: context.identity ?? "", role: parsed.role, category: parsed.category, title: parsed.title)
            draft.body = fields["tekst"] ?? ""
            draft.subject = parsed.subject
            draft.subjectArea = parsed.area
            draft.period = parsed.period
            draft.tags = (fields["labels"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let note = try replica.addNote(draft)
            notifier.notify(replica.schoolScope)
            return WebPages.seeOther("/notities/\(note.id.hex)")
        } catch {
            return render(formView(context, heading: "Nieuwe notitie", action: "/notities", cancel: "/notities", editing: false, base: "",
                                   values: fields, problem: error.message + " Er is niets opgeslagen."), "notitie-formulier", status: .badRequest)
        }
    }

    static func values(of note: Note) -> [String: String] {
        ["titel": note.title, "tekst": note.body, "rol": note.role?.rawValue ?? "", "categorie": note.category?.label ?? "",
         "onderwerp": note.subject?.rawValue ?? "", "vakgebied": note.subjectArea?.label ?? "", "periode": note.period ?? ""]
    }

    func editForm(_ context: KCWebContext) -> Response {
        do throws(KCError) {
            let note = try replica.note(try noteID(context))
            guard !note.deleted else { throw KCError(.notFound, "Deze notitie is verwijderd.") }
            return render(formView(context, heading: "Notitie bewerken", action: "/notities/\(note.id.hex)", cancel: "/notities/\(note.id.hex)",
                                   editing: true, base: note.body, values: SchoolWeb.values(of: note)), "notitie-formulier")
        } catch where error.code == .notFound {
            return failure(context, error, heading: "Niet gevonden", status: .notFound)
        } catch {
            return failure(context, error)
        }
    }

    /// Saves the editor. The text is merged three ways: what the form opened with, what was
    /// sent, and what the replica holds now (a colleague's edit from another replica that
    /// arrived meanwhile stays). When both changed the same passage the form comes back with
    /// the kc'er's text and the other version beside it; nothing is saved and nothing lost.
    func editNote(_ request: Request, _ context: KCWebContext) async throws -> Response {
        let id: EntityID
        do throws(KCError) { id = try noteID(context) } catch { return failure(context, error, heading: "Niet gevonden", status: .notFound) }
        let action = "/notities/\(id.hex)"
        guard let fields = try await form(request, context: context) else {
            return render(formView(context, heading: "Notitie bewerken", action: action, cancel: action, editing: true, base: "",
                                   values: [:], problem: "Dit formulier was verlopen; open de notitie opnieuw. Er is niets opgeslagen."),
                          "notitie-formulier", status: .forbidden)
        }
        let base = fields["basis"] ?? ""
        let mine = (fields["tekst"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        do throws(KCError) {
            let current = try replica.note(id)
            guard let merged = TextMerge.threeWay(base: base.replacingOccurrences(of: "\r\n", with: "\n"), mine: mine, theirs: current.body) else {
                return render(formView(context, heading: "Notitie bewerken", action: action, cancel: action, editing: true, base: current.body,
                                       values: fields, problem: "Iemand anders wijzigde intussen hetzelfde stuk tekst. Hieronder staat die versie; uw tekst staat nog in het formulier. Pas hem aan en sla opnieuw op. Er is niets opgeslagen.",
                                       theirs: current.body), "notitie-formulier", status: .conflict)
            }
            let parsed = try parse(fields)
            var edit = NoteEdit()
            edit.editor = context.identity
            if parsed.title != current.title { edit.title = parsed.title }
            if merged != current.body { edit.body = merged }
            if parsed.role != current.role { edit.role = parsed.role }
            if parsed.category != current.category { edit.category = parsed.category }
            if parsed.subject != current.subject { edit.subject = parsed.subject }
            if parsed.area != current.subjectArea { edit.subjectArea = parsed.area }
            if parsed.period?.description != current.period { edit.period = parsed.period }
            if !edit.isEmpty {
                _ = try replica.editNote(id, edit)
                notifier.notify(replica.schoolScope)
                notifier.notify(replica.boardScope)
            }
            return WebPages.seeOther(action)
        } catch {
            return render(formView(context, heading: "Notitie bewerken", action: action, cancel: action, editing: true, base: base,
                                   values: fields, problem: error.message + " Er is niets opgeslagen."), "notitie-formulier", status: .badRequest)
        }
    }

    // MARK: - AVG

    func eraseForm(_ context: KCWebContext, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        struct View { var page: Frame; var id: String; var title: String; var token: String; var problem: String? }
        do throws(KCError) {
            let note = try replica.note(try noteID(context))
            return render(View(page: frame(context, title: "Wissen", current: "/notities"), id: note.id.hex, title: note.title,
                               token: context.sessions.session?.token ?? "", problem: problem), "wissen", status: status)
        } catch {
            return failure(context, error, heading: "Niet gevonden", status: .notFound)
        }
    }

    /// Erases the note (AVG) after the confirmation page, with its reason, everywhere.
    func erase(_ request: Request, _ context: KCWebContext) async throws -> Response {
        guard let fields = try await form(request, context: context) else {
            return eraseForm(context, problem: "Dit formulier was verlopen; probeer het opnieuw. Er is niets gewist.", status: .forbidden)
        }
        do throws(KCError) {
            _ = try replica.erase(try noteID(context), type: KCReplica.noteType, reason: fields["reden"] ?? "")
            notifier.notify(replica.schoolScope)
            notifier.notify(replica.boardScope)
            return WebPages.seeOther("/notities?gewist=1")
        } catch {
            return eraseForm(context, problem: error.message + " Er is niets gewist.", status: .badRequest)
        }
    }

    // MARK: - Conflicten

    func conflicts(_ context: KCWebContext, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        struct Side {
            var value: String; var author: String; var replica: String; var at: String; var shown: Bool; var choosable: Bool; var index: Int
            var token: String; var record: String; var type: String; var field: String
        }
        struct Row { var key: String; var kind: String; var href: String; var title: String; var field: String; var sides: [Side] }
        struct View { var page: Frame; var conflicts: [Row]; var notice: String?; var problem: String? }
        do throws(KCError) {
            let token = context.sessions.session?.token ?? ""
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "nl_NL")
            formatter.dateFormat = "d MMMM yyyy, HH:mm"
            let rows = try replica.openConflicts().map { conflict in
                let note = conflict.type == KCReplica.noteType
                return Row(
                    key: "\(conflict.record.hex)-\(conflict.field)", kind: note ? "Notitie" : "Afspraak",
                    href: note ? "/notities/\(conflict.record.hex)" : "/afspraken", title: conflict.title, field: conflict.field,
                    sides: conflict.sides.enumerated().map { index, side in
                        Side(value: SchoolWeb.shown(side.value), author: side.author ?? "onbekend",
                             replica: side.here ? "deze replica" : "replica …\(side.replica)",
                             at: formatter.string(from: Date(timeIntervalSince1970: TimeInterval(side.at))), shown: index == conflict.sides.count - 1,
                             choosable: conflict.choosable, index: index, token: token, record: conflict.record.hex, type: conflict.type, field: conflict.field)
                    })
            }
            return render(View(page: frame(context, title: "Conflicten", current: "/conflicten"), conflicts: rows, notice: notice, problem: problem),
                          "conflicten", status: status)
        } catch {
            return failure(context, error)
        }
    }

    /// A value as a kc'er reads it.
    static func shown(_ value: Value) -> String {
        switch value {
        case .text(let text): KCRole(rawValue: text)?.label ?? SubjectLevel(rawValue: text)?.label ?? text
        case .day(let day): Value.dayString(day)
        case .boolean(let flag): flag ? "ja" : "nee"
        case .null: "(leeg)"
        default: value.description
        }
    }

    /// The choice of one side: it is written over all of them.
    func resolve(_ request: Request, _ context: KCWebContext) async throws -> Response {
        guard let fields = try await form(request, context: context) else {
            return conflicts(context, problem: "Dit formulier was verlopen; probeer het opnieuw. Er is niets veranderd.", status: .forbidden)
        }
        do throws(KCError) {
            guard let id = fields["record"].flatMap({ EntityID(hex: $0) }), let type = fields["type"], let field = fields["veld"],
                  let index = fields["keuze"].flatMap({ Int($0) }) else {
                throw KCError(.invalidInput, "Dit conflict bestaat niet; er is niets veranderd.")
            }
            guard let conflict = try replica.openConflicts().first(where: { $0.record == id && $0.type == type && $0.field == field }),
                  conflict.sides.indices.contains(index), SchoolWeb.shown(conflict.sides[index].value) == fields["waarde"] else {
                throw KCError(.refused, "Dit conflict is intussen veranderd of al opgelost; kijk opnieuw. Er is niets veranderd.")
            }
            try replica.resolveConflict(id, type: type, field: field, choose: conflict.sides[index].value, editor: context.identity)
            notifier.notify(replica.schoolScope)
            notifier.notify(replica.boardScope)
            return conflicts(context, notice: "Opgelost: \(conflict.title) · \(field) is nu \(SchoolWeb.shown(conflict.sides[index].value)), op elke replica.")
        } catch {
            return conflicts(context, problem: error.message, status: .conflict)
        }
    }
}
