import Foundation
import HTTPTypes
import Hummingbird
import KCModel
import KCReplica
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import SyncCore
import SyncNet

/// The board's JSON API, as docs/openapi.yaml defines it. swift-openapi-generator makes the
/// types and the server from the document at build time (openapi.yaml in this folder links to
/// it); this is what answers each operation. Every value leaves through the generated types,
/// so a value the document does not allow is an error here, not a surprise for a client.
///
/// In front of it, on the router (``BoardAPI/register(on:board:logger:)``): a board account
/// is required (401 with `WWW-Authenticate` otherwise), a request that the generated code
/// cannot decode gets the document's `Error` body with 400, and a method the document does
/// not name gets 405 with `Allow`.
struct BoardAPI: APIProtocol {
    let board: BoardReplica
    let logger: Logger

    /// The paths of the document, each only `GET`.
    static let paths = ["/api/v1/view", "/api/v1/signals", "/api/v1/advice"]

    static func register(on router: Router<KCWebContext>, board: BoardReplica, logger: Logger) throws {
        let api = router.group().add(middleware: AccountRequired())
        try BoardAPI(board: board, logger: logger).registerHandlers(
            on: api, configuration: .init(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]),
            middlewares: [DecodingErrors(logger: logger)])
        // Hummingbird answers 404 for a path it knows under another method; HTTP says 405.
        let others: [HTTPRequest.Method] = [.post, .put, .patch, .delete, .trace, .options] + [HTTPRequest.Method("QUERY")].compactMap { $0 }
        for path in paths {
            for method in others {
                api.on(RouterPath(path), method: method) { _, _ in
                    var response = BoardWeb.json(Components.Schemas._Error(error: "method_not_allowed", message: "only GET"), status: .methodNotAllowed)
                    response.headers[.allow] = "GET"
                    return response
                }
            }
        }
    }

    // MARK: - The operations

    func getView(_ input: Operations.GetView.Input) async throws -> Operations.GetView.Output {
        switch answer(period: input.query.period, subjectArea: input.query.subjectArea?.rawValue, { try BoardAPI.view($0) }) {
        case .success(let view): .ok(.init(body: .json(view)))
        case .failure(.badRequest(let error)): .badRequest(.init(body: .json(error)))
        case .failure(.failed(let error)): .internalServerError(.init(body: .json(error)))
        }
    }

    func getSignals(_ input: Operations.GetSignals.Input) async throws -> Operations.GetSignals.Output {
        switch answer(period: input.query.period, subjectArea: input.query.subjectArea?.rawValue, { try $0.signals.map(BoardAPI.signal) }) {
        case .success(let signals): .ok(.init(body: .json(signals)))
        case .failure(.badRequest(let error)): .badRequest(.init(body: .json(error)))
        case .failure(.failed(let error)): .internalServerError(.init(body: .json(error)))
        }
    }

    func getAdvice(_ input: Operations.GetAdvice.Input) async throws -> Operations.GetAdvice.Output {
        switch answer(period: input.query.period, subjectArea: input.query.subjectArea?.rawValue, { try $0.advice.map(BoardAPI.advice) }) {
        case .success(let advice): .ok(.init(body: .json(advice)))
        case .failure(.badRequest(let error)): .badRequest(.init(body: .json(error)))
        case .failure(.failed(let error)): .internalServerError(.init(body: .json(error)))
        }
    }

    enum Refusal: Error {
        case badRequest(Components.Schemas._Error)
        case failed(Components.Schemas._Error)
    }

    /// The view for the query, through `pick`. The generated code checked the subject against
    /// the document's enum; the period's pattern it leaves to us, and the empty string too.
    func answer<T>(period: String?, subjectArea: String?, _ pick: (BoardReport) throws -> T) -> Result<T, Refusal> {
        var asked: Period?
        if let period {
            guard let parsed = Period(period) else {
                return .failure(.badRequest(.init(error: "invalid_period", message: "period must look like '2025-2026 M' or '2025-2026 E'")))
            }
            asked = parsed
        }
        var area: SubjectArea?
        if let subjectArea {
            guard let parsed = SubjectArea(rawValue: subjectArea) else {
                return .failure(.badRequest(.init(error: "invalid_subject_area", message: BoardAPI.subjectAreaMessage)))
            }
            area = parsed
        }
        do {
            return .success(try pick(try board.report(period: asked, subjectArea: area)))
        } catch let error as OutsideTheDocument {
            logger.error("board api value outside the document", metadata: ["field": "\(error.field)", "value": "\(RemoteText.safe(error.value, limit: 64))"])
        } catch {
            logger.error("board api failed", metadata: ["error": "\(error)"])
        }
        return .failure(.failed(.init(error: "internal", message: "the board's view could not be read")))
    }

    static let subjectAreaMessage = "subjectArea must be one of \(SubjectArea.allCases.map(\.rawValue).joined(separator: ", "))"

    // MARK: - From the view to the document's types

    /// A stored value that the document's enum does not name: a bug or a newer vocabulary,
    /// answered with 500 and a log line rather than sent.
    struct OutsideTheDocument: Error {
        let field: String
        let value: String
    }

    static func named<E: RawRepresentable>(_ value: String, _ field: String) throws -> E where E.RawValue == String {
        guard let named = E(rawValue: value) else { throw OutsideTheDocument(field: field, value: value) }
        return named
    }

    static func view(_ report: BoardReport) throws -> Components.Schemas.BoardReport {
        Components.Schemas.BoardReport(
            board: report.board, period: report.period, subjectArea: report.subjectArea, schools: report.schools,
            subjects: try report.subjects.map { subject in
                Components.Schemas.Subject(subjectArea: subject.subjectArea, periods: subject.periods, series: try subject.series.map(series))
            },
            signals: try report.signals.map(signal), advice: try report.advice.map(advice),
            agreements: try report.agreements.map { agreement in
                Components.Schemas.SharedAgreement(id: agreement.id, school: agreement.school, title: agreement.title, owner: agreement.owner,
                                                   dueDate: agreement.dueDate, status: try named(agreement.status, "agreement.status"))
            },
            notes: try report.notes.map { note in
                Components.Schemas.SharedNote(id: note.id, school: note.school, author: note.author, role: note.role.isEmpty ? nil : try named(note.role, "note.role"),
                                              category: note.category, period: note.period, subjectArea: note.subjectArea, title: note.title,
                                              body: note.body, tags: note.tags)
            },
            inspection: try report.inspection.map { school in
                Components.Schemas.SchoolInspection(
                    school: school.school, name: school.name, schoolYear: school.schoolYear, schoolWeight: school.schoolWeight,
                    weightCategory: school.weightCategory,
                    indicators: try school.indicators.map { item in
                        Components.Schemas.IndicatorJudgment(
                            indicator: try named(item.indicator, "inspection.indicator"), throughSchoolYear: item.throughSchoolYear, value: item.value,
                            pupilsBand: item.pupilsBand, withheld: item.withheld, complete: item.complete, threshold: item.threshold,
                            outcome: try item.outcome.map { try named($0, "inspection.outcome") }, margin: item.margin,
                            judgedOn: try item.judgedOn.map { try named($0, "inspection.judgedOn") }, inspectiePublished: item.inspectiePublished,
                            inspectieOutcome: item.inspectieOutcome, similarSchools: item.similarSchools)
                    })
            })
    }

    static func series(_ series: BoardReport.Series) throws -> Components.Schemas.Series {
        Components.Schemas.Series(
            school: series.school, group: series.group, metric: try named(series.metric, "series.metric"), metricLabel: series.metricLabel,
            ambition: series.ambition, floor: series.floor,
            points: series.points.map { point in
                Components.Schemas.Point(period: point.period, value: point.value, pupilsBand: point.pupilsBand, display: point.display,
                                         suppressed: point.suppressed)
            },
            direction: try named(series.direction, "series.direction"), underAmbition: series.underAmbition,
            underFloor: series.underFloor, interpretation: series.interpretation)
    }

    static func signal(_ signal: BoardReport.Signal) throws -> Components.Schemas.Signal {
        Components.Schemas.Signal(kind: try named(signal.kind, "signal.kind"), subjectArea: signal.subjectArea, metric: signal.metric,
                                  groups: signal.groups, schools: signal.schools, outOf: signal.outOf, text: signal.text)
    }

    static func advice(_ advice: BoardReport.Advice) throws -> Components.Schemas.Advice {
        Components.Schemas.Advice(
            id: advice.id, author: advice.author, writtenAt: advice.writtenAt, period: advice.period, subjectArea: advice.subjectArea,
            signal: advice.signal, interpretation: advice.interpretation, advice: advice.advice,
            suggestedAgreements: advice.suggestedAgreements,
            reactions: try advice.reactions.map { reaction in
                Components.Schemas.Advice.ReactionsPayloadPayload(
                    school: reaction.school, reaction: reaction.reaction.isEmpty ? nil : try named(reaction.reaction, "reaction"),
                    comment: reaction.comment)
            },
            waitingFor: advice.waitingFor)
    }
}

extension BoardAPI {
    /// Only a board account gets past this (the authenticators on the router set the identity):
    /// anyone else gets the document's 401 with `WWW-Authenticate`, whatever the method.
    struct AccountRequired: RouterMiddleware {
        typealias Context = KCWebContext
        func handle(_ request: Request, context: KCWebContext, next: (Request, KCWebContext) async throws -> Response) async throws -> Response {
            guard context.identity != nil else {
                var response = BoardWeb.json(Components.Schemas._Error(
                    error: "unauthorized", message: "A board account is needed: send 'Authorization: Bearer SECRET' (kcsync board add-user)."),
                    status: .unauthorized)
                response.headers[.wwwAuthenticate] = "Bearer realm=\"kcsync\", Basic realm=\"kcsync\""
                return response
            }
            return try await next(request, context)
        }
    }

    /// What the generated code refuses before or after the handler (a subject outside the
    /// enum, a repeated or malformed parameter, an `Accept` without JSON) is the client's
    /// mistake: the runtime's status for it (400, 406) with the document's `Error` body, not a
    /// bare answer. Anything else is logged and answered 500 with the same body.
    struct DecodingErrors: ServerMiddleware {
        let logger: Logger

        func intercept(
            _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
            next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
        ) async throws -> (HTTPResponse, HTTPBody?) {
            do {
                return try await next(request, body, metadata)
            } catch let error as ServerError where error.httpStatus.kind == .clientError {
                let answer: Components.Schemas._Error
                if error.httpStatus == .notAcceptable {
                    answer = .init(error: "not_acceptable", message: "the API answers in application/json only")
                } else {
                    // Which parameter it was, for the error code: a subject the document does not name?
                    let subjects = request.path.flatMap { URLComponents(string: $0)?.queryItems }?.filter { $0.name == "subjectArea" } ?? []
                    let badSubject = subjects.contains { SubjectArea(rawValue: ($0.value ?? "").replacingOccurrences(of: "+", with: " ")) == nil }
                    answer = badSubject
                        ? .init(error: "invalid_subject_area", message: BoardAPI.subjectAreaMessage)
                        : .init(error: "invalid_parameter", message: "the request does not fit docs/openapi.yaml (\(operationID))")
                }
                return Self.json(answer, status: error.httpStatus)
            } catch {
                logger.error("board api failed", metadata: ["operation": "\(operationID)", "error": "\(error)"])
                return Self.json(Components.Schemas._Error(error: "internal", message: "the board's view could not be read"), status: .internalServerError)
            }
        }

        static func json(_ error: Components.Schemas._Error, status: HTTPResponse.Status) -> (HTTPResponse, HTTPBody?) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(error)) ?? Data()
            return (HTTPResponse(status: status, headerFields: [.contentType: "application/json", .cacheControl: "no-store"]), HTTPBody(data))
        }
    }
}
