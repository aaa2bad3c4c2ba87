public import Crypto
public import SyncCore
public import Foundation

/// A replica's Ed25519 signing key, and the replica id derived from it.
///
/// The id is the first 16 bytes of SHA-256 of the public key, so a change's `replica` field
/// and its key vouch for each other: a seq-1 header carries the key, and a receiver checks
/// that the key hashes to the id before it trusts any signature.
public struct ReplicaKey: Sendable {
    /// The private key.
    public let privateKey: Curve25519.Signing.PrivateKey
    /// The 32 raw bytes of the public key (derived once: every change and session asks).
    public let publicKey: [UInt8]
    /// The replica id this key stands for.
    public let replicaID: ReplicaID

    /// A new random key.
    public init() {
        self.init(Curve25519.Signing.PrivateKey())
    }

    /// Restores a key from its 32 raw bytes.
    public init(rawRepresentation: some ContiguousBytes) throws(SyncError) {
        do {
            self.init(try Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation))
        } catch {
            throw SyncError(.invalidArgument, "stored private key is not a valid Ed25519 key", underlying: error)
        }
    }

    private init(_ key: Curve25519.Signing.PrivateKey) {
        privateKey = key
        publicKey = Array(key.publicKey.rawRepresentation)
        replicaID = ReplicaKey.replicaID(forPublicKey: publicKey)
    }

    /// The 32 raw bytes of the private key, for storage.
    public var rawRepresentation: Data { privateKey.rawRepresentation }

    /// Signs `message` (a change header).
    public func sign(_ message: some DataProtocol) -> [UInt8] {
        // Signing with a valid key over bytes in memory cannot fail.
        Array(try! privateKey.signature(for: message))
    }

    /// The replica id of a public key: the first 16 bytes of its SHA-256.
    public static func replicaID(forPublicKey key: some DataProtocol) -> ReplicaID {
        ReplicaID(bytes: Array(SHA256.hash(data: key)).prefix(16))!
    }

    /// True when `signature` is a valid signature of `message` by the public key `key`.
    public static func verify(signature: some DataProtocol, of message: some DataProtocol, publicKey key: some ContiguousBytes) -> Bool {
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else { return false }
        return publicKey.isValidSignature(signature, for: message)
    }
}

/// SHA-256, the one hash of the format.
public enum Hashing {
    /// The 32-byte SHA-256 of `data`.
    public static func sha256(_ data: some DataProtocol) -> [UInt8] {
        Array(SHA256.hash(data: data))
    }
}
