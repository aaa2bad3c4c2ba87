public import Hummingbird
import HummingbirdAuth
import HummingbirdTLS
public import NIOSSL
import Foundation
import KCModel
public import KCReplica
import KCWeb
public import Logging
import Mustache
import NIOCore
import ServiceLifecycle
import SyncCore
public import SyncNet
import SyncStore

/// The kc'er's own pages, in Dutch, served by the school's daemon from the local replica: they
/// work with the board and the network down, and show what arrives the moment it arrives
/// (`/live`, server-sent events from the daemon's change notifier).
///
/// Only a browser that logged in with a one-time link (`kcsync open`) gets in; every form
/// carries its session's token; every write goes through the same ``KCReplica`` operations as
/// the command, and a refusal shows its Dutch message with nothing changed.
public struct SchoolWeb: Sendable {
    /// A link of the daemon as the start page shows it.
    public struct Link: Sendable {
        /// "bestuur" or a peer's name.
        public var name: String
        /// connecting, connected, waiting or stopped.
        public var state: String
        public var lastSync: String?
        /// The last error, in words.
        public var problem: String?
        /// This replica's changes the other side has not acknowledged.
        public var pending: Int

        public init(name: String, state: String, lastSync: String?, problem: String?, pending: Int = 0) {
            self.name = name
            self.state = state
            self.lastSync = lastSync
            self.problem = problem
            self.pending = pending
        }
    }

    let replica: KCReplica
    let notifier: ChangeNotifier
    let links: @Sendable () -> [Link]
    let logger: Logger
    /// Served beyond this machine, over TLS: only a kc'er with an account (`kcsync users add`)
    /// gets in, cookies are `Secure`, and the browser is told to keep to HTTPS.
    let network: Bool
    var secureCookies: Bool { network }
    let throttle = LoginThrottle()
    let library = WebPages.library(Templates.all)

    static let sessionCookie = "kcsync_school_session"
    static let loginCookie = "kcsync_school_login"
    static let sessionLifetime: Duration = .seconds(8 * 3600)

    /// The pages of `replica`; `network` when they are served over TLS (see ``application``).
    public init(replica: KCReplica, notifier: ChangeNotifier, links: @escaping @Sendable () -> [Link] = { [] }, logger: Logger,
                network: Bool = false) {
        self.replica = replica
        self.notifier = notifier
        self.links = links
        self.logger = logger
        self.network = network
    }

    /// The pages' server on `host:port`. Without `tls` only on loopback, where whoever can read
    /// the replica's directory logs in with a link (`kcsync open`). With `tls` (required for any
    /// address another machine can reach) only kc'ers with an account get in, by name and
    /// secret or by a link made for their account; such a listener is refused while the
    /// replica has no account, since nobody could log in.
    public static func application(replica: KCReplica, notifier: ChangeNotifier, links: @escaping @Sendable () -> [Link] = { [] }, logger: Logger,
                                   host: String, port: Int, tls: TLSConfiguration? = nil,
                                   onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        guard tls != nil || KCReplica.isLoopback(host) else { throw SchoolWeb.needsTLS }
        if tls != nil, replica.schoolAccounts().isEmpty {
            throw KCError(.invalidInput, "Buiten dit apparaat logt een kc'er in met een eigen account, en deze replica heeft er nog geen. Maak er een met: kcsync users add NAAM")
        }
        let pages = SchoolWeb(replica: replica, notifier: notifier, links: links, logger: logger, network: tls != nil)
        let router = Router(context: KCWebContext.self)
        router.add(middleware: SecurityHeaders(tls: tls != nil))
        pages.register(on: router)
        return Application(
            responder: HeadAsGet(base: router.buildResponder()),
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname(host, port: port), serverName: "kcsync-school"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
            logger: logger)
    }

    /// Why an address beyond this machine is refused without a certificate.
    public static let needsTLS = KCError(.invalidInput, "Buiten dit apparaat serveert kcsync de pagina's alleen versleuteld: geef --web-cert en --web-key (een certificaat voor dit adres), of kies --web 127.0.0.1:8452.")

    func register(on router: Router<KCWebContext>) {
        router.add(middleware: SessionMiddleware<KCWebContext>(storage: ReplicaPersistDriver(store: replica.store), configuration: .init(
            sessionCookieParameters: .init(name: SchoolWeb.sessionCookie, path: "/", secure: secureCookies, sameSite: .lax),
            keyPrefix: KCReplica.sessionKeyPrefix, defaultSessionExpiration: SchoolWeb.sessionLifetime)))
        // Over the network a session counts only while its account exists: looked up on every
        // request, so removing the account (`kcsync users remove`) logs it out at once.
        let replica = replica, network = network
        router.add(middleware: SessionAuthenticator(context: KCWebContext.self) { (session: WebSession, _) in
            !network || replica.schoolAccount(session.account) != nil ? session.account : nil
        })
        router.get("/stijl.css") { _, _ in WebPages.stylesheetResponse() }
        router.get("/live.js") { _, _ in WebPages.liveScriptResponse() }
        router.get("/login") { request, _ in self.loginPage(code: WebPages.queryValue(request, "code")) }
        router.post("/login") { request, context in try await self.login(request, context: context) }
        router.post("/login/wachtwoord") { request, context in try await self.loginWithSecret(request, context: context) }

        let pages = router.group().add(middleware: LoginRequired())
        pages.post("/uitloggen") { request, context in
            _ = try await self.form(request, context: context)
            context.sessions.clearSession()
            return WebPages.seeOther("/login")
        }
        pages.get("/") { _, context in self.today(context) }
        pages.get("/notities") { request, context in self.notes(request, context) }
        pages.get("/notities/nieuw") { request, context in self.noteForm(context, role: WebPages.queryValue(request, "rol")) }
        pages.post("/notities") { request, context in try await self.addNote(request, context) }
        pages.get("/notities/:id") { _, context in self.notePage(context) }
        pages.get("/notities/:id/bewerken") { _, context in self.editForm(context) }
        pages.post("/notities/:id") { request, context in try await self.editNote(request, context) }
        pages.post("/notities/:id/delen") { request, context in try await self.share(request, context, sharing: true) }
        pages.post("/notities/:id/niet-delen") { request, context in try await self.share(request, context, sharing: false) }
        pages.get("/notities/:id/wissen") { _, context in self.eraseForm(context) }
        pages.post("/notities/:id/wissen") { request, context in try await self.erase(request, context) }
        pages.get("/conflicten") { _, context in self.conflicts(context) }
        pages.post("/conflicten") { request, context in try await self.resolve(request, context) }
        pages.get("/trends") { request, context in self.trends(context, query: WebPages.viewQuery(request)) }
        pages.post("/trends") { request, context in try await self.uploadTrends(request, context) }
        pages.get("/afspraken") { _, context in self.agreements(context) }
        pages.post("/afspraken/:id") { request, context in try await self.updateAgreement(request, context) }
        pages.get("/advies") { _, context in self.advicePage(context) }
        pages.post("/advies/:id") { request, context in try await self.respond(request, context) }
        pages.get("/live") { _, _ in self.live() }
    }

    // MARK: - Logging in

    /// The page a login link opens: a button for its kc'er (a GET spends nothing), or how to
    /// get a link; and where the replica has accounts, the form for name and secret.
    func loginPage(code: String?, problem: String? = nil, status: HTTPResponse.Status? = nil) -> Response {
        struct View { var name: String?; var code: String; var token: String; var expired: Bool; var accounts: Bool; var problem: String? }
        let name = code.flatMap { replica.loginCodeName($0) }.flatMap { network && replica.schoolAccount($0) == nil ? nil : $0 }
        let token = WebPages.randomToken()
        let expired = code != nil && name == nil
        let view = View(name: name, code: code ?? "", token: token, expired: expired,
                        accounts: network || !replica.schoolAccounts().isEmpty, problem: problem)
        var response = render(view, "login", status: status ?? (expired ? .unauthorized : .ok))
        response.headers[values: .setCookie].append(loginCookie(token, maxAge: 600))
        return response
    }

    func loginCookie(_ token: String, maxAge: Int) -> String {
        "\(SchoolWeb.loginCookie)=\(token); Path=/login; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }

    /// A login form's fields, if its token matches the login cookie (a form posted from
    /// elsewhere has no such cookie: SameSite=Strict).
    func loginForm<Form: Decodable>(_ request: Request, as type: Form.Type, token: (Form) -> String) async throws -> Form? {
        var request = request
        let body = try await request.collectBody(upTo: 4_096)
        guard let form = try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body)),
              let cookie = request.cookies[SchoolWeb.loginCookie]?.value, WebPages.constantTimeEqual(token(form), String(cookie)) else { return nil }
        return form
    }

    /// The login button's POST: the code is spent. Over the network it counts only for an
    /// existing account.
    func login(_ request: Request, context: KCWebContext) async throws -> Response {
        struct Form: Decodable { var code: String; var token: String }
        guard let form = try await loginForm(request, as: Form.self, token: \.token) else {
            logger.notice("school login refused", metadata: ["address": "\(context.clientAddress)", "outcome": "csrf"])
            return loginPage(code: nil, status: .forbidden)
        }
        guard let name = replica.useLoginCode(form.code), !network || replica.schoolAccount(name) != nil else {
            logger.notice("school login refused", metadata: ["address": "\(context.clientAddress)", "outcome": "expired"])
            return loginPage(code: form.code)
        }
        logger.notice("school login", metadata: ["account": "\(RemoteText.safe(name, limit: 80))", "address": "\(context.clientAddress)", "outcome": "link"])
        return startSession(name, context: context)
    }

    /// Name and secret of an account (`kcsync users add`): throttled per account and per
    /// address, every attempt logged with both.
    func loginWithSecret(_ request: Request, context: KCWebContext) async throws -> Response {
        struct Form: Decodable { var naam: String; var wachtwoord: String; var token: String }
        let address = context.clientAddress
        guard let form = try await loginForm(request, as: Form.self, token: \.token) else {
            logger.notice("school login refused", metadata: ["address": "\(address)", "outcome": "csrf"])
            return loginPage(code: nil, problem: "Dit inlogscherm was verlopen. Vul uw naam en wachtwoord opnieuw in.", status: .forbidden)
        }
        let name = form.naam.trimmingCharacters(in: .whitespaces)
        let logged = RemoteText.safe(name, limit: 80)
        let keys = ["account:" + String(name.lowercased().prefix(80)), "address:" + address]
        if let wait = throttle.wait(keys) {
            logger.notice("school login refused", metadata: ["account": "\(logged)", "address": "\(address)", "outcome": "throttled"])
            let minutes = Int((wait / 60).rounded(.up))
            var response = loginPage(code: nil, problem: "Te veel mislukte pogingen. Probeer het over \(minutes) \(minutes == 1 ? "minuut" : "minuten") opnieuw.",
                                     status: .tooManyRequests)
            response.headers[.retryAfter] = "\(Int(wait.rounded(.up)))"
            return response
        }
        guard let account = replica.authenticateSchoolAccount(name: name, secret: form.wachtwoord) else {
            throttle.failed(keys)
            logger.notice("school login refused", metadata: ["account": "\(logged)", "address": "\(address)", "outcome": "wrong"])
            return loginPage(code: nil, problem: "Onjuiste naam of wachtwoord.", status: .unauthorized)
        }
        throttle.succeeded(keys)
        logger.notice("school login", metadata: ["account": "\(logged)", "address": "\(address)", "outcome": "ok"])
        return startSession(account.name, context: context)
    }

    /// A new session (a new id, whatever the browser had); the login cookie goes.
    func startSession(_ name: String, context: KCWebContext) -> Response {
        context.sessions.createSession(WebSession(account: name, token: WebPages.randomToken()), expiresIn: SchoolWeb.sessionLifetime)
        var response = WebPages.seeOther("/")
        response.headers[values: .setCookie].append(loginCookie("", maxAge: 0))
        return response
    }

    /// A logged-in page only: anyone else is sent to the login page.
    struct LoginRequired: RouterMiddleware {
        typealias Context = KCWebContext
        func handle(_ request: Request, context: KCWebContext, next: (Request, KCWebContext) async throws -> Response) async throws -> Response {
            guard context.identity != nil, context.sessions.session?.token != nil else {
                if request.uri.path == "/live" { return Response(status: .unauthorized) }
                return Response(status: .seeOther, headers: [.location: "/login", .cacheControl: "no-store"])
            }
            return try await next(request, context)
        }
    }

    /// The fields of a form of this session, or nil when its token is missing or wrong.
    func form(_ request: Request, context: KCWebContext) async throws -> [String: String]? {
        var request = request
        let body = try await request.collectBody(upTo: 256 * 1024)
        // Hummingbird's form decoder; a body it cannot read is a form without its token.
        let fields = (try? URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: body))) ?? [:]
        guard let expected = context.sessions.session?.token, let sent = fields["token"], WebPages.constantTimeEqual(sent, expected) else {
            logger.notice("school form refused", metadata: ["address": "\(context.clientAddress)", "path": "\(RemoteText.safe(request.uri.path, limit: 80))", "outcome": "csrf"])
            return nil
        }
        return fields
    }

    /// What every page's header shows.
    struct Frame {
        var title: String
        var school: String
        var account: String
        var token: String
        var menu: [MenuItem]
    }

    struct MenuItem {
        var href: String
        var label: String
        var current: Bool
    }

    func frame(_ context: KCWebContext, title: String, current: String) -> Frame {
        let items = [("/", "Vandaag"), ("/notities", "Notities"), ("/afspraken", "Afspraken"), ("/trends", "Trends"), ("/advies", "Trendadvies"), ("/conflicten", "Conflicten")]
        return Frame(title: title, school: replica.configuration.school, account: context.identity ?? "", token: context.sessions.session?.token ?? "",
                     menu: items.map { MenuItem(href: $0.0, label: $0.1, current: $0.0 == current) })
    }

    func render(_ view: Any, _ template: String, status: HTTPResponse.Status = .ok) -> Response {
        WebPages.html(library.render(view, withTemplate: template) ?? "", status: status)
    }

    /// A page that could not be built: the Dutch message on the page, the cause in the log.
    func failure(_ context: KCWebContext, _ error: KCError, heading: String = "Dat lukte niet", status: HTTPResponse.Status = .internalServerError) -> Response {
        struct View { var page: Frame; var heading: String; var problem: String }
        if status == .internalServerError { logger.error("school page failed", metadata: ["error": "\(error)"]) }
        return render(View(page: frame(context, title: heading, current: ""), heading: heading, problem: error.message), "fout", status: status)
    }

    // MARK: - Live

    /// Server-sent events: one `changed` whenever the school's or the board's scope changes
    /// here (a local write, a change from the board or a peer), and a comment every 15 s so
    /// proxies keep the stream open.
    func live() -> Response {
        let notifier = self.notifier
        let body = ResponseBody { writer in
            // true: the replica changed; false: only the heartbeat.
            let (events, continuation) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(8))
            let subscription = notifier.subscribe { _ in continuation.yield(true) }
            let beat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    continuation.yield(false)
                }
            }
            defer {
                notifier.unsubscribe(subscription)
                beat.cancel()
                continuation.finish()
            }
            try await writer.write(ByteBuffer(string: ": kcsync\n\n"))
            // The stream ends when the daemon stops, so an open page never holds up its shutdown.
            try await withGracefulShutdownHandler {
                for await changed in events {
                    try await writer.write(ByteBuffer(string: changed ? "data: changed\n\n" : ": still here\n\n"))
                }
            } onGracefulShutdown: {
                continuation.finish()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}

extension Response {
    func with(status: HTTPResponse.Status) -> Response {
        var copy = self
        copy.status = status
        return copy
    }
}
