public import KCReplica
import Foundation
import KCModel

/// Charts as inline SVG (no script, printable), shared by the school's and the board's pages.
public enum WebCharts {
    /// `text` safe inside HTML text and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// The series over `periods` as a small inline SVG: a line through the values shown
    /// (broken where a figure is withheld or missing), dashed lines for ambitie and floor, and,
    /// with `comparison` (period → the range of other schools), a grey band behind it.
    /// A comparison whose every range is one value is drawn as a grey line (`comparisonName`
    /// says what it is, for the chart's text).
    public static func sparkline(_ series: BoardReport.Series, periods: [String], comparison: [String: ClosedRange<Double>] = [:],
                                 comparisonName: String = "de andere scholen", width: Double = 150, height: Double = 40) -> String {
        let pad = 4.0
        let values = series.points.compactMap(\.value)
        guard !values.isEmpty else { return "<small>–</small>" }
        let references = [series.ambition, series.floor].compactMap { $0 }.filter(\.isFinite)
        let bands = comparison.values.flatMap { [$0.lowerBound, $0.upperBound] }.filter(\.isFinite)
        var low = (values + references + bands).min()!, high = (values + references + bands).max()!
        if high - low < 4 { low -= 2; high += 2 }
        let step = periods.count > 1 ? (width - 2 * pad) / Double(periods.count - 1) : 0
        func x(_ index: Int) -> Double { pad + Double(index) * step }
        func y(_ value: Double) -> Double { height - pad - (value - low) / (high - low) * (height - 2 * pad) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        let byPeriod = Dictionary(series.points.map { ($0.period, $0) }, uniquingKeysWith: { a, _ in a })
        var label = series.points.map { "\($0.period): \($0.display)" }.joined(separator: ", ")
        if !comparison.isEmpty { label += "; grijs: \(comparisonName)" }
        var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(label))\"><title>\(escape(label))</title>"
        // The other schools' range, as a band through the periods that have one.
        let banded = periods.enumerated().compactMap { index, period in comparison[period].map { (index, $0) } }
        if banded.count > 1, banded.allSatisfy({ $0.1.lowerBound == $0.1.upperBound }) {
            svg += "<polyline fill=\"none\" stroke=\"#8a93a3\" stroke-width=\"2\" points=\"\(banded.map { "\(f(x($0.0))),\(f(y($0.1.lowerBound)))" }.joined(separator: " "))\"/>"
        } else if banded.count > 1 {
            let top = banded.map { "\(f(x($0.0))),\(f(y($0.1.upperBound)))" }
            let bottom = banded.reversed().map { "\(f(x($0.0))),\(f(y($0.1.lowerBound)))" }
            svg += "<polygon fill=\"#d5dae1\" points=\"\((top + bottom).joined(separator: " "))\"/>"
        }
        if let ambition = series.ambition, ambition.isFinite {
            svg += "<line x1=\"0\" y1=\"\(f(y(ambition)))\" x2=\"\(Int(width))\" y2=\"\(f(y(ambition)))\" stroke=\"#2b6cb0\" stroke-dasharray=\"4 3\"/>"
        }
        if let floor = series.floor, floor.isFinite {
            svg += "<line x1=\"0\" y1=\"\(f(y(floor)))\" x2=\"\(Int(width))\" y2=\"\(f(y(floor)))\" stroke=\"#c53030\" stroke-dasharray=\"2 2\"/>"
        }
        var segments: [[(Double, Double)]] = [[]]
        var dots = ""
        for (index, period) in periods.enumerated() {
            if let value = byPeriod[period]?.value {
                segments[segments.count - 1].append((x(index), y(value)))
                dots += "<circle cx=\"\(f(x(index)))\" cy=\"\(f(y(value)))\" r=\"2.2\" fill=\"#1f3a5f\"/>"
            } else if !(segments.last?.isEmpty ?? true) {
                segments.append([])
            }
        }
        let colour = series.direction == TrendDirection.falling.rawValue ? "#b42318" : "#1f3a5f"
        for segment in segments where segment.count > 1 {
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(segment.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " "))\"/>"
        }
        return svg + dots + "</svg>"
    }
}
