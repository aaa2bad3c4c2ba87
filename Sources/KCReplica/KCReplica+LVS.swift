public import Foundation
public import KCModel
import SyncCore
import SyncStore

/// A trend file as `kcsync trend import` and the Trends page get it: kcsync's own format, or
/// an export of the school's pupil-monitoring system (pupil level or group level).
public enum TrendFile: Sendable {
    /// kcsync's format (see ``TrendCSV``): its text.
    case kcsync(String)
    /// An LVS export: its sheet, and the fingerprint of its header (the source it is from).
    case export(rows: [[String]], header: [String], source: String)

    /// Reads a file: CSV (any separator, UTF-8 or Windows-1252), XLSX or ODS.
    public static func read(_ data: Data) throws(KCError) -> TrendFile {
        let rows: [[String]]
        do { rows = try Spreadsheet.rows(data) } catch {
            throw KCError(.invalidInput, "Het bestand is niet ingelezen: \(error.message). Er is niets opgeslagen.")
        }
        guard let header = rows.first(where: { $0.contains { !$0.trimmingCharacters(in: .whitespaces).isEmpty } }) else {
            throw KCError(.invalidInput, "Het bestand is leeg. Er is niets opgeslagen.")
        }
        if LVSExport.isTrendFormat(header) {
            if Spreadsheet.kind(of: data) == .csv, let text = try? TrendCSV.text(of: data) { return .kcsync(text) }
            // A workbook in kcsync's format: the same rows, as CSV text for the same reader.
            let text = rows.map { $0.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ";") }.joined(separator: "\n")
            return .kcsync(text)
        }
        return .export(rows: rows, header: header, source: LVSExport.fingerprint(header))
    }
}

extension KCReplica {
    static let lvsMappingPrefix = "lvs-mapping."

    /// The mapping saved for a source (by name, or by its header's fingerprint).
    public func lvsMapping(source: String) -> LVSMapping? {
        guard let value = try? store.localValue(KCReplica.lvsMappingPrefix + source) else { return nil }
        return try? JSONDecoder().decode(LVSMapping.self, from: value.value)
    }

    /// Keeps `mapping` for `source` (local state: never synced, and it holds column names only).
    public func saveLVSMapping(_ mapping: LVSMapping, source: String) throws(KCError) {
        guard !source.isEmpty, source.count <= 80 else { throw KCError(.invalidInput, "Een bronnaam is 1 tot 80 tekens.") }
        let data = (try? JSONEncoder().encode(mapping)) ?? Data()
        try perform("de kolomindeling te bewaren") { () throws(SyncError) in
            try store.setLocalValue(KCReplica.lvsMappingPrefix + source, data, expires: nil)
        }
    }

    /// The group figures an export gives with `mapping`, or every bad line.
    public func previewExport(_ rows: [[String]], mapping: LVSMapping) throws(KCError) -> LVSExport.Summary {
        switch LVSExport.read(rows, mapping: mapping) {
        case .success(let summary): return summary
        case .failure(let problems):
            let lines = problems.errors.map { "  \($0)" }.joined(separator: "\n")
            throw KCError(.invalidInput, "Het bestand is niet ingelezen; er is niets opgeslagen. Verbeter:\n\(lines)")
        }
    }

    /// Reads an export with `mapping` and writes its group figures (never a pupil row) in one
    /// transaction, or, if any row is wrong, nothing.
    @discardableResult
    public func importExport(_ rows: [[String]], mapping: LVSMapping, share: Bool = true) throws(KCError) -> [TrendFigure] {
        try addTrends(try previewExport(rows, mapping: mapping).drafts, share: share)
    }
}
