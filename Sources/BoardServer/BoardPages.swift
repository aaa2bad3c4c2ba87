import Foundation
import KCModel
import KCReplica
import KCWeb

/// The board's pages as HTML text: Dutch, readable without script, charts as inline SVG.
enum BoardPages {
    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
        header{background:#1f3a5f;color:#fff;padding:1rem 2rem}header h1{margin:0 0 .3rem;font-size:1.5rem}
        header p{margin:0;opacity:.9}header form{display:inline}header button{margin-left:.5rem}
        main{padding:1rem 2rem;max-width:1400px}section{background:#fff;border-radius:8px;padding:1rem 1.5rem;margin:1rem 0;box-shadow:0 1px 2px #0002}
        nav a{margin-right:.6rem;color:#1f3a5f}nav a.actief{font-weight:bold;text-decoration:none;border-bottom:2px solid #1f3a5f}
        table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:middle}
        th{background:#eef1f5}td:nth-child(-n+3){white-space:nowrap}td.getal{text-align:right;font-variant-numeric:tabular-nums}td.onderdrukt{color:#777;font-style:italic;text-align:right}
        .label{display:inline-block;border-radius:4px;padding:0 .4rem;margin:0 .2rem .1rem 0;font-size:.8rem}
        .dalend{background:#fde2e1;color:#8a1c14}.stijgend{background:#def5e3;color:#17602b}.onder{background:#fff1d6;color:#7a4b00}
        .reactie-overgenomen{color:#17602b;font-weight:bold}.reactie-gezien{color:#1f3a5f}.reactie-niet{color:#777}
        article{border-left:4px solid #1f3a5f;padding-left:1rem;margin:1rem 0}small{color:#555}
        .legenda svg{vertical-align:middle}
        """

    static func escape(_ text: String) -> String { WebCharts.escape(text) }

    static func document(title: String, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title><style>\(style)</style></head>
        <body>\(body)</body></html>
        """
    }

    /// The login form. `token` is the form's CSRF token (the same value is in the login
    /// cookie); `problem` is what went wrong with the last attempt, in Dutch.
    static func login(problem: String?, next: String, token: String) -> String {
        document(title: "Inloggen – kcsync bestuur", """
            <header><h1>kcsync – trendoverzicht van het bestuur</h1><p>Alleen voor accounts van het bestuur.</p></header>
            <main><section><h2>Inloggen</h2>
            \(problem.map { "<p role=\"alert\"><strong>\(escape($0))</strong></p>" } ?? "")
            <form method="post" action="/login">
            <p><label>Naam<br><input name="naam" autocomplete="username" required></label></p>
            <p><label>Wachtwoord<br><input name="wachtwoord" type="password" autocomplete="current-password" required></label></p>
            <input type="hidden" name="next" value="\(escape(next))">
            <input type="hidden" name="token" value="\(escape(token))">
            <p><button type="submit">Inloggen</button></p></form>
            <p><small>Een account maakt de beheerder met <code>kcsync board add-user NAAM</code>.</small></p>
            </section></main>
            """)
    }

    /// The page a one-time login link opens: it says for whom, and only its button (a POST)
    /// uses the link up, so a mail scanner that fetches the link spends nothing.
    static func linkLogin(account: String, code: String, token: String) -> String {
        document(title: "Inloggen met een inloglink – kcsync bestuur", """
            <header><h1>kcsync – trendoverzicht van het bestuur</h1><p>Alleen voor accounts van het bestuur.</p></header>
            <main><section><h2>Inloggen als \(escape(account))</h2>
            <p>Deze inloglink werkt één keer en is tien minuten geldig.</p>
            <form method="post" action="/login/link">
            <input type="hidden" name="code" value="\(escape(code))">
            <input type="hidden" name="token" value="\(escape(token))">
            <p><button type="submit" id="inloggen">Inloggen als \(escape(account))</button></p></form>
            </section></main>
            """)
    }

    /// A link that is expired, used, or was never made.
    static func expiredLink() -> String {
        document(title: "Inloglink verlopen – kcsync bestuur", """
            <header><h1>kcsync – trendoverzicht van het bestuur</h1></header>
            <main><section><h2>Inloggen</h2><p role="alert"><strong>Deze inloglink is verlopen of al gebruikt.</strong></p>
            <p>Vraag de beheerder om een nieuwe (<code>kcsync board login-link NAAM</code>), of <a href="/login">log in met naam en wachtwoord</a>.</p>
            </section></main>
            """)
    }

    static func failure() -> String {
        document(title: "Fout – kcsync bestuur", "<main><section><h2>Het overzicht kon niet worden gelezen</h2><p>Probeer het later opnieuw; de beheerder vindt de oorzaak in het logboek van de server.</p></section></main>")
    }

    static func link(period: String?, area: String?) -> String {
        var items: [String] = []
        if let period { items.append("periode=" + (period.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) ?? "")) }
        if let area { items.append("vakgebied=" + (area.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) ?? "")) }
        return items.isEmpty ? "/" : "/?" + items.joined(separator: "&amp;")
    }

    static func overview(_ report: BoardReport, account: String, periods: [String]) -> String {
        var body = """
            <header><h1>Trendoverzicht bestuur \(escape(report.board))</h1>
            <p>\(report.schools.count) \(report.schools.count == 1 ? "school" : "scholen") · ingelogd als \(escape(account))
            <form method="post" action="/logout"><button type="submit">Uitloggen</button></form></p></header><main>
            <nav aria-label="Periode"><strong>Periode:</strong> <a href="\(link(period: nil, area: report.subjectArea))" class="\(report.period == nil ? "actief" : "")">alle</a>
            """
        for period in periods {
            body += "<a href=\"\(link(period: period, area: report.subjectArea))\" class=\"\(report.period == period ? "actief" : "")\">\(escape(period))</a>"
        }
        body += "</nav><nav aria-label=\"Vakgebied\"><strong>Vakgebied:</strong> <a href=\"\(link(period: report.period, area: nil))\" class=\"\(report.subjectArea == nil ? "actief" : "")\">alle</a>"
        for area in SubjectArea.allCases {
            body += "<a href=\"\(link(period: report.period, area: area.rawValue))\" class=\"\(report.subjectArea == area.rawValue ? "actief" : "")\">\(escape(area.label))</a>"
        }
        body += "</nav>"

        body += "<section id=\"signalen\"><h2>Signalen over de scholen heen</h2>"
        if report.signals.isEmpty {
            body += "<p>Geen signalen.</p>"
        } else {
            body += "<ul>"
            for signal in report.signals {
                body += "<li><strong>\(escape(signal.text))</strong> <small>(\(escape(signal.schools.joined(separator: ", "))))</small></li>"
            }
            body += "</ul>"
        }
        body += "</section>"

        body += "<section id=\"adviezen\"><h2>Trendadviezen en reacties</h2>"
        if report.advice.isEmpty { body += "<p>Nog geen trendadviezen.</p>" }
        for advice in report.advice {
            body += """
                <article><h3>\(escape(advice.signal))</h3>
                <p><small>\(escape(advice.period)) · \(escape(advice.subjectArea)) · geschreven door \(escape(advice.author)) (\(escape(advice.writtenAt)))</small></p>
                """
            if !advice.interpretation.isEmpty { body += "<p><em>Duiding:</em> \(escape(advice.interpretation))</p>" }
            body += "<p>\(escape(advice.advice))</p>"
            if !advice.suggestedAgreements.isEmpty {
                body += "<p>Voorgestelde afspraken:</p><ul>" + advice.suggestedAgreements.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
            }
            body += "<table><caption>Reacties van de scholen</caption><thead><tr><th>School</th><th>Reactie</th><th>Toelichting</th></tr></thead><tbody>"
            for reaction in advice.reactions {
                let css = reaction.reaction == AdviceReaction.adopted.rawValue ? "reactie-overgenomen" : reaction.reaction == AdviceReaction.seen.rawValue ? "reactie-gezien" : "reactie-niet"
                body += "<tr><td>\(escape(reaction.school))</td><td class=\"\(css)\">\(escape(reaction.reaction))</td><td>\(escape(reaction.comment))</td></tr>"
            }
            if advice.reactions.isEmpty { body += "<tr><td colspan=\"3\">Nog geen reacties.</td></tr>" }
            body += "</tbody></table>"
            if !advice.waitingFor.isEmpty { body += "<p><small>Wacht nog op: \(escape(advice.waitingFor.joined(separator: ", ")))</small></p>" }
            body += "</article>"
        }
        body += "</section>"

        for subject in report.subjects {
            let area = SubjectArea(rawValue: subject.subjectArea)?.label ?? subject.subjectArea
            body += "<section id=\"vak-\(escape(subject.subjectArea.replacingOccurrences(of: " ", with: "-")))\"><h2>\(escape(area.prefix(1).uppercased() + area.dropFirst()))</h2>"
            body += "<table><thead><tr><th>School</th><th>Groep</th><th>Maat</th>"
            for period in subject.periods { body += "<th>\(escape(period))</th>" }
            body += "<th>Ambitie</th><th>Signalerings&shy;waarde</th><th>Verloop</th><th>Signalen</th></tr></thead><tbody>"
            for series in subject.series {
                let byPeriod = Dictionary(series.points.map { ($0.period, $0) }, uniquingKeysWith: { a, _ in a })
                let metric = TrendMetric(rawValue: series.metric)
                body += "<tr><td>\(escape(series.school))</td><td>\(escape(series.group))</td><td>\(escape(series.metricLabel))</td>"
                for period in subject.periods {
                    if let point = byPeriod[period] {
                        body += point.suppressed ? "<td class=\"onderdrukt\" title=\"minder dan 10 leerlingen\">\(escape(point.display))</td>"
                                                 : "<td class=\"getal\" title=\"n: \(escape(point.pupilsBand))\">\(escape(point.display))</td>"
                    } else {
                        body += "<td class=\"getal\">–</td>"
                    }
                }
                body += "<td class=\"getal\">\(series.ambition.map { escape(metric?.format($0) ?? String($0)) } ?? "–")</td>"
                body += "<td class=\"getal\">\(series.floor.map { escape(metric?.format($0) ?? String($0)) } ?? "–")</td>"
                body += "<td>\(sparkline(series, periods: subject.periods))</td><td>\(badges(series))</td></tr>"
                if !series.interpretation.isEmpty {
                    body += "<tr><td></td><td colspan=\"\(subject.periods.count + 6)\"><small>Duiding: \(escape(series.interpretation))</small></td></tr>"
                }
            }
            body += "</tbody></table></section>"
        }
        if report.subjects.isEmpty {
            body += "<section><h2>Trendcijfers</h2><p>Nog geen gedeelde trendcijfers\(report.period == nil ? "" : " voor deze periode").</p></section>"
        }

        body += "<section id=\"afspraken\"><h2>Gedeelde afspraken</h2>"
        if report.agreements.isEmpty {
            body += "<p>Geen gedeelde afspraken.</p>"
        } else {
            body += "<table><thead><tr><th>School</th><th>Wat</th><th>Wie</th><th>Wanneer</th><th>Status</th></tr></thead><tbody>"
            for agreement in report.agreements {
                body += "<tr><td>\(escape(agreement.school))</td><td>\(escape(agreement.title))</td><td>\(escape(agreement.owner))</td><td>\(escape(agreement.dueDate ?? "–"))</td><td>\(escape(agreement.status))</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += """
            </section>
            <p class="legenda"><small>Cijfers over minder dan 10 leerlingen worden niet getoond (&lt; 10) en tellen niet mee in de signalen.
            Verloop: de lijn toont de waarde per periode; <svg width="24" height="8" aria-hidden="true"><line x1="0" y1="4" x2="24" y2="4" stroke="#2b6cb0" stroke-dasharray="4 3"/></svg> ambitie,
            <svg width="24" height="8" aria-hidden="true"><line x1="0" y1="4" x2="24" y2="4" stroke="#c53030" stroke-dasharray="2 2"/></svg> signaleringswaarde van de inspectie.
            Een trend is dalend of stijgend als de laatste drie metingen elke keer lager of hoger zijn.</small></p>
            </main>
            """
        return document(title: "Trendoverzicht bestuur \(report.board)", body)
    }

    static func badges(_ series: BoardReport.Series) -> String {
        var out = ""
        if series.direction == TrendDirection.falling.rawValue { out += "<span class=\"label dalend\">dalend</span>" }
        if series.direction == TrendDirection.rising.rawValue { out += "<span class=\"label stijgend\">stijgend</span>" }
        if series.underFloor == true { out += "<span class=\"label onder\">onder signaleringswaarde</span>" }
        if series.underAmbition == true { out += "<span class=\"label onder\">onder ambitie</span>" }
        return out
    }

    static func sparkline(_ series: BoardReport.Series, periods: [String]) -> String {
        WebCharts.sparkline(series, periods: periods)
    }
}
