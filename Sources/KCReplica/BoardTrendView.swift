import Foundation
import GRDB
import KCModel
import SyncCore
import SyncStore

/// The board's merged trend view, kept ready: per scope, subject, period, school, group and
/// metric one row holding the series as the merged view shows it when that period is asked
/// for (its points over the window, its direction and signals), updated in the transaction
/// that applies a figure (or, while received batches keep the writer busy, in a later one:
/// see ``DerivedTable``). A page asking for one subject and one period reads that period's
/// rows instead of every figure of the window.
///
/// Triggers on the figures' table note each changed figure's series and period (whoever
/// writes); at the end of the transaction the rows whose window holds a noted period are
/// computed again, from the figures, exactly as ``BoardReport`` computes the whole view. A
/// reader that finds notes not yet worked off, or a period list that is not the one the rows
/// were made against, computes the view from the figures instead.
enum BoardTrendView {
    static let table = DerivedTable(name: "the merged trend view", install: install, refresh: refresh)

    static let figures = ReplicaStore.recordTable(KCSchemas.trendAnalysis.name)

    // MARK: - Installing

    static func install(_ db: Database) throws {
        let fresh = try !db.tableExists("trend_view_series")
        let key = """
            scope INTEGER NOT NULL, school TEXT NOT NULL, subjectArea TEXT NOT NULL, "group" TEXT NOT NULL, metric TEXT NOT NULL, period TEXT NOT NULL
            """
        // The notes have no key: an update notes the series before and after (mostly the same
        // one), and a trigger's OR IGNORE gives way to the conflict rule of the statement that
        // fired it, so a key would fail the apply. The refresh reads the notes as a set.
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS trend_view_dirty (\(key), gone INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS trend_view_series (\(key),
                ambition REAL, floor REAL, direction TEXT NOT NULL, underAmbition INTEGER, underFloor INTEGER,
                visible INTEGER NOT NULL, latestSuppressed INTEGER NOT NULL, interpretation TEXT NOT NULL, points BLOB NOT NULL,
                PRIMARY KEY (scope, period, subjectArea, school, "group", metric)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS trend_view_period (scope INTEGER NOT NULL, period TEXT NOT NULL, PRIMARY KEY (scope, period)) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS trend_series ON \(figures) (scope, school, subjectArea, "group", metric, period);
            CREATE TRIGGER IF NOT EXISTS trend_view_insert AFTER INSERT ON \(figures) BEGIN
                \(note("NEW", gone: false))
            END;
            CREATE TRIGGER IF NOT EXISTS trend_view_update AFTER UPDATE ON \(figures) BEGIN
                \(note("OLD", gone: true))
                \(note("NEW", gone: false))
            END;
            CREATE TRIGGER IF NOT EXISTS trend_view_delete AFTER DELETE ON \(figures) BEGIN
                \(note("OLD", gone: true))
            END;
            """)
        if fresh {
            // Figures written before the view existed: every one of them is noted.
            try db.execute(sql: """
                INSERT INTO trend_view_dirty
                SELECT scope, ifnull(school, ''), ifnull(subjectArea, ''), ifnull("group", ''), ifnull(metric, ''), ifnull(period, ''), 0
                FROM \(figures)
                """)
        }
    }

    /// A note of a figure as it was (`gone`: updated or deleted, so its period may have gone
    /// from the list) or as it is now.
    private static func note(_ row: String, gone: Bool) -> String {
        """
        INSERT INTO trend_view_dirty VALUES (\(row).scope, ifnull(\(row).school, ''), ifnull(\(row).subjectArea, ''),
            ifnull(\(row)."group", ''), ifnull(\(row).metric, ''), ifnull(\(row).period, ''), \(gone ? 1 : 0));
        """
    }

    // MARK: - Keeping it up to date

    static func refresh(_ db: Database) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM trend_view_dirty)")) == true else { return }
        for scope in try Int64.fetchAll(db, sql: "SELECT DISTINCT scope FROM trend_view_dirty") {
            try refresh(db, scope: scope)
        }
        try db.execute(sql: "DELETE FROM trend_view_dirty")
    }

    /// One series as the dirty notes name it.
    private struct SeriesNote: Hashable {
        var school: String, subjectArea: String, group: String, metric: String
    }

    private static func refresh(_ db: Database, scope: Int64) throws {
        let kept = try String.fetchAll(db.cachedStatement(sql: "SELECT period FROM trend_view_period WHERE scope = ?"), arguments: [scope])
            .compactMap(Period.init).sorted()
        let periods: [Period]
        if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM trend_view_dirty WHERE scope = ? AND gone)"), arguments: [scope]) == true {
            periods = try BoardReport.periods(db, scopeID: scope)
        } else {
            // Figures only came: the list can only have grown, by noted periods that now hold
            // a figure (one seek each), and need not be read again from the index.
            var new: [Period] = []
            for text in try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT period FROM trend_view_dirty WHERE scope = ?"), arguments: [scope]) {
                guard let period = Period(text), !kept.contains(period) else { continue }
                if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM \(figures) WHERE scope = ? AND period = ? AND deleted = 0)"),
                                     arguments: [scope, text]) == true {
                    new.append(period)
                }
            }
            periods = new.isEmpty ? kept : Array(Set(kept + new)).sorted()
        }
        if kept != periods {
            // A period came or went: every period whose window is no longer the one its rows
            // were made with is made again, for every series it has.
            for period in periods where kept.contains(period) && BoardReport.shown(kept, upTo: period) != BoardReport.shown(periods, upTo: period) {
                try db.execute(sql: """
                    INSERT INTO trend_view_dirty
                    SELECT scope, school, subjectArea, "group", metric, period, 0 FROM trend_view_series WHERE scope = ? AND period = ?
                    """, arguments: [scope, period.description])
            }
            try db.execute(sql: "DELETE FROM trend_view_period WHERE scope = ?", arguments: [scope])
            for period in periods {
                try db.execute(sql: "INSERT INTO trend_view_period (scope, period) VALUES (?, ?)", arguments: [scope, period.description])
            }
        }
        let position = Dictionary(uniqueKeysWithValues: periods.enumerated().map { ($0.element, $0.offset) })
        var noted: [SeriesNote: Set<String>] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT school, subjectArea, "group", metric, period FROM trend_view_dirty WHERE scope = ?
            """, arguments: [scope])
        while let row = try rows.next() {
            noted[SeriesNote(school: row[0], subjectArea: row[1], group: row[2], metric: row[3]), default: []].insert(row[4])
        }
        for (series, texts) in noted {
            // The periods whose window holds a changed period: it and the next seven.
            let changed = Set(texts.compactMap(Period.init))
            var affected = changed
            for period in changed {
                if let at = position[period] {
                    for later in periods[at..<min(periods.count, at + BoardReport.window)] { affected.insert(later) }
                }
            }
            guard !affected.isEmpty else { continue }
            var needed = affected
            for period in affected { needed.formUnion(window(periods, endingAt: period, at: position[period])) }
            let figures = try seriesFigures(db, scope: scope, series: series, periods: needed)
            let present = Set(figures.map(\.period))
            for period in affected {
                // A series has a row for a period exactly when it has a figure of it: a later
                // period without one, not changed itself, has no row to make or take away.
                if !changed.contains(period) && !present.contains(period) { continue }
                let shown = Set(window(periods, endingAt: period, at: position[period]))
                let ordered = present.contains(period) ? figures.filter { shown.contains($0.period) } : []
                guard let row = BoardReport.SeriesRow(ordered, endingAt: period) else {
                    try db.cachedStatement(sql: """
                        DELETE FROM trend_view_series WHERE scope = ? AND period = ? AND subjectArea = ? AND school = ? AND "group" = ? AND metric = ?
                        """).execute(arguments: [scope, period.description, series.subjectArea, series.school, series.group, series.metric])
                    continue
                }
                // A row that is there is replaced (its key is the statement's), one that is not is made.
                try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO trend_view_series (scope, school, subjectArea, "group", metric, period, ambition, floor, direction,
                        underAmbition, underFloor, visible, latestSuppressed, interpretation, points)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [
                        scope, series.school, series.subjectArea, series.group, series.metric, period.description, row.ambition, row.floor,
                        row.direction.rawValue, row.underAmbition, row.underFloor, row.visible, row.latestSuppressed, row.interpretation,
                        PackedPoints.encode(row.points),
                    ])
            }
        }
    }

    /// The window of a period at `at` in `periods` (known), or of one that is not among them.
    private static func window(_ periods: [Period], endingAt period: Period, at: Int?) -> ArraySlice<Period> {
        guard let at else { return ArraySlice(BoardReport.shown(periods, upTo: period)) }
        return periods[max(0, at + 1 - BoardReport.window)...at]
    }

    /// The figures of one series in `periods`, in the view's order.
    private static func seriesFigures(_ db: Database, scope: Int64, series: SeriesNote, periods: Set<Period>) throws -> [TrendFigure] {
        // A figure without a school or group is shown with an empty one; the notes say ''.
        let school = series.school.isEmpty ? "(school IS NULL OR school = '')" : "school = ?"
        let group = series.group.isEmpty ? "(\"group\" IS NULL OR \"group\" = '')" : "\"group\" = ?"
        var arguments: StatementArguments = [scope]
        if !series.school.isEmpty { arguments += [series.school] }
        arguments += [series.subjectArea]
        if !series.group.isEmpty { arguments += [series.group] }
        arguments += [series.metric]
        let texts = periods.sorted().map(\.description)
        arguments += StatementArguments(texts)
        let sql = """
            SELECT \(BoardReport.figureColumns) FROM \(figures)
            WHERE scope = ? AND \(school) AND subjectArea = ? AND \(group) AND metric = ? AND deleted = 0
              AND period IN (\(Array(repeating: "?", count: texts.count).joined(separator: ", ")))
            """
        var out: [TrendFigure] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            if let figure = BoardReport.figure(row, period: Period.init) { out.append(figure) }
        }
        return BoardReport.inViewOrder(out)
    }
}

/// A series' points as the kept view stores them: per point its period, whether it is
/// withheld, its value when it is not, and its band. What a kc'er reads ("87,5%", "< 10") is
/// made from these when the row is read.
enum PackedPoints {
    struct Point: Equatable {
        var period: String
        var value: Double?
        var band: PupilsBand
    }

    static func encode(_ points: [Point]) -> Data {
        // Into an array first: Data's byte-wise appends were a fifth of the view's upkeep.
        var out: [UInt8] = []
        out.reserveCapacity(1 + points.count * 24)
        out.append(UInt8(clamping: points.count))
        for point in points.prefix(255) {
            let period = point.period.utf8.prefix(255)
            out.append(UInt8(period.count))
            out.append(contentsOf: period)
            let band = point.band.rawValue.utf8
            out.append(UInt8(band.count))
            out.append(contentsOf: band)
            if let value = point.value {
                out.append(1)
                let bits = value.bitPattern
                for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
            } else {
                out.append(0)
            }
        }
        return Data(out)
    }

    /// Nil when the bytes are not what ``encode(_:)`` writes.
    static func decode(_ data: Data) -> [Point]? {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> [Point]? in
            var at = 0
            func byte() -> UInt8? {
                guard at < raw.count else { return nil }
                defer { at += 1 }
                return raw[at]
            }
            func text() -> String? {
                guard let n = byte(), at + Int(n) <= raw.count else { return nil }
                defer { at += Int(n) }
                return String(decoding: UnsafeRawBufferPointer(rebasing: raw[at..<(at + Int(n))]), as: UTF8.self)
            }
            guard let count = byte() else { return nil }
            var points: [Point] = []
            points.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let period = text(), let bandText = text(), let band = PupilsBand(rawValue: bandText), let flag = byte() else { return nil }
                var value: Double?
                if flag == 1 {
                    guard at + 8 <= raw.count else { return nil }
                    var bits: UInt64 = 0
                    for i in 0..<8 { bits |= UInt64(raw[at + i]) << (8 * UInt64(i)) }
                    at += 8
                    value = Double(bitPattern: bits)
                } else if flag != 0 {
                    return nil
                }
                points.append(Point(period: period, value: value, band: band))
            }
            return at == raw.count ? points : nil
        }
    }
}
