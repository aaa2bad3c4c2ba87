import Crypto
public import Foundation
public import SyncCore
import SyncStore

/// One-time login links for the school's own pages (`kcsync open`): whoever can read the
/// replica's directory can make one; it logs a browser in once, within ten minutes, as the
/// kc'er it names. Kept hashed in the replica's local state (never synced), so the daemon that
/// serves the pages and the command that makes the link share it through the database.
extension KCReplica {
    /// How long a login link works.
    public static let loginCodeLifetime: TimeInterval = 600
    /// The local-state keys of the school pages' sessions (hummingbird-auth's, in this database).
    public static let sessionKeyPrefix = "school-session."
    static let loginCodePrefix = "login-code."

    static func loginCodeKey(_ code: String) -> String {
        loginCodePrefix + Hex.encode(SHA256.hash(data: Data(("school-login:" + code).utf8)))
    }

    /// Makes a login link's code for the kc'er `name` (their name as author of what they write).
    public func makeLoginCode(for name: String, now: Date = Date()) throws(KCError) -> String {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 80, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw KCError(.invalidInput, "Geef een naam van hooguit 80 tekens, zonder regeleinden: die komt bij wat u op de pagina's schrijft.")
        }
        let code = BoardReplica.randomHex(16)
        try perform("de inloglink te bewaren") { () throws(SyncError) in
            try store.setLocalValue(KCReplica.loginCodeKey(code), Data(name.utf8), expires: now.addingTimeInterval(KCReplica.loginCodeLifetime), now: now)
        }
        return code
    }

    /// Whom a login code is for, if it is valid, without using it (the page a link opens shows
    /// a button; only its POST spends the code, so a mail scanner spends nothing).
    public func loginCodeName(_ code: String, now: Date = Date()) -> String? {
        guard code.count <= 64, let value = try? store.localValue(KCReplica.loginCodeKey(code), now: now) else { return nil }
        return String(decoding: value.value, as: UTF8.self)
    }

    /// Whom a login code is for, if it is valid; the code is used up.
    public func useLoginCode(_ code: String, now: Date = Date()) -> String? {
        guard code.count <= 64, let value = try? store.takeLocalValue(KCReplica.loginCodeKey(code), now: now) else { return nil }
        return String(decoding: value, as: UTF8.self)
    }
}
