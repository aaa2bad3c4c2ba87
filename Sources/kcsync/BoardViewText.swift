import KCModel
import KCReplica
import KCWeb

/// `kcsync board view` as text: what the board's pages show, for a terminal.
enum BoardViewText {
    static func render(_ report: BoardReport) -> String {
        var out = "Bestuur \(report.board): \(report.schools.count) \(report.schools.count == 1 ? "school" : "scholen") (\(report.schools.joined(separator: ", ")))"
        if let period = report.period { out += ", periode \(period)" }
        if let area = report.subjectArea { out += ", \(area)" }
        out += "\n\nZoals de inspectie oordeelt (groep 8; lezen, taalverzorging en rekenen samen; gewogen driejaarsgemiddelde)\n"
        if report.inspection.isEmpty { out += "  nog geen indicatoren\n" }
        for row in WebInspection.rows(report.inspection) {
            out += "  \(row.school)  \(row.indicator): \(row.value)  signaleringswaarde \(row.threshold)  \(row.outcome)  \(row.margin)  inspectie: \(row.published)\n"
        }
        out += "\nSignalen (eigen analyse per vak)\n"
        if report.signals.isEmpty { out += "  geen\n" }
        for signal in report.signals { out += "  - \(signal.text) (\(signal.schools.joined(separator: ", ")))\n" }
        for subject in report.subjects {
            out += "\n\(subject.subjectArea.uppercased())  (\(subject.periods.joined(separator: " → ")))\n"
            for series in subject.series {
                let metric = TrendMetric(rawValue: series.metric)
                let values = series.points.map(\.display).joined(separator: " → ")
                var line = "  \(series.school)  groep \(series.group)  \(series.metricLabel): \(values)"
                if let ambition = series.ambition { line += "  ambitie \(metric?.format(ambition) ?? "\(ambition)")" }
                if let floor = series.floor { line += "  norm \(metric?.format(floor) ?? "\(floor)")" }
                var flags = [series.direction]
                if series.underFloor == true { flags.append("onder de norm") }
                if series.underAmbition == true { flags.append("onder ambitie") }
                out += line + "  [\(flags.joined(separator: ", "))]\n"
            }
        }
        out += "\nTrendadviezen\n"
        if report.advice.isEmpty { out += "  nog geen\n" }
        for advice in report.advice {
            out += "  \(String(advice.id.suffix(8)))  \(advice.period)  \(advice.subjectArea)  \(advice.signal)\n"
            for reaction in advice.reactions {
                out += "      \(reaction.school): \(reaction.reaction)\(reaction.comment.isEmpty ? "" : " (\(reaction.comment))")\n"
            }
            if !advice.waitingFor.isEmpty { out += "      wacht nog op: \(advice.waitingFor.joined(separator: ", "))\n" }
        }
        out += "\nGedeelde afspraken\n"
        if report.agreements.isEmpty { out += "  geen\n" }
        for agreement in report.agreements {
            out += "  \(agreement.school)  \(agreement.dueDate ?? "-")  \(agreement.status)  \(agreement.owner): \(agreement.title)\n"
        }
        out += "\nCijfers over minder dan 10 leerlingen staan er als \"< 10\" en tellen niet mee in de signalen.\n"
        return out
    }
}
