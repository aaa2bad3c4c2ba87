public import Hummingbird
public import HummingbirdAuth
public import NIOCore

/// What a logged-in browser's session holds: the account and the token its forms carry
/// (CSRF). At the board the account is looked up again on every request, so removing it ends
/// its sessions at once.
public struct WebSession: Codable, Sendable, Equatable {
    /// The account name (at school: the kc'er's name, as author).
    public var account: String
    /// The token every form of this session carries; a POST without it is refused.
    public var token: String?

    /// A session of `account`.
    public init(account: String, token: String? = nil) {
        self.account = account
        self.token = token
    }
}

/// The request context of every kcsync listener: a session (hummingbird-auth's, kept in the
/// replica's local state), the account it authenticated as (its name), and the address the
/// connection comes from (for throttling and the audit log).
public struct KCWebContext: AuthRequestContext, SessionRequestContext, RemoteAddressRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The account, once an authenticator found one.
    public var identity: String?
    /// The browser session, if any.
    public let sessions: SessionContext<WebSession>
    /// The peer of the connection (a reverse proxy's, behind one).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
        sessions = .init()
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text (`unknown` without one).
    public var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }

    /// True when the connection comes from this machine.
    public var fromLoopback: Bool {
        guard let address = remoteAddress?.ipAddress else { return false }
        return address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }
}
