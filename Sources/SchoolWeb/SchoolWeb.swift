public import Hummingbird
import HummingbirdAuth
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
    let secureCookies: Bool
    let library = WebPages.library(Templates.all)

    static let sessionCookie = "kcsync_school_session"
    static let loginCookie = "kcsync_school_login"
    static let sessionLifetime: Duration = .seconds(8 * 3600)

    public init(replica: KCReplica, notifier: ChangeNotifier, links: @escaping @Sendable () -> [Link] = { [] }, logger: Logger,
                secureCookies: Bool = false) {
        self.replica = replica
        self.notifier = notifier
        self.links = links
        self.logger = logger
        self.secureCookies = secureCookies
    }

    /// The pages' HTTP server on `host:port`. Loopback only: the school's pages have no
    /// accounts of their own yet, so a listener another machine can reach is refused.
    public func application(host: String, port: Int, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in })
        throws(KCError) -> some ApplicationProtocol {
        guard KCReplica.isLoopback(host) else {
            throw KCError(.invalidInput, "De pagina's luisteren alleen op dit apparaat (127.0.0.1): buiten het apparaat zijn er nog geen schoolaccounts. Kies --web 127.0.0.1:8452.")
        }
        let router = Router(context: KCWebContext.self)
        router.add(middleware: SecurityHeaders(tls: secureCookies))
        register(on: router)
        return Application(
            responder: HeadAsGet(base: router.buildResponder()),
            configuration: .init(address: .hostname(host, port: port), serverName: "kcsync-school"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
            logger: logger)
    }

    func register(on router: Router<KCWebContext>) {
        router.add(middleware: SessionMiddleware<KCWebContext>(storage: ReplicaPersistDriver(store: replica.store), configuration: .init(
            sessionCookieParameters: .init(name: SchoolWeb.sessionCookie, path: "/", secure: secureCookies, sameSite: .lax),
            keyPrefix: KCReplica.sessionKeyPrefix, defaultSessionExpiration: SchoolWeb.sessionLifetime)))
        router.add(middleware: SessionAuthenticator(context: KCWebContext.self) { (session: WebSession, _) in session.account })
        router.get("/stijl.css") { _, _ in WebPages.stylesheetResponse() }
        router.get("/live.js") { _, _ in WebPages.liveScriptResponse() }
        router.get("/login") { request, _ in self.loginPage(code: WebPages.queryValue(request, "code")) }
        router.post("/login") { request, context in try await self.login(request, context: context) }

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
        pages.get("/trends") { _, context in self.trends(context) }
        pages.post("/trends") { request, context in try await self.uploadTrends(request, context) }
        pages.get("/afspraken") { _, context in self.agreements(context) }
        pages.post("/afspraken/:id") { request, context in try await self.updateAgreement(request, context) }
        pages.get("/advies") { _, context in self.advicePage(context) }
        pages.post("/advies/:id") { request, context in try await self.respond(request, context) }
        pages.get("/live") { _, _ in self.live() }
    }

    // MARK: - Logging in

    /// The page a login link opens: a button for its kc'er (a GET spends nothing), or how to
    /// get a link.
    func loginPage(code: String?) -> Response {
        struct View { var name: String?; var code: String; var token: String; var expired: Bool }
        let name = code.flatMap { replica.loginCodeName($0) }
        let token = WebPages.randomToken()
        var response = WebPages.html(library.render(View(name: name, code: code ?? "", token: token, expired: code != nil && name == nil),
                                                    withTemplate: "login") ?? "", status: code != nil && name == nil ? .unauthorized : .ok)
        response.headers[values: .setCookie].append(loginCookie(token, maxAge: 600))
        return response
    }

    func loginCookie(_ token: String, maxAge: Int) -> String {
        "\(SchoolWeb.loginCookie)=\(token); Path=/login; Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secureCookies ? "; Secure" : "")"
    }

    /// The login button's POST: the form's token must match the login cookie (a form posted
    /// from elsewhere has none), and the code is spent.
    func login(_ request: Request, context: KCWebContext) async throws -> Response {
        struct Form: Decodable { var code: String; var token: String }
        var request = request
        let body = try await request.collectBody(upTo: 4_096)
        guard let form = try? URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body)),
              let cookie = request.cookies[SchoolWeb.loginCookie]?.value, WebPages.constantTimeEqual(form.token, String(cookie)) else {
            logger.notice("school login refused", metadata: ["address": "\(context.clientAddress)", "outcome": "csrf"])
            return loginPage(code: nil).with(status: .forbidden)
        }
        guard let name = replica.useLoginCode(form.code) else {
            logger.notice("school login refused", metadata: ["address": "\(context.clientAddress)", "outcome": "expired"])
            return loginPage(code: form.code)
        }
        logger.notice("school login", metadata: ["account": "\(RemoteText.safe(name, limit: 80))", "address": "\(context.clientAddress)"])
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
