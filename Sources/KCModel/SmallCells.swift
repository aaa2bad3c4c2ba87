import Foundation
public import SyncCore

/// All a board copy says of how many pupils a figure is over: a band, never n itself.
public enum PupilsBand: String, CaseIterable, Sendable, Codable {
    case under10 = "<10"
    case from10 = "10-19"
    case from20 = "20-29"
    case from30 = "30-49"
    case from50 = "50-99"
    case from100 = "100+"

    /// The band `pupils` falls in.
    public init(pupils: Int) {
        switch pupils {
        case ..<10: self = .under10
        case ..<20: self = .from10
        case ..<30: self = .from20
        case ..<50: self = .from30
        case ..<100: self = .from50
        default: self = .from100
        }
    }

    /// As a kc'er reads it: "< 10", "20–29", "100 of meer".
    public var label: String {
        switch self {
        case .under10: "< 10"
        case .from10: "10–19"
        case .from20: "20–29"
        case .from30: "30–49"
        case .from50: "50–99"
        case .from100: "100 of meer"
        }
    }
}

/// Why a figure's value stays at its school.
public enum Suppression: String, Sendable, Codable, CaseIterable {
    /// Fewer than ``TrendSignals/minimumPupils`` pupils are behind it.
    case smallCell = "small-cell"
    /// It would let a small cell be computed (a cohort over a suppressed group, or a figure
    /// whose groups cannot be told).
    case complementary
}

/// Decides which of a school's figures leave the school without their value, before they are
/// shared (DOMAIN.md, "Privacy": an aggregate over fewer than 10 pupils never leaves with its
/// value or n, and no set of shared figures may reveal one).
///
/// Primary suppression: every figure over fewer than 10 pupils. Complementary suppression,
/// within one subject × period × metric: a figure whose groups include those of a suppressed
/// figure (the cohort `6-7` over a suppressed group 7, which with group 6 would give group 7
/// back), and, failing closed, a figure whose groups cannot be read (`bovenbouw`) beside any
/// suppressed one; repeated until nothing changes, so a cohort `4-7` over a withheld `5-7` is
/// withheld too. What remains shared covers no withheld group that can be read, and nothing
/// whose groups cannot be read: every shared figure is over pupils outside each small cell, so
/// no sum or difference of them isolates one.
public enum TrendSuppression {
    /// The groups a figure's `group` covers: `6` → 6…6, `6-7` (or `6–7`) → 6…7; nil when it
    /// cannot be read.
    public static func coverage(_ group: String) -> ClosedRange<Int>? {
        let parts = group.replacingOccurrences(of: "–", with: "-").split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = parts.compactMap { Int($0) }.filter { (1...8).contains($0) }
        guard numbers.count == parts.count else { return nil }
        switch numbers.count {
        case 1: return numbers[0]...numbers[0]
        case 2 where numbers[0] <= numbers[1]: return numbers[0]...numbers[1]
        default: return nil
        }
    }

    /// The figures of `figures` (a school's own, with n) whose value stays at school, and why.
    public static func withheld(_ figures: [TrendFigure]) -> [EntityID: Suppression] {
        var out: [EntityID: Suppression] = [:]
        struct Cell: Hashable { var area: SubjectArea; var period: Period; var metric: TrendMetric }
        for (_, cell) in Dictionary(grouping: figures, by: { Cell(area: $0.subjectArea, period: $0.period, metric: $0.metric) }) {
            for figure in cell where (figure.pupils ?? 0) < TrendSignals.minimumPupils { out[figure.id] = .smallCell }
            var changed = !out.isEmpty
            while changed {
                changed = false
                let held = cell.filter { out[$0.id] != nil }
                for figure in cell where out[figure.id] == nil {
                    let range = coverage(figure.group)
                    // A figure whose groups cannot be read might hold a small cell: withheld
                    // beside any. One that can be read is withheld when it holds a withheld one.
                    let reveals = held.contains { other in
                        guard let range else { return true }
                        guard let inner = coverage(other.group) else { return false }
                        return range.contains(inner.lowerBound) && range.contains(inner.upperBound)
                    }
                    if reveals {
                        out[figure.id] = .complementary
                        changed = true
                    }
                }
            }
        }
        return out
    }
}
