import Crypto
import SyncCore
import SyncStore
import Synchronization
public import Foundation

/// The board's accounts for its web pages and JSON API (`users.json` beside the board's
/// database). `kcsync board add-user NAME` makes an account with a random secret, shown once:
/// the password on the login page and the bearer token for the API. Only a salted SHA-256 of
/// the secret is stored (the secret is 192 random bits, so no slow hash is needed).
/// No account, no access: the pages are never open by default.
public struct BoardAccount: Codable, Sendable, Equatable {
    /// The account name (a person or a system).
    public var name: String
    /// Random salt, hex.
    public var salt: String
    /// SHA-256 of salt and secret, hex.
    public var hash: String
    /// When it was made (ISO 8601).
    public var created: String
}

extension BoardReplica {
    private var accountsURL: URL { directory.appendingPathComponent("users.json") }

    /// True when `directory` holds a board replica (its config says so).
    public static func isBoardDirectory(_ directory: URL) -> Bool {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("config.json")),
              let configuration = try? JSONDecoder().decode(Configuration.self, from: data) else { return false }
        return configuration.role == "board"
    }

    /// The accounts, by name.
    public func accounts() -> [BoardAccount] {
        guard let data = try? Data(contentsOf: accountsURL), let accounts = try? JSONDecoder().decode([BoardAccount].self, from: data) else { return [] }
        return accounts
    }

    /// Makes an account (or gives an existing one a new secret) and returns the secret, which
    /// is not stored and cannot be shown again. `secret` is for the demo, which prints its login;
    /// otherwise a random one is made.
    public func addAccount(name: String, secret given: String? = nil) throws(KCError) -> String {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 64, !name.contains(":"), name.allSatisfy({ !$0.isWhitespace || $0 == " " }) else {
            throw KCError(.invalidInput, "Een accountnaam is 1 tot 64 tekens, zonder dubbele punt.")
        }
        let secret = given ?? BoardReplica.randomHex(24)
        guard secret.count >= 12 else { throw KCError(.invalidInput, "Een wachtwoord is minstens 12 tekens.") }
        let salt = BoardReplica.randomHex(16)
        var accounts = accounts().filter { $0.name != name }
        accounts.append(BoardAccount(name: name, salt: salt, hash: BoardReplica.digest(salt: salt, secret: secret),
                                     created: ISO8601DateFormatter().string(from: Date())))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try DataDirectory.writePrivately(encoder.encode(accounts.sorted { $0.name < $1.name }), to: accountsURL)
        } catch {
            throw KCError(.storage, "users.json kon niet worden opgeslagen.")
        }
        return secret
    }

    /// Removes an account, and with it every browser session it had (each request checks the
    /// account anyway, so a running server refuses them at once).
    public func removeAccount(name: String) throws(KCError) {
        let accounts = accounts()
        guard accounts.contains(where: { $0.name == name }) else { throw KCError(.notFound, "Er is geen account \(name).") }
        do { try DataDirectory.writePrivately(JSONEncoder().encode(accounts.filter { $0.name != name }), to: accountsURL) } catch {
            throw KCError(.storage, "users.json kon niet worden opgeslagen.")
        }
        struct Session: Decodable { var account: String }
        do {
            try store.removeLocalValues(prefix: BoardReplica.sessionKeyPrefix) { (try? JSONDecoder().decode(Session.self, from: $0))?.account == name }
        } catch {
            throw KCError(.storage, "De sessies van \(name) konden niet worden beëindigd: \(error.message)")
        }
    }

    /// Where the board's browser sessions are kept in its local state.
    public static let sessionKeyPrefix = "board-session."

    /// The account whose secret this is (and, if given, whose name), or nil.
    public func authenticate(name: String? = nil, secret: String) -> BoardAccount? {
        accounts().first { account in
            (name == nil || account.name == name) && ConstantTime.equal(BoardReplica.digest(salt: account.salt, secret: secret), account.hash)
        }
    }

    static func digest(salt: String, secret: String) -> String {
        Hex.encode(SHA256.hash(data: Data((salt + ":" + secret).utf8)))
    }

    /// `count` random bytes as hex.
    public static func randomHex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}

/// A one-time login link's code, stored hashed with its account and expiry.
struct LoginCode: Codable {
    var hash: String
    var account: String
    var expires: Date
}

extension BoardReplica {
    private var loginCodesURL: URL { directory.appendingPathComponent("login-codes.json") }

    /// How long a login link works.
    public static let loginCodeLifetime: TimeInterval = 600

    /// Makes a one-time login link's code for an existing account: it logs a browser in once,
    /// within ten minutes (`/login?code=…`), without typing the secret. For a reader on the
    /// phone with the IT person, and for the headless-browser test.
    public func makeLoginCode(account name: String) throws(KCError) -> String {
        guard accounts().contains(where: { $0.name == name }) else {
            throw KCError(.notFound, "Er is geen account \(name); maak het met: kcsync board add-user \(name)")
        }
        let code = BoardReplica.randomHex(16)
        let now = Date()
        try loginCodes.withLock { _ throws(KCError) in try saveLoginCode(code, account: name, now: now) }
        return code
    }

    private func saveLoginCode(_ code: String, account name: String, now: Date) throws(KCError) {
        var codes = loadLoginCodes().filter { $0.expires > now }
        codes.append(LoginCode(hash: BoardReplica.digest(salt: "login", secret: code), account: name,
                               expires: now.addingTimeInterval(BoardReplica.loginCodeLifetime)))
        do {
            try DataDirectory.writePrivately(JSONEncoder().encode(codes), to: loginCodesURL)
        } catch {
            throw KCError(.storage, "login-codes.json kon niet worden opgeslagen.")
        }
    }

    /// The account a login code belongs to, if it is valid, without using it up (the page a
    /// link opens shows a button; only its POST spends the code).
    public func loginCodeAccount(_ code: String) -> String? {
        let hash = BoardReplica.digest(salt: "login", secret: code)
        let now = Date()
        return loginCodes.withLock { _ in
            guard let match = loadLoginCodes().first(where: { $0.hash == hash && $0.expires > now }),
                  accounts().contains(where: { $0.name == match.account }) else { return nil }
            return match.account
        }
    }

    /// The account a login code belongs to, if it is valid; the code is used up.
    public func useLoginCode(_ code: String) -> String? {
        let hash = BoardReplica.digest(salt: "login", secret: code)
        let now = Date()
        return loginCodes.withLock { _ in useLoginCode(hash: hash, now: now) }
    }

    private func useLoginCode(hash: String, now: Date) -> String? {
        let codes = loadLoginCodes()
        guard let match = codes.first(where: { $0.hash == hash && $0.expires > now }),
              accounts().contains(where: { $0.name == match.account }) else { return nil }
        try? JSONEncoder().encode(codes.filter { $0.hash != hash && $0.expires > now }).write(to: loginCodesURL, options: .atomic)
        return match.account
    }

    private func loadLoginCodes() -> [LoginCode] {
        guard let data = try? Data(contentsOf: loginCodesURL), let codes = try? JSONDecoder().decode([LoginCode].self, from: data) else { return [] }
        return codes
    }
}
