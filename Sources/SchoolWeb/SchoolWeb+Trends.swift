import Foundation
import Hummingbird
import HummingbirdAuth
import KCModel
import KCReplica
import KCWeb
import Logging
import MultipartKit
import NIOCore
import SyncCore
import SyncNet
import SyncStore

/// Trends: the leerteams' CSV uploaded (the reader and line-numbered errors of `trend import`),
/// the school's series as charts with ambitie and signaleringswaarde, the computed signals, and
/// the other schools as the board allows it: a range over at least three schools' shared
/// figures, never one school's figure and never a small cell.
extension SchoolWeb {
    /// The fewest other schools a comparison range is drawn from.
    static let comparisonMinimum = 3

    func trends(_ context: KCWebContext, query: [String: String] = [:], notice: String? = nil, problem: String? = nil, problems: [String] = [],
                status: HTTPResponse.Status = .ok) -> Response {
        struct Cell { var display: String; var small: Bool }
        struct Row {
            var group: String; var metric: String; var cells: [Cell]; var ambition: String; var floor: String
            var chart: String; var signals: [String]; var comparison: String?; var interpretation: String?
        }
        struct Subject { var name: String; var periods: [String]; var rows: [Row] }
        struct View {
            var page: Frame; var token: String; var subjects: [Subject]; var hasSubjects: Bool
            var notice: String?; var problem: String?; var problems: [String]
            var inspection: [WebInspection.Row]; var hasInspection: Bool; var thresholdSource: String?
            var weergave: WebTrendViews.Model
        }
        do throws(KCError) {
            let school = replica.configuration.school
            let inspection = try replica.inspectionView()
            let own = try BoardReport.build(store: replica.store, scope: replica.schoolScope, board: replica.configuration.board,
                                            schools: [school], ownSchool: true)
            // What the other schools shared, as the board scope at this school holds it.
            let shared = try BoardReport.build(store: replica.store, scope: replica.boardScope, board: replica.configuration.board, schools: [])
            var others: [String: [String: [Double]]] = [:]   // subject|group|metric → period → values
            for subject in shared.subjects {
                for series in subject.series where series.school != school {
                    for point in series.points where !point.suppressed {
                        guard let value = point.value else { continue }
                        others["\(subject.subjectArea)|\(series.group)|\(series.metric)", default: [:]][point.period, default: []].append(value)
                    }
                }
            }
            let subjects = own.subjects.map { subject in
                Subject(name: SubjectArea(rawValue: subject.subjectArea)?.label ?? subject.subjectArea, periods: subject.periods,
                        rows: subject.series.map { series in
                            let metric = TrendMetric(rawValue: series.metric)
                            let byPeriod = Dictionary(series.points.map { ($0.period, $0) }, uniquingKeysWith: { a, _ in a })
                            var ranges: [String: ClosedRange<Double>] = [:]
                            for (period, values) in others["\(subject.subjectArea)|\(series.group)|\(series.metric)"] ?? [:]
                            where values.count >= SchoolWeb.comparisonMinimum {
                                ranges[period] = values.min()!...values.max()!
                            }
                            var signals: [String] = []
                            if series.direction == TrendDirection.falling.rawValue { signals.append("dalende trend") }
                            if series.direction == TrendDirection.rising.rawValue { signals.append("stijgende trend") }
                            if series.underFloor == true { signals.append("onder de norm") }
                            if series.underAmbition == true { signals.append("onder de ambitie") }
                            let latest = subject.periods.last.flatMap { ranges[$0] }
                            return Row(
                                group: series.group, metric: series.metricLabel,
                                cells: subject.periods.map { period in
                                    guard let point = byPeriod[period] else { return Cell(display: "–", small: false) }
                                    return Cell(display: point.display, small: point.pupilsBand == PupilsBand.under10.label)
                                },
                                ambition: series.ambition.map { metric?.format($0) ?? String($0) } ?? "–",
                                floor: series.floor.map { metric?.format($0) ?? String($0) } ?? "–",
                                chart: WebCharts.sparkline(series, periods: subject.periods, comparison: ranges, width: 220, height: 56),
                                signals: signals,
                                comparison: latest.map { "andere scholen \(metric?.format($0.lowerBound) ?? "") – \(metric?.format($0.upperBound) ?? "")" },
                                interpretation: series.interpretation.isEmpty ? nil : series.interpretation)
                        })
            }
            let view = View(page: frame(context, title: "Trends", current: "/trends"), token: context.sessions.session?.token ?? "",
                            subjects: subjects, hasSubjects: !subjects.isEmpty, notice: notice, problem: problem, problems: problems,
                            inspection: inspection.flatMap { WebInspection.rows($0, results: (try? replica.inspectionIndicators()) ?? []) }, hasInspection: !inspection.isEmpty, thresholdSource: replica.threshold1S2F?.source,
                            weergave: WebTrendViews.model(try replica.trends(), query: { query[$0] }, action: "/trends", showSchool: false))
            return render(view, "trends", status: status)
        } catch {
            return failure(context, error)
        }
    }

    /// The upload: kcsync's own CSV, all rows in one transaction or none with every bad line
    /// named; or an LVS export (CSV, XLSX, ODS), read with the mapping saved for its source.
    /// A new source first gets the mapping page: which column is what, and a preview of the
    /// group figures; pupil rows are counted and never stored.
    func uploadTrends(_ request: Request, _ context: KCWebContext) async throws -> Response {
        struct Upload: Decodable {
            var token: String; var bestand: Data; var delen: String?; var actie: String?
            var kolom: [String]?; var vakgebied: String?; var schooljaar: String?
        }
        var request = request
        let body = try await request.collectBody(upTo: 8 * 1024 * 1024)
        guard let type = request.headers[.contentType], let boundary = SchoolWeb.boundary(type),
              let upload = try? FormDataDecoder().decode(Upload.self, from: body, boundary: boundary) else {
            return trends(context, problem: "Kies een bestand om in te lezen. Er is niets opgeslagen.", status: .badRequest)
        }
        guard let expected = context.sessions.session?.token, WebPages.constantTimeEqual(upload.token, expected) else {
            logger.notice("school form refused", metadata: ["address": "\(context.clientAddress)", "path": "/trends", "outcome": "csrf"])
            return trends(context, problem: "Dit formulier was verlopen; probeer het opnieuw. Er is niets opgeslagen.", status: .forbidden)
        }
        let share = upload.delen != nil
        let file: TrendFile
        do throws(KCError) { file = try TrendFile.read(upload.bestand) } catch {
            return trends(context, problem: error.message, status: .badRequest)
        }
        switch file {
        case .kcsync(let text):
            switch TrendCSV.parse(text, school: replica.configuration.school) {
            case .failure(let errors):
                return trends(context, problem: "Het bestand is niet ingelezen; er is niets opgeslagen. Verbeter:", problems: errors.errors.map(\.description),
                              status: .badRequest)
            case .success(let drafts):
                do throws(KCError) {
                    return written(context, try replica.addTrends(drafts, share: share), share: share)
                } catch {
                    return trends(context, problem: error.message + " Er is niets opgeslagen.", status: .badRequest)
                }
            }
        case .export(let rows, let header, let source):
            var mapping: LVSMapping
            let chosen = upload.kolom ?? []
            let fromForm = chosen.count == header.count
            if fromForm {
                mapping = LVSMapping(columns: Dictionary(zip(header, chosen.map { LVSRole(rawValue: $0) ?? .ignore }), uniquingKeysWith: { a, _ in a }))
            } else if let saved = replica.lvsMapping(source: source) {
                mapping = saved
            } else {
                mapping = LVSExport.propose(header)
            }
            if let area = upload.vakgebied.flatMap({ SubjectArea(rawValue: $0) }) { mapping.subjectArea = area } else if fromForm { mapping.subjectArea = nil }
            if let year = upload.schooljaar.flatMap({ $0.isEmpty ? nil : Period.typed($0 + " M")?.startYear }) { mapping.schoolYear = year } else if fromForm { mapping.schoolYear = nil }
            // A new source, or the kc'er asked for the preview: the mapping page first.
            if upload.actie != "inlezen" && (upload.actie == "voorbeeld" || !fromForm && replica.lvsMapping(source: source) == nil) {
                return mappingPage(context, header: header, rows: rows, mapping: mapping, share: share)
            }
            do throws(KCError) {
                let figures = try replica.importExport(rows, mapping: mapping, share: share)
                try replica.saveLVSMapping(mapping, source: source)
                return written(context, figures, share: share)
            } catch {
                return mappingPage(context, header: header, rows: rows, mapping: mapping, share: share, problem: error.message, status: .badRequest)
            }
        }
    }

    func written(_ context: KCWebContext, _ figures: [TrendFigure], share: Bool) -> Response {
        notifier.notify(replica.schoolScope)
        notifier.notify(replica.boardScope)
        return trends(context, notice: "\(figures.count) trendcijfers ingelezen\(share ? " en gedeeld met het bestuur (zonder n en zonder cijfers onder 10 leerlingen)" : "").")
    }

    /// Which column is what, with a preview of what the file gives (group figures only).
    func mappingPage(_ context: KCWebContext, header: [String], rows: [[String]], mapping: LVSMapping, share: Bool,
                     problem: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        struct Option { var value: String; var label: String; var selected: Bool }
        struct Column { var index: Int; var name: String; var sample: String; var options: [Option] }
        struct Figure { var text: String }
        struct View {
            var page: Frame; var token: String; var columns: [Column]; var figures: [Figure]; var pupilRows: String?; var hasFigures: Bool
            var problem: String?; var areas: [Option]; var schoolYear: String; var share: Bool
        }
        let sampleRow = rows.dropFirst().first { !$0.allSatisfy(\.isEmpty) } ?? []
        let columns = header.enumerated().map { index, name in
            let role = mapping.columns[name] ?? .ignore
            // The example value of a pupil's column is not shown: it would be a name.
            let sample = role == .pupil || index >= sampleRow.count ? "" : String(sampleRow[index].prefix(30))
            return Column(index: index, name: name, sample: sample,
                          options: LVSRole.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: $0 == role) })
        }
        var figures: [Figure] = []
        var pupilRows = 0
        var problemText = problem
        switch LVSExport.read(rows, mapping: mapping) {
        case .success(let summary):
            pupilRows = summary.pupilRows
            figures = summary.drafts.prefix(200).map {
                Figure(text: "\($0.period) · \($0.subjectArea.label) · groep \($0.group) · \($0.metric.label): \($0.metric.format($0.value)) (n=\($0.pupils))")
            }
        case .failure(let errors):
            problemText = problemText ?? ("Zo is het bestand niet te lezen: " + errors.errors.prefix(5).map(\.description).joined(separator: "; "))
        }
        let areas = [Option(value: "", label: "uit de kolom vakgebied", selected: mapping.subjectArea == nil)]
            + SubjectArea.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: mapping.subjectArea == $0) }
        let view = View(page: frame(context, title: "Kolommen kiezen", current: "/trends"), token: context.sessions.session?.token ?? "",
                        columns: columns, figures: figures, pupilRows: pupilRows > 0 ? "\(pupilRows)" : nil, hasFigures: !figures.isEmpty, problem: problemText, areas: areas,
                        schoolYear: mapping.schoolYear.map { "\($0)-\($0 + 1)" } ?? "", share: share)
        return render(view, "trends-indeling", status: status)
    }

    /// The boundary of a `multipart/form-data` content type (Hummingbird's media-type parser).
    static func boundary(_ contentType: String) -> String? {
        guard let type = MediaType(from: contentType), type.isType(.multipartForm),
              let parameter = type.parameter, parameter.name.lowercased() == "boundary" else { return nil }
        return parameter.value
    }
}
