import Crypto
public import Foundation
import SyncCore
import SyncStore

/// A kc'er's account for the school's pages, needed when they are served beyond this machine
/// (`kcsync daemon --web 192.168.1.20:8452 --web-cert … --web-key …`). `kcsync users add NAME`
/// makes one with a random secret, shown once; only a salted SHA-256 of it is kept, in the
/// replica's local state (never synced: the desk's accounts are not the laptop's).
public struct SchoolAccount: Codable, Sendable, Equatable {
    /// The kc'er's name, as author of what they write on the pages.
    public var name: String
    /// Random salt, hex.
    public var salt: String
    /// SHA-256 of salt and secret, hex.
    public var hash: String
    /// When it was made (ISO 8601).
    public var created: String
}

extension KCReplica {
    static let accountPrefix = "school-account."

    static func accountKey(_ name: String) -> String {
        accountPrefix + Hex.encode(SHA256.hash(data: Data(name.lowercased().utf8)))
    }

    /// The accounts of this replica's pages, by name.
    public func schoolAccounts() -> [SchoolAccount] {
        let values = (try? store.localValues(prefix: KCReplica.accountPrefix)) ?? []
        return values.compactMap { try? JSONDecoder().decode(SchoolAccount.self, from: $0) }.sorted { $0.name < $1.name }
    }

    /// The account named `name` (any case), if there is one.
    public func schoolAccount(_ name: String) -> SchoolAccount? {
        guard name.count <= 80, let value = try? store.localValue(KCReplica.accountKey(name)) else { return nil }
        return try? JSONDecoder().decode(SchoolAccount.self, from: value.value)
    }

    /// Makes an account (or gives an existing one a new secret) and returns the secret, which
    /// is kept nowhere and cannot be shown again; `secret` is for tests and the demo.
    public func addSchoolAccount(name: String, secret given: String? = nil) throws(KCError) -> String {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 80, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw KCError(.invalidInput, "Een naam is 1 tot 80 tekens, zonder regeleinden: die komt bij wat de kc'er op de pagina's schrijft.")
        }
        let secret = given ?? BoardReplica.randomHex(24)
        guard secret.count >= 12 else { throw KCError(.invalidInput, "Een wachtwoord is minstens 12 tekens.") }
        let salt = BoardReplica.randomHex(16)
        let account = SchoolAccount(name: name, salt: salt, hash: BoardReplica.digest(salt: salt, secret: secret),
                                    created: ISO8601DateFormatter().string(from: Date()))
        try perform("het account te bewaren") { () throws(SyncError) in
            let data = (try? JSONEncoder().encode(account)) ?? Data()
            try store.setLocalValue(KCReplica.accountKey(name), data, expires: nil)
        }
        return secret
    }

    /// Removes an account and every browser session it had, so a page open anywhere is
    /// logged out at its next request.
    public func removeSchoolAccount(name: String) throws(KCError) {
        guard let account = schoolAccount(name) else { throw KCError(.notFound, "Er is geen account \(name); zie: kcsync users list") }
        try perform("het account te verwijderen") { () throws(SyncError) in
            try store.removeLocalValue(KCReplica.accountKey(account.name))
            try store.removeLocalValues(prefix: KCReplica.sessionKeyPrefix) { data in
                (try? JSONDecoder().decode(WebSessionName.self, from: data))?.account.lowercased() == account.name.lowercased()
            }
        }
    }

    /// The account whose name and secret these are, or nil. The comparison takes the same time
    /// whatever the secret.
    public func authenticateSchoolAccount(name: String, secret: String) -> SchoolAccount? {
        guard secret.count <= 256, let account = schoolAccount(name) else { return nil }
        return ConstantTime.equal(BoardReplica.digest(salt: account.salt, secret: secret), account.hash) ? account : nil
    }
}

/// The part of a stored browser session that names its account.
private struct WebSessionName: Decodable { var account: String }
