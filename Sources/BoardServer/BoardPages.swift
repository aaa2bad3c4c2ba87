import Foundation
import KCModel
import KCReplica
import KCWeb
import Mustache

/// The board's pages: Dutch, server-rendered, readable without script, charts as inline SVG.
/// swift-mustache templates on the layout and the stylesheet the school's pages use
/// (``WebPages``); values are escaped by `{{…}}`, only the charts (SVG that ``WebCharts``
/// builds with every text escaped) go in as they are.
enum BoardPages {
    static let library = WebPages.library(templates)

    static let templates: [String: String] = [
        "board-login": """
            {{<layout}}
            {{$title}}Inloggen – kcsync bestuur{{/title}}
            {{$header}}<header class="kop"><h1>kcsync – trendoverzicht van het bestuur</h1><p>Alleen voor accounts van het bestuur.</p></header>{{/header}}
            {{$main}}
            <section><h2>Inloggen</h2>
            {{#problem}}<p role="alert" class="melding"><strong>{{problem}}</strong></p>{{/problem}}
            <form method="post" action="/login">
            <label for="naam">Naam</label><input type="text" id="naam" name="naam" autocomplete="username" required>
            <label for="wachtwoord">Wachtwoord</label><input type="password" id="wachtwoord" name="wachtwoord" autocomplete="current-password" required>
            <input type="hidden" name="next" value="{{next}}">
            <input type="hidden" name="token" value="{{token}}">
            <p><button type="submit">Inloggen</button></p></form>
            <p class="uitleg">Een account maakt de beheerder met <code>kcsync board add-user NAAM</code>.</p>
            </section>
            {{/main}}
            {{/layout}}
            """,
        "board-link": """
            {{<layout}}
            {{$title}}Inloggen met een inloglink – kcsync bestuur{{/title}}
            {{$header}}<header class="kop"><h1>kcsync – trendoverzicht van het bestuur</h1><p>Alleen voor accounts van het bestuur.</p></header>{{/header}}
            {{$main}}
            <section><h2>Inloggen als {{account}}</h2>
            <p>Deze inloglink werkt één keer en is tien minuten geldig.</p>
            <form method="post" action="/login/link">
            <input type="hidden" name="code" value="{{code}}">
            <input type="hidden" name="token" value="{{token}}">
            <p><button type="submit" id="inloggen">Inloggen als {{account}}</button></p></form>
            </section>
            {{/main}}
            {{/layout}}
            """,
        "board-expired": """
            {{<layout}}
            {{$title}}Inloglink verlopen – kcsync bestuur{{/title}}
            {{$header}}<header class="kop"><h1>kcsync – trendoverzicht van het bestuur</h1></header>{{/header}}
            {{$main}}
            <section><h2>Inloggen</h2><p role="alert" class="melding"><strong>Deze inloglink is verlopen of al gebruikt.</strong></p>
            <p>Vraag de beheerder om een nieuwe (<code>kcsync board login-link NAAM</code>), of <a href="/login">log in met naam en wachtwoord</a>.</p>
            </section>
            {{/main}}
            {{/layout}}
            """,
        "board-failure": """
            {{<layout}}
            {{$title}}Fout – kcsync bestuur{{/title}}
            {{$main}}<section><h2>Het overzicht kon niet worden gelezen</h2><p>Probeer het later opnieuw; de beheerder vindt de oorzaak in het logboek van de server.</p></section>{{/main}}
            {{/layout}}
            """,
        "board-overview": """
            {{<layout}}
            {{$title}}Trendoverzicht bestuur {{board}}{{/title}}
            {{$header}}
            <header class="kop"><h1>Trendoverzicht bestuur {{board}}</h1>
            <p>{{schoolCount}} · ingelogd als {{account}}</p>
            <form class="inline" method="post" action="/logout"><button class="tweede" type="submit">Uitloggen</button></form></header>
            {{/header}}
            {{$main}}
            <nav class="keuze" aria-label="Periode"><strong>Periode:</strong> {{#periods}}<a href="{{href}}"{{#current}} aria-current="page"{{/current}} class="{{#current}}actief{{/current}}">{{label}}</a>{{/periods}}</nav>
            <nav class="keuze" aria-label="Vakgebied"><strong>Vakgebied:</strong> {{#areas}}<a href="{{href}}"{{#current}} aria-current="page"{{/current}} class="{{#current}}actief{{/current}}">{{label}}</a>{{/areas}}</nav>
            <section id="inspectie"><h2>Zoals de inspectie oordeelt</h2>
            {{#belowText}}<p><strong>{{belowText}}</strong></p>{{/belowText}}
            {{> inspectie}}
            <p class="uitleg">De waarde is die de school zelf berekende en deelde (zonder aantallen); de signaleringswaarde 1S/2F, de schoolweging en de cijfers van de inspectie komen uit het open-databestand van de inspectie.</p>
            </section>
            <section id="signalen"><h2>Signalen over de scholen heen (eigen analyse per vak)</h2>
            {{^signals}}<p>Geen signalen.</p>{{/signals}}
            {{#hasSignals}}<ul>{{#signals}}<li><strong>{{text}}</strong> <small>({{schools}})</small></li>{{/signals}}</ul>{{/hasSignals}}
            </section>
            <section id="adviezen"><h2>Trendadviezen en reacties</h2>
            {{^advice}}<p>Nog geen trendadviezen.</p>{{/advice}}
            {{#advice}}
            <article><h3>{{signal}}</h3>
            <p><small>{{period}} · {{subjectArea}} · geschreven door {{author}} ({{writtenAt}})</small></p>
            {{#interpretation}}<p><em>Duiding:</em> {{interpretation}}</p>{{/interpretation}}
            <p>{{text}}</p>
            {{#hasSuggestions}}<p>Voorgestelde afspraken:</p><ul>{{#suggestions}}<li>{{.}}</li>{{/suggestions}}</ul>{{/hasSuggestions}}
            <table><caption>Reacties van de scholen</caption><thead><tr><th scope="col">School</th><th scope="col">Reactie</th><th scope="col">Toelichting</th></tr></thead><tbody>
            {{#reactions}}<tr><td>{{school}}</td><td class="{{css}}">{{reaction}}</td><td>{{comment}}</td></tr>{{/reactions}}
            {{^reactions}}<tr><td colspan="3">Nog geen reacties.</td></tr>{{/reactions}}
            </tbody></table>
            {{#waitingFor}}<p><small>Wacht nog op: {{waitingFor}}</small></p>{{/waitingFor}}
            </article>
            {{/advice}}
            </section>
            {{#weergave}}<section id="weergaven"><h2>Weergaven</h2>
            <p class="uitleg">Per school, zoals de scholen deelden: cijfers over minder dan 10 leerlingen als &lt; 10, cijfers die zo'n cijfer zouden verraden als afgeschermd.</p>
            {{> weergave}}</section>{{/weergave}}
            {{#subjects}}
            <section id="vak-{{anchor}}"><h2>{{name}}</h2>
            <table><thead><tr><th scope="col">School</th><th scope="col">Groep</th><th scope="col">Maat</th>{{#periods}}<th scope="col">{{.}}</th>{{/periods}}<th scope="col">Ambitie</th><th scope="col">Norm</th><th scope="col">Verloop</th><th scope="col">Signalen</th></tr></thead><tbody>
            {{#rows}}<tr><td>{{school}}</td><td>{{group}}</td><td>{{metric}}</td>{{#cells}}{{#suppressed}}<td class="onderdrukt" title="minder dan 10 leerlingen">{{display}}</td>{{/suppressed}}{{^suppressed}}<td class="getal"{{#band}} title="n: {{band}}"{{/band}}>{{display}}</td>{{/suppressed}}{{/cells}}
            <td class="getal">{{ambition}}</td><td class="getal">{{floor}}</td><td>{{{chart}}}</td><td>{{#badges}}<span class="label {{css}}">{{label}}</span>{{/badges}}</td></tr>
            {{#interpretation}}<tr><td></td><td colspan="{{span}}"><small>Duiding: {{interpretation}}</small></td></tr>{{/interpretation}}{{/rows}}
            </tbody></table></section>
            {{/subjects}}
            {{^subjects}}<section><h2>Trendcijfers</h2><p>Nog geen gedeelde trendcijfers{{#period}} voor deze periode{{/period}}.</p></section>{{/subjects}}
            <section id="afspraken"><h2>Gedeelde afspraken</h2>
            {{^agreements}}<p>Geen gedeelde afspraken.</p>{{/agreements}}
            {{#hasAgreements}}<table><thead><tr><th scope="col">School</th><th scope="col">Wat</th><th scope="col">Wie</th><th scope="col">Wanneer</th><th scope="col">Status</th></tr></thead><tbody>
            {{#agreements}}<tr><td>{{school}}</td><td>{{title}}</td><td>{{owner}}</td><td>{{due}}</td><td>{{status}}</td></tr>{{/agreements}}
            </tbody></table>{{/hasAgreements}}
            </section>
            <section id="notities"><h2>Gedeelde notities</h2>
            {{^notes}}<p>Geen gedeelde notities{{#period}} voor deze periode{{/period}}.</p>{{/notes}}
            {{#notes}}<article><h3>{{title}}</h3><p><small>{{school}} · {{role}} · {{category}}{{#period}} · {{period}}{{/period}}{{#subjectArea}} · {{subjectArea}}{{/subjectArea}} · {{author}}</small></p>
            <p class="tekst">{{body}}</p>{{#tags}}<span class="label">{{.}}</span> {{/tags}}</article>{{/notes}}
            </section>
            <p class="legenda"><small>Cijfers over minder dan 10 leerlingen worden niet getoond (&lt; 10) en tellen niet mee in de signalen.
            Verloop: de lijn toont de waarde per periode; <svg width="24" height="8" aria-hidden="true"><line x1="0" y1="4" x2="24" y2="4" stroke="#2b6cb0" stroke-dasharray="4 3"/></svg> ambitie,
            <svg width="24" height="8" aria-hidden="true"><line x1="0" y1="4" x2="24" y2="4" stroke="#c53030" stroke-dasharray="2 2"/></svg> de norm waarmee de school een vak per jaar vergelijkt (eigen analyse: de inspectie oordeelt over de drie vakken samen, zie boven).
            Een trend is dalend of stijgend als de laatste drie metingen elke keer lager of hoger zijn.</small></p>
            {{/main}}
            {{/layout}}
            """,
    ]

    static func render(_ view: Any, _ template: String) -> String {
        library.render(view, withTemplate: template) ?? ""
    }

    /// The login form. `token` is the form's CSRF token (the same value is in the login
    /// cookie); `problem` is what went wrong with the last attempt, in Dutch.
    static func login(problem: String?, next: String, token: String) -> String {
        struct View { var problem: String?; var next: String; var token: String }
        return render(View(problem: problem, next: next, token: token), "board-login")
    }

    /// The page a one-time login link opens: it says for whom, and only its button (a POST)
    /// uses the link up, so a mail scanner that fetches the link spends nothing.
    static func linkLogin(account: String, code: String, token: String) -> String {
        struct View { var account: String; var code: String; var token: String }
        return render(View(account: account, code: code, token: token), "board-link")
    }

    /// A link that is expired, used, or was never made.
    static func expiredLink() -> String { render([String: String](), "board-expired") }

    static func failure() -> String { render([String: String](), "board-failure") }

    static func link(period: String?, area: String?) -> String {
        var items: [String] = []
        if let period { items.append("periode=" + (period.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) ?? "")) }
        if let area { items.append("vakgebied=" + (area.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) ?? "")) }
        return items.isEmpty ? "/" : "/?" + items.joined(separator: "&")
    }

    struct Choice { var href: String; var label: String; var current: Bool }
    struct Badge { var css: String; var label: String }
    struct Cell { var display: String; var suppressed: Bool; var band: String? }

    static func overview(_ report: BoardReport, account: String, periods: [String], views: WebTrendViews.Model? = nil) -> String {
        struct SignalRow { var text: String; var schools: String }
        struct Reaction { var school: String; var reaction: String; var comment: String; var css: String }
        struct Advice {
            var signal: String; var period: String; var subjectArea: String; var author: String; var writtenAt: String
            var interpretation: String?; var text: String; var suggestions: [String]; var hasSuggestions: Bool
            var reactions: [Reaction]; var waitingFor: String?
        }
        struct Row {
            var school: String; var group: String; var metric: String; var cells: [Cell]; var ambition: String; var floor: String
            var chart: String; var badges: [Badge]; var interpretation: String?; var span: Int
        }
        struct Subject { var anchor: String; var name: String; var periods: [String]; var rows: [Row] }
        struct Agreement { var school: String; var title: String; var owner: String; var due: String; var status: String }
        struct View {
            var board: String; var schoolCount: String; var account: String; var periods: [Choice]; var areas: [Choice]
            var signals: [SignalRow]; var hasSignals: Bool; var advice: [Advice]; var subjects: [Subject]; var period: String?
            var agreements: [Agreement]; var hasAgreements: Bool; var notes: [BoardReport.SharedNote]
            var inspection: [WebInspection.Row]; var hasInspection: Bool; var belowText: String?
            var weergave: WebTrendViews.Model?
        }
        let periodChoices = [Choice(href: link(period: nil, area: report.subjectArea), label: "alle", current: report.period == nil)]
            + periods.map { Choice(href: link(period: $0, area: report.subjectArea), label: $0, current: report.period == $0) }
        let areaChoices = [Choice(href: link(period: report.period, area: nil), label: "alle", current: report.subjectArea == nil)]
            + SubjectArea.allCases.map { Choice(href: link(period: report.period, area: $0.rawValue), label: $0.label, current: report.subjectArea == $0.rawValue) }
        let advice = report.advice.map { item in
            Advice(signal: item.signal, period: item.period, subjectArea: item.subjectArea, author: item.author, writtenAt: item.writtenAt,
                   interpretation: item.interpretation.isEmpty ? nil : item.interpretation, text: item.advice,
                   suggestions: item.suggestedAgreements, hasSuggestions: !item.suggestedAgreements.isEmpty,
                   reactions: item.reactions.map { reaction in
                       let css = reaction.reaction == AdviceReaction.adopted.rawValue ? "reactie-overgenomen"
                           : reaction.reaction == AdviceReaction.seen.rawValue ? "reactie-gezien" : "reactie-niet"
                       return Reaction(school: reaction.school, reaction: reaction.reaction, comment: reaction.comment, css: css)
                   },
                   waitingFor: item.waitingFor.isEmpty ? nil : item.waitingFor.joined(separator: ", "))
        }
        let subjects = report.subjects.map { subject in
            let area = SubjectArea(rawValue: subject.subjectArea)?.label ?? subject.subjectArea
            return Subject(
                anchor: subject.subjectArea.replacingOccurrences(of: " ", with: "-"), name: area.prefix(1).uppercased() + area.dropFirst(),
                periods: subject.periods,
                rows: subject.series.map { series in
                    let byPeriod = Dictionary(series.points.map { ($0.period, $0) }, uniquingKeysWith: { a, _ in a })
                    let metric = TrendMetric(rawValue: series.metric)
                    return Row(
                        school: series.school, group: series.group, metric: series.metricLabel,
                        cells: subject.periods.map { period in
                            guard let point = byPeriod[period] else { return Cell(display: "–", suppressed: false, band: nil) }
                            return Cell(display: point.display, suppressed: point.suppressed, band: point.pupilsBand)
                        },
                        ambition: series.ambition.map { metric?.format($0) ?? String($0) } ?? "–",
                        floor: series.floor.map { metric?.format($0) ?? String($0) } ?? "–",
                        chart: WebCharts.sparkline(series, periods: subject.periods), badges: badges(series),
                        interpretation: series.interpretation.isEmpty ? nil : series.interpretation, span: subject.periods.count + 6)
                })
        }
        let view = View(
            board: report.board, schoolCount: "\(report.schools.count) \(report.schools.count == 1 ? "school" : "scholen")", account: account,
            periods: periodChoices, areas: areaChoices,
            signals: report.signals.map { SignalRow(text: $0.text, schools: $0.schools.joined(separator: ", ")) }, hasSignals: !report.signals.isEmpty,
            advice: advice, subjects: subjects, period: report.period,
            agreements: report.agreements.map { Agreement(school: $0.school, title: $0.title, owner: $0.owner, due: $0.dueDate ?? "–", status: $0.status) },
            hasAgreements: !report.agreements.isEmpty, notes: report.notes,
            inspection: WebInspection.rows(report.inspection), hasInspection: !report.inspection.isEmpty, belowText: belowText(report),
            weergave: views)
        return render(view, "board-overview")
    }

    /// "Onder de signaleringswaarde: % 1S/2F bij 13LM (1 van 8 scholen)."
    static func belowText(_ report: BoardReport) -> String? {
        let parts = InspectionIndicator.allCases.compactMap { indicator -> String? in
            let judged = report.inspection.filter { $0.indicators.contains { $0.indicator == indicator.rawValue && $0.outcome != nil } }
            let below = judged.filter { $0.indicators.contains { $0.indicator == indicator.rawValue && $0.outcome == InspectionOutcome.below.rawValue } }
            guard !below.isEmpty else { return nil }
            return "\(indicator.label) bij \(below.map(\.school).joined(separator: ", ")) (\(below.count) van \(judged.count) scholen)"
        }
        return parts.isEmpty ? nil : "Onder de signaleringswaarde: " + parts.joined(separator: "; ") + "."
    }

    static func badges(_ series: BoardReport.Series) -> [Badge] {
        var out: [Badge] = []
        if series.direction == TrendDirection.falling.rawValue { out.append(Badge(css: "dalend", label: "dalend")) }
        if series.direction == TrendDirection.rising.rawValue { out.append(Badge(css: "stijgend", label: "stijgend")) }
        if series.underFloor == true { out.append(Badge(css: "onder", label: "onder de norm (eigen analyse)")) }
        if series.underAmbition == true { out.append(Badge(css: "onder", label: "onder ambitie")) }
        return out
    }
}
