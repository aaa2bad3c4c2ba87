import Foundation
import Hummingbird
import HummingbirdAuth
import KCModel
import KCReplica
import KCWeb
import SyncCore
import SyncNet
import SyncStore

/// Vandaag, Afspraken and Trendadvies.
extension SchoolWeb {
    struct AgreementRow {
        var id: String
        var title: String
        var owner: String
        var due: String
        var status: String
        var overdue: Bool
        var origin: String
        var statuses: [Choice]
    }

    func agreementRow(_ agreement: Agreement, today: Int32, advice: [EntityID: TrendAdvice]) -> AgreementRow {
        var origin = ""
        if agreement.originKind == "advice", let id = agreement.origin {
            origin = advice[id].map { "trendadvies: \($0.signal)" } ?? "trendadvies"
        } else if agreement.origin != nil {
            origin = "notitie"
        }
        return AgreementRow(id: agreement.id.hex, title: agreement.title, owner: agreement.owner, due: agreement.dueDate.map(Value.dayString) ?? "geen datum",
                            status: agreement.status.label, overdue: agreement.isOverdue(today: today), origin: origin,
                            statuses: AgreementStatus.allCases.map { Choice(value: $0.rawValue, label: $0.label, selected: $0 == agreement.status) })
    }

    func today(_ context: KCWebContext) -> Response {
        struct NoteRow { var id: String; var title: String; var role: String; var author: String }
        struct AdviceRow { var id: String; var signal: String; var period: String; var author: String }
        struct ConflictRow { var title: String; var field: String }
        struct LinkRow { var name: String; var state: String; var lastSync: String; var problem: String }
        struct RefusalRow { var message: String; var action: String }
        struct View {
            var page: Frame; var date: String
            var agreements: [AgreementRow]; var hasAgreements: Bool
            var advice: [AdviceRow]; var hasAdvice: Bool
            var conflicts: [ConflictRow]; var hasConflicts: Bool
            var links: [LinkRow]; var hasLinks: Bool
            var pending: Int?; var refusals: [RefusalRow]; var hasRefusals: Bool
            var notes: [NoteRow]; var hasNotes: Bool
        }
        do throws(KCError) {
            let today = replica.currentDay
            let adviceByID = Dictionary(try replica.adviceBook.all().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let due = try replica.agreements().filter { $0.status.isActive && ($0.isOverdue(today: today) || ($0.dueDate ?? .max) <= today + 7) }
            let answered = try replica.adviceBook.responses().filter { $0.value.contains { $0.school == replica.configuration.school } }
            let open = adviceByID.values.filter {
                !$0.deleted && answered[$0.id] == nil && ($0.schools.isEmpty || $0.schools.contains(replica.configuration.school))
            }.sorted { $0.id > $1.id }
            let conflicts = try replica.openConflicts().map { ConflictRow(title: $0.title, field: $0.field) }
            let daemonLinks = self.links()
            let links = daemonLinks.map { LinkRow(name: $0.name, state: SchoolWeb.stateLabel($0.state), lastSync: $0.lastSync ?? "nog niet", problem: $0.problem ?? "") }
            let pending = daemonLinks.reduce(0) { $0 + $1.pending }
            let refusals = replica.store.refusalReports()
            let notes = try replica.notes().prefix(5).map {
                NoteRow(id: $0.id.hex, title: $0.title, role: $0.role?.label ?? "", author: $0.author)
            }
            let view = View(
                page: frame(context, title: "Vandaag", current: "/"), date: Value.dayString(today),
                agreements: due.map { agreementRow($0, today: today, advice: adviceByID) }, hasAgreements: !due.isEmpty,
                advice: open.map { AdviceRow(id: $0.id.hex, signal: $0.signal, period: $0.period, author: $0.author) }, hasAdvice: !open.isEmpty,
                conflicts: conflicts, hasConflicts: !conflicts.isEmpty, links: links, hasLinks: !links.isEmpty,
                pending: pending > 0 ? pending : nil, refusals: refusals.map { RefusalRow(message: $0.message, action: $0.action) },
                hasRefusals: !refusals.isEmpty,
                notes: Array(notes), hasNotes: !notes.isEmpty)
            return render(view, "vandaag")
        } catch {
            return failure(context, error)
        }
    }

    static func stateLabel(_ state: String) -> String {
        switch state {
        case "connected": "verbonden"
        case "connecting": "verbinden…"
        case "waiting": "wacht, probeert opnieuw"
        case "stopped": "gestopt"
        default: state
        }
    }

    func agreements(_ context: KCWebContext, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        struct View { var page: Frame; var agreements: [AgreementRow]; var hasAgreements: Bool; var token: String; var notice: String?; var problem: String? }
        do throws(KCError) {
            let today = replica.currentDay
            let advice = Dictionary(try replica.adviceBook.all().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let rows = try replica.agreements().map { agreementRow($0, today: today, advice: advice) }
            return render(View(page: frame(context, title: "Afspraken", current: "/afspraken"), agreements: rows, hasAgreements: !rows.isEmpty,
                               token: context.sessions.session?.token ?? "", notice: notice, problem: problem), "afspraken", status: status)
        } catch {
            return failure(context, error)
        }
    }

    // MARK: - Trendadvies

    struct ReactionChoice { var value: String; var checked: Bool }
    struct AdviceItem {
        var id: String; var signal: String; var period: String; var area: String; var author: String
        var interpretation: String?; var text: String; var answered: String?; var comment: String?
        var reactions: [ReactionChoice]; var suggested: String; var owner: String; var due: String; var token: String
    }

    func advicePage(_ context: KCWebContext, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        struct View { var page: Frame; var advice: [AdviceItem]; var notice: String?; var problem: String? }
        do throws(KCError) {
            let school = replica.configuration.school
            let responses = try replica.adviceBook.responses()
            let items = try replica.adviceBook.all().filter { !$0.deleted && ($0.schools.isEmpty || $0.schools.contains(school)) }
                .sorted { $0.id > $1.id }
                .map { advice in
                    let mine = responses[advice.id]?.first { $0.school == school }
                    return AdviceItem(
                        id: advice.id.hex, signal: advice.signal, period: advice.period, area: advice.subjectArea?.label ?? "",
                        author: advice.author, interpretation: advice.interpretation.isEmpty ? nil : advice.interpretation, text: advice.advice,
                        answered: mine?.reaction?.label, comment: mine.flatMap { $0.comment.isEmpty ? nil : $0.comment },
                        reactions: AdviceReaction.allCases.map { ReactionChoice(value: $0.label, checked: mine?.reaction == $0) },
                        suggested: (advice.suggestedAgreements.isEmpty ? ["Trendadvies uitvoeren: \(advice.signal)"] : advice.suggestedAgreements)
                            .joined(separator: "\n"),
                        owner: context.identity ?? "", due: Value.dayString(replica.currentDay + 42), token: context.sessions.session?.token ?? "")
                }
            return render(View(page: frame(context, title: "Trendadvies", current: "/advies"), advice: items, notice: notice, problem: problem),
                          "advies", status: status)
        } catch {
            return failure(context, error)
        }
    }

    /// An answer to an advice. Overgenomen makes the afspraken as the kc'er edited them.
    func respond(_ request: Request, _ context: KCWebContext) async throws -> Response {
        guard let fields = try await form(request, context: context) else {
            return advicePage(context, problem: "Dit formulier was verlopen; probeer het opnieuw. Er is niets opgeslagen.", status: .forbidden)
        }
        do throws(KCError) {
            let id = try adviceID(context)
            guard let reaction = fields["reactie"].flatMap(AdviceReaction.init(rawValue:)) else {
                throw KCError(.invalidInput, "Kies een reactie: gezien, overgenomen of niet van toepassing.")
            }
            guard let due = Value.day(parsing: fields["datum"] ?? "") ?? (reaction == .adopted ? nil : replica.currentDay) else {
                throw KCError(.invalidInput, "Geef de datum waarop de afspraken klaar zijn (jjjj-mm-dd).")
            }
            let titles = (fields["afspraken"] ?? "").split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let (_, made) = try replica.respond(to: id, reaction: reaction, comment: fields["toelichting"] ?? "", owner: fields["eigenaar"] ?? "",
                                                due: due, agreements: reaction == .adopted ? titles : nil)
            notifier.notify(replica.boardScope)
            notifier.notify(replica.schoolScope)
            let notice = made.isEmpty ? "Uw reactie is opgeslagen." : "Uw reactie is opgeslagen, met \(made.count) \(made.count == 1 ? "afspraak" : "afspraken") (zie Afspraken)."
            return advicePage(context, notice: notice)
        } catch {
            return advicePage(context, problem: error.message + " Er is niets opgeslagen.", status: .badRequest)
        }
    }

    func adviceID(_ context: KCWebContext) throws(KCError) -> EntityID {
        guard let text = context.parameters.get("id"), let id = EntityID(hex: text) else {
            throw KCError(.notFound, "Dit trendadvies bestaat niet.")
        }
        return id
    }

    /// A new status for an afspraak (and its board copy, when shared).
    func updateAgreement(_ request: Request, _ context: KCWebContext) async throws -> Response {
        guard let fields = try await form(request, context: context) else {
            return agreements(context, problem: "Dit formulier was verlopen; probeer het opnieuw. Er is niets veranderd.", status: .forbidden)
        }
        do throws(KCError) {
            guard let id = context.parameters.get("id").flatMap({ EntityID(hex: $0) }) else { throw KCError(.notFound, "Deze afspraak bestaat niet.") }
            guard let status = fields["status"].flatMap(AgreementStatus.init(rawValue:)) else { throw KCError(.invalidInput, "Kies een status.") }
            let agreement = try replica.updateAgreement(id, status: status, outcome: nil, editor: context.identity)
            notifier.notify(replica.schoolScope)
            notifier.notify(replica.boardScope)
            return agreements(context, notice: "\(agreement.title): \(agreement.status.label).")
        } catch {
            return agreements(context, problem: error.message + " Er is niets veranderd.", status: .badRequest)
        }
    }
}
