import Foundation
import Hummingbird
import HummingbirdWebSocket
import KCModel
import KCReplica
import Logging
import NIOCore
import Synchronization

/// The board's pages (Dutch, server-rendered, charts as inline SVG, no script) and its JSON
/// API (docs/openapi.yaml). Everything here needs a board account (`kcsync board add-user`):
/// a browser logs in with name and secret and gets a session cookie; a program sends the
/// secret as a bearer token, or name and secret as HTTP basic authentication.
struct BoardWeb: Sendable {
    let board: BoardReplica
    let sessions = SessionTable()
    let logger: Logger
    /// Cookies only over TLS (`Secure`) when the server speaks TLS itself.
    var secureCookies = false

    static let sessionCookie = "kcsync_session"

    func register(on router: Router<BasicWebSocketRequestContext>) {
        router.get("/") { request, _ in try self.page(request) }
        router.get("/login") { request, _ in
            if let code = request.uri.queryParameters.get("code") {
                return self.loginWithCode(String(code))
            }
            return BoardWeb.html(BoardPages.login(failed: false, next: BoardWeb.sameSite(request.uri.queryParameters.get("next").map { String($0) })))
        }
        router.post("/login") { request, _ in try await self.login(request) }
        router.post("/logout") { request, _ in
            if let cookie = request.cookies[BoardWeb.sessionCookie]?.value { sessions.end(cookie) }
            var response = Response.redirect(to: "/login", type: .found)
            response.headers[.setCookie] = "\(BoardWeb.sessionCookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
            return response
        }
        router.get("/api/v1/view") { request, _ in self.api(request) { $0 } }
        router.get("/api/v1/signals") { request, _ in self.api(request) { $0.signals } }
        router.get("/api/v1/advice") { request, _ in self.api(request) { $0.advice } }
    }

    /// The account a request comes from: a session cookie, a bearer token, or basic authentication.
    func account(_ request: Request) -> String? {
        if let cookie = request.cookies[BoardWeb.sessionCookie]?.value, let name = sessions.account(cookie) { return name }
        guard let header = request.headers[.authorization] else { return nil }
        if header.hasPrefix("Bearer ") {
            return board.authenticate(secret: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces))?.name
        }
        if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") {
            return board.authenticate(name: String(text[..<colon]), secret: String(text[text.index(after: colon)...]))?.name
        }
        return nil
    }

    func page(_ request: Request) throws -> Response {
        guard let account = account(request) else { return Response.redirect(to: "/login", type: .found) }
        let query = request.uri.queryParameters
        // A form sent with GET writes a space as '+'.
        func value(_ name: String) -> String? { query.get(name).map { String($0).replacingOccurrences(of: "+", with: " ") } }
        let period = value("periode").flatMap { $0.isEmpty ? nil : Period($0) }
        let area = value("vakgebied").flatMap { SubjectArea(rawValue: $0) }
        do {
            let report = try board.report(period: period, subjectArea: area)
            let periods = try board.periods().map(\.description)
            return BoardWeb.html(BoardPages.overview(report, account: account, periods: periods))
        } catch {
            logger.error("board page failed", metadata: ["error": "\(error)"])
            return BoardWeb.html(BoardPages.failure(), status: .internalServerError)
        }
    }

    func login(_ request: Request) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16_384)
        struct Form: Decodable { var naam: String; var wachtwoord: String; var next: String? }
        guard let form = try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body)),
              let account = board.authenticate(name: form.naam, secret: form.wachtwoord) else {
            logger.notice("board login refused")
            return BoardWeb.html(BoardPages.login(failed: true, next: "/"), status: .unauthorized)
        }
        return startSession(account: account.name, next: BoardWeb.sameSite(form.next))
    }

    /// A one-time login link (`kcsync board login-link NAME`): a session, then the overview.
    func loginWithCode(_ code: String) -> Response {
        guard let account = board.useLoginCode(code) else {
            logger.notice("board login link refused")
            return BoardWeb.html(BoardPages.login(failed: true, next: "/", expiredLink: true), status: .unauthorized)
        }
        return startSession(account: account, next: "/")
    }

    func startSession(account: String, next: String) -> Response {
        let token = sessions.start(account: account)
        var response = Response.redirect(to: next, type: .found)
        response.headers[.setCookie] = "\(BoardWeb.sessionCookie)=\(token); Path=/; Max-Age=\(SessionTable.lifetimeSeconds); HttpOnly; SameSite=Lax\(secureCookies ? "; Secure" : "")"
        logger.info("board login", metadata: ["account": "\(account)"])
        return response
    }

    func api(_ request: Request, _ pick: (BoardReport) -> some Encodable) -> Response {
        guard account(request) != nil else {
            var response = BoardWeb.json(APIError(error: "unauthorized", message: "A board account is needed: send 'Authorization: Bearer SECRET' (kcsync board add-user)."),
                                         status: .unauthorized)
            response.headers[.wwwAuthenticate] = "Bearer realm=\"kcsync\", Basic realm=\"kcsync\""
            return response
        }
        let query = request.uri.queryParameters
        // A query value as form encoding writes it: '+' is a space (what most HTTP clients
        // send for "2025-2026 M"). Given but empty is an error, not "all".
        func value(_ name: String) -> String? { query.get(name).map { String($0).replacingOccurrences(of: "+", with: " ") } }
        var period: Period?
        if let text = value("period") {
            guard let parsed = Period(text) else {
                return BoardWeb.json(APIError(error: "invalid_period", message: "period must look like '2025-2026 M' or '2025-2026 E'"), status: .badRequest)
            }
            period = parsed
        }
        var area: SubjectArea?
        if let text = value("subjectArea") {
            guard let parsed = SubjectArea(rawValue: text) else {
                return BoardWeb.json(APIError(error: "invalid_subject_area", message: "subjectArea must be one of \(SubjectArea.allCases.map(\.rawValue).joined(separator: ", "))"), status: .badRequest)
            }
            area = parsed
        }
        do {
            return BoardWeb.json(pick(try board.report(period: period, subjectArea: area)))
        } catch {
            logger.error("board api failed", metadata: ["error": "\(error)"])
            return BoardWeb.json(APIError(error: "internal", message: "the board's view could not be read"), status: .internalServerError)
        }
    }

    struct APIError: Encodable { var error: String; var message: String }

    /// Where a login may send the browser: a path of this site only. Not `//host` or `/\\host`
    /// (which browsers read as another site), no backslash or control character anywhere;
    /// anything else goes to the overview.
    static func sameSite(_ next: String?) -> String {
        guard let next, next.count <= 512, next.hasPrefix("/"), !next.dropFirst().hasPrefix("/"),
              !next.contains("\\"), !next.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return "/" }
        return next
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Logged-in browsers: random session ids, kept in memory for eight hours (a restart logs
/// everyone out, which is fine for a board's few readers).
final class SessionTable: Sendable {
    static let lifetimeSeconds = 8 * 3600
    private let sessions = Mutex<[String: (account: String, expires: Date)]>([:])

    func start(account: String) -> String {
        let token = BoardReplica.randomHex(24)
        sessions.withLock { table in
            let now = Date()
            table = table.filter { $0.value.expires > now }
            table[token] = (account, now.addingTimeInterval(TimeInterval(SessionTable.lifetimeSeconds)))
        }
        return token
    }

    func account(_ token: String) -> String? {
        sessions.withLock { table in
            guard let entry = table[token], entry.expires > Date() else { return nil }
            return entry.account
        }
    }

    func end(_ token: String) { _ = sessions.withLock { $0.removeValue(forKey: token) } }
}
