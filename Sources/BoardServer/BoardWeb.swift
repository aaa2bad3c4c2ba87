import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import KCModel
import KCReplica
import KCWeb
import Logging
import NIOCore
import SyncCore
import SyncNet

/// The board's pages (Dutch, server-rendered, charts as inline SVG, no script) and its JSON
/// API (``BoardAPI``, generated from docs/openapi.yaml). Everything here needs a board account (`kcsync board add-user`):
/// a browser logs in with name and secret (or a one-time link) and gets a session
/// (hummingbird-auth's, kept in the board's database, so it survives a restart); a program
/// sends the secret as a bearer token, or name and secret as HTTP basic authentication.
/// Every request looks the account up again, so removing it locks it out at once.
///
/// Logging in is throttled per account name and per address (``LoginThrottle``), every
/// attempt is logged with both, the forms carry a CSRF token that must match the login
/// cookie, a login sends the browser only to a path of this site, and a login link's GET only
/// shows a button: its POST spends it.
struct BoardWeb: Sendable {
    let board: BoardReplica
    let logger: Logger
    /// Cookies only over TLS (`Secure`) when the server speaks TLS itself.
    var secureCookies = false
    let throttle = LoginThrottle()

    static let sessionCookie = "kcsync_session"
    static let loginCookie = "kcsync_login"
    static let sessionLifetime: Duration = .seconds(8 * 3600)

    func register(on router: Router<KCWebContext>) throws {
        router.add(middleware: SessionMiddleware<KCWebContext>(storage: ReplicaPersistDriver(store: board.store), configuration: .init(
            sessionCookieParameters: .init(name: BoardWeb.sessionCookie, path: "/", secure: secureCookies, sameSite: .lax),
            keyPrefix: BoardReplica.sessionKeyPrefix, defaultSessionExpiration: BoardWeb.sessionLifetime)))
        // A session counts only while its account exists: looked up on every request.
        let board = self.board
        router.add(middleware: SessionAuthenticator(context: KCWebContext.self) { (session: WebSession, _) in
            board.accounts().contains { $0.name == session.account } ? session.account : nil
        })
        router.add(middleware: ClosureAuthenticator<KCWebContext> { request, context in
            context.identity ?? BoardWeb.programAccount(request, board: board)
        })
        router.get("/stijl.css") { _, _ in WebPages.stylesheetResponse() }
        router.get("/") { request, context in try self.page(request, context: context) }
        router.get("/login") { request, context in
            if let code = request.uri.queryParameters.get("code") { return self.linkPage(String(code)) }
            return self.loginPage(problem: nil, next: BoardWeb.sameSite(request.uri.queryParameters.get("next").map { String($0) }))
        }
        router.post("/login") { request, context in try await self.login(request, context: context) }
        router.post("/login/link") { request, context in try await self.loginWithLink(request, context: context) }
        router.post("/logout") { _, context in
            context.sessions.clearSession()
            return Response.redirect(to: "/login", type: .found)
        }
        try BoardAPI.register(on: router, board: board, logger: logger)
    }

    /// The account a program authenticates as: a bearer token (the secret), or basic
    /// authentication with name and secret.
    static func programAccount(_ request: Request, board: BoardReplica) -> String? {
        if let bearer = request.headers.bearer {
            return board.authenticate(secret: bearer.token.trimmingCharacters(in: .whitespaces))?.name
        }
        if let basic = request.headers.basic {
            return board.authenticate(name: basic.username, secret: basic.password)?.name
        }
        return nil
    }

    func page(_ request: Request, context: KCWebContext) throws -> Response {
        guard let account = context.identity else { return Response.redirect(to: "/login", type: .found) }
        let query = request.uri.queryParameters
        // A form sent with GET writes a space as '+'.
        func value(_ name: String) -> String? { query.get(name).map { String($0).replacingOccurrences(of: "+", with: " ") } }
        let period = value("periode").flatMap { $0.isEmpty ? nil : Period($0) }
        let area = value("vakgebied").flatMap { SubjectArea(rawValue: $0) }
        do {
            let report = try board.report(period: period, subjectArea: area)
            let periods = try board.periods().map(\.description)
            let query = WebPages.viewQuery(request)
            // The views read the figures of the one subject they show.
            let views = try WebTrendViews.model(areas: BoardReport.subjectAreas(store: board.store, scope: board.scope),
                                                figuresOf: { area throws(KCError) in try BoardReport.figures(store: board.store, scope: board.scope, subjectArea: area) },
                                                query: { query[$0] }, action: "/#weergaven", showSchool: true)
            return BoardWeb.html(BoardPages.overview(report, account: account, periods: periods, views: views))
        } catch {
            logger.error("board page failed", metadata: ["error": "\(error)"])
            return BoardWeb.html(BoardPages.failure(), status: .internalServerError)
        }
    }

    // MARK: - Logging in

    /// The login form with a fresh CSRF token, which the login cookie carries too.
    func loginPage(problem: String?, next: String, status: HTTPResponse.Status = .ok) -> Response {
        let token = WebPages.randomToken()
        var response = BoardWeb.html(BoardPages.login(problem: problem, next: next, token: token), status: status)
        response.headers[values: .setCookie].append(loginCookie(token))
        return response
    }

    /// What a login link opens: a button for its account (nothing is spent by a GET).
    func linkPage(_ code: String) -> Response {
        guard code.count <= 64, let account = board.loginCodeAccount(code) else {
            return BoardWeb.html(BoardPages.expiredLink(), status: .unauthorized)
        }
        let token = WebPages.randomToken()
        var response = BoardWeb.html(BoardPages.linkLogin(account: account, code: code, token: token))
        response.headers[values: .setCookie].append(loginCookie(token))
        return response
    }

    func loginCookie(_ token: String) -> String {
        "\(BoardWeb.loginCookie)=\(token); Path=/login; Max-Age=3600; HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }

    /// The form's fields, if its CSRF token matches the login cookie (a form posted from
    /// another site has no such cookie: SameSite=Strict).
    func form<Form: Decodable>(_ request: Request, as type: Form.Type, token: (Form) -> String?) async throws -> Form? {
        var request = request
        let body = try await request.collectBody(upTo: 16_384)
        guard let form = try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body)),
              let sent = token(form), let cookie = request.cookies[BoardWeb.loginCookie]?.value,
              WebPages.constantTimeEqual(sent, String(cookie)) else { return nil }
        return form
    }

    func login(_ request: Request, context: KCWebContext) async throws -> Response {
        struct Form: Decodable { var naam: String; var wachtwoord: String; var next: String?; var token: String? }
        let address = context.clientAddress
        guard let form = try await form(request, as: Form.self, token: \.token) else {
            logger.notice("board login refused", metadata: ["address": "\(address)", "outcome": "csrf"])
            return loginPage(problem: "Dit inlogscherm was verlopen. Vul uw naam en wachtwoord opnieuw in.", next: "/", status: .forbidden)
        }
        let name = form.naam.trimmingCharacters(in: .whitespaces)
        let logged = RemoteText.safe(name, limit: 64)
        let keys = ["account:" + String(name.lowercased().prefix(64)), "address:" + address]
        let next = BoardWeb.sameSite(form.next)
        if let wait = throttle.wait(keys) {
            logger.notice("board login refused", metadata: ["account": "\(logged)", "address": "\(address)", "outcome": "throttled"])
            let minutes = Int((wait / 60).rounded(.up))
            var response = loginPage(problem: "Te veel mislukte pogingen. Probeer het over \(minutes) \(minutes == 1 ? "minuut" : "minuten") opnieuw.",
                                     next: next, status: .tooManyRequests)
            response.headers[.retryAfter] = "\(Int(wait.rounded(.up)))"
            return response
        }
        guard let account = board.authenticate(name: name, secret: form.wachtwoord) else {
            throttle.failed(keys)
            logger.notice("board login refused", metadata: ["account": "\(logged)", "address": "\(address)", "outcome": "wrong"])
            return loginPage(problem: "Onjuiste naam of wachtwoord.", next: next, status: .unauthorized)
        }
        throttle.succeeded(keys)
        logger.notice("board login", metadata: ["account": "\(logged)", "address": "\(address)", "outcome": "ok"])
        return startSession(account: account.name, next: next, context: context)
    }

    /// A one-time link's button: the POST spends the link and starts a session.
    func loginWithLink(_ request: Request, context: KCWebContext) async throws -> Response {
        struct Form: Decodable { var code: String; var token: String? }
        let address = context.clientAddress
        guard let form = try await form(request, as: Form.self, token: \.token) else {
            logger.notice("board login link refused", metadata: ["address": "\(address)", "outcome": "csrf"])
            return BoardWeb.html(BoardPages.expiredLink(), status: .forbidden)
        }
        guard form.code.count <= 64, let account = board.useLoginCode(form.code) else {
            logger.notice("board login link refused", metadata: ["address": "\(address)", "outcome": "expired"])
            return BoardWeb.html(BoardPages.expiredLink(), status: .unauthorized)
        }
        logger.notice("board login", metadata: ["account": "\(RemoteText.safe(account, limit: 64))", "address": "\(address)", "outcome": "link"])
        return startSession(account: account, next: "/", context: context)
    }

    /// A new session (a new id, whatever the browser had) and the way on; the login cookie goes.
    func startSession(account: String, next: String, context: KCWebContext) -> Response {
        context.sessions.createSession(WebSession(account: account), expiresIn: BoardWeb.sessionLifetime)
        var response = Response.redirect(to: next, type: .found)
        response.headers[values: .setCookie].append("\(BoardWeb.loginCookie)=; Path=/login; Max-Age=0; HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")")
        return response
    }


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
