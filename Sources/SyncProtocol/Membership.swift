public import Foundation
public import SyncCore
import SwiftProtobuf

/// A statement that a replica belongs to a school of a board (or, revoked, no longer does),
/// signed by its issuer: the board's key, or a replica that is itself a member of the same
/// school (the desktop admitting the laptop). Anyone who knows the board's key can check who
/// belongs where; nobody has to trust what a replica says of itself in `Hello`.
public struct Membership: Sendable, Hashable {
    /// The board number.
    public var board: String
    /// The school's BRIN (upper case).
    public var school: String
    /// The member's Ed25519 public key.
    public var memberKey: [UInt8]
    /// The issuer's Ed25519 public key.
    public var issuerKey: [UInt8]
    /// When it was issued, in ms since 1970: a later statement about the same key and school
    /// replaces an earlier one by the same kind of issuer.
    public var issued: UInt64
    /// True: the member no longer belongs to the school.
    public var revoked: Bool

    /// Creates a statement.
    public init(board: String, school: String, memberKey: [UInt8], issuerKey: [UInt8], issued: UInt64, revoked: Bool = false) {
        self.board = board
        self.school = school.uppercased()
        self.memberKey = memberKey
        self.issuerKey = issuerKey
        self.issued = issued
        self.revoked = revoked
    }

    /// The member's replica id.
    public var memberReplica: ReplicaID { ReplicaKey.replicaID(forPublicKey: memberKey) }

    var proto: Kcsync_V1_Membership {
        var p = Kcsync_V1_Membership()
        p.format = 1
        p.board = board
        p.school = school
        p.memberKey = Data(memberKey)
        p.issuerKey = Data(issuerKey)
        p.issued = issued
        p.revoked = revoked
        return p
    }
}

/// A ``Membership`` with its issuer's signature, as stored and sent.
public struct SignedMembership: Sendable, Hashable {
    /// The statement, decoded.
    public let statement: Membership
    /// The statement's bytes as signed.
    public let statementBytes: Data
    /// Ed25519 by the issuer over ``SignedMembership/context`` + ``statementBytes``.
    public let signature: Data

    /// Domain separation: a replica's key also signs change headers and handshakes.
    static let context = Data("kcsync-membership-v1\n".utf8)

    /// Issues and signs a statement with `issuer`, whose key becomes the statement's issuer.
    public init(board: String, school: String, memberKey: [UInt8], issuer: ReplicaKey, issued: UInt64, revoked: Bool = false) {
        let statement = Membership(board: board, school: school, memberKey: memberKey, issuerKey: issuer.publicKey,
                                   issued: issued, revoked: revoked)
        let bytes = try! statement.proto.serializedBytes() as Data
        self.statement = statement
        statementBytes = bytes
        signature = Data(issuer.sign(SignedMembership.context + bytes))
    }

    /// Decodes a signed statement and checks its form and its signature.
    public init(serialized bytes: Data) throws(SyncError) {
        try self.init(serialized: bytes, verifying: true)
    }

    /// Decodes a statement and checks its form; with `verifying` false the signature is left
    /// for ``verify()``, so a receiver can first drop what could not count anyway.
    public init(serialized bytes: Data, verifying: Bool) throws(SyncError) {
        guard bytes.count <= 1024 else { throw SyncError(.malformedChange, "a membership statement of \(bytes.count) bytes is too large") }
        let outer: Kcsync_V1_SignedMembership
        let inner: Kcsync_V1_Membership
        do {
            outer = try Kcsync_V1_SignedMembership(serializedBytes: bytes)
            inner = try Kcsync_V1_Membership(serializedBytes: outer.statement)
        } catch {
            throw SyncError(.malformedChange, "a membership statement does not decode", underlying: error)
        }
        guard inner.format == 1 else { throw SyncError(.malformedChange, "membership format \(inner.format) is not supported") }
        guard Scope.isValidBoardNumber(inner.board), Scope.isValidBRIN(inner.school), inner.school == inner.school.uppercased() else {
            throw SyncError(.malformedChange, "a membership statement names an invalid board or school")
        }
        guard inner.memberKey.count == 32, inner.issuerKey.count == 32, outer.signature.count == 64 else {
            throw SyncError(.malformedChange, "a membership statement has keys of 32 bytes and a signature of 64")
        }
        statement = Membership(board: inner.board, school: inner.school, memberKey: Array(inner.memberKey),
                               issuerKey: Array(inner.issuerKey), issued: inner.issued, revoked: inner.revoked)
        statementBytes = outer.statement
        signature = outer.signature
        if verifying { try verify() }
    }

    /// Checks the issuer's signature.
    public func verify() throws(SyncError) {
        guard ReplicaKey.verify(signature: signature, of: SignedMembership.context + statementBytes, publicKey: statement.issuerKey) else {
            throw SyncError(.badSignature, "a membership statement's signature does not verify")
        }
    }

    /// The bytes to store and send.
    public func serialized() -> Data {
        var p = Kcsync_V1_SignedMembership()
        p.statement = statementBytes
        p.signature = signature
        return try! p.serializedBytes()
    }
}

/// Who belongs to which school of a board, decided from signed statements alone.
///
/// The rules (Protocol/SPEC.md, "Membership"): a statement counts when its issuer is the
/// board's key, or a member of the same school other than the member itself. For one key and
/// school, the board's newest statement decides when there is one (the board's word is final);
/// otherwise the newest counting statement by a school member does. A key counts for one
/// school only: if it is a member of several, a school that the board certified wins, and
/// without one it counts for none. Revoking an issuer undoes what only it vouched for.
public enum MembershipRoster {
    /// Every member's school, by replica id.
    public static func resolve(_ statements: [SignedMembership], board: String, boardKey: [UInt8]) -> [ReplicaID: String] {
        let relevant = statements.map(\.statement).filter { $0.board == board && $0.memberKey != boardKey }
        var members: [[UInt8]: String] = [:]
        // Each round decides again from the members of the round before; revocations can take
        // a member away, so the rounds are bounded rather than monotone.
        for _ in 0..<16 {
            struct Latest { var byBoard: Membership?; var bySchool: Membership? }
            var latest: [[UInt8]: [String: Latest]] = [:]
            func newer(_ a: Membership, than b: Membership?) -> Bool {
                guard let b else { return true }
                return a.issued != b.issued ? a.issued > b.issued : (a.revoked && !b.revoked)
            }
            for statement in relevant {
                let byBoard = statement.issuerKey == boardKey
                guard byBoard || (statement.issuerKey != statement.memberKey && members[statement.issuerKey] == statement.school) else { continue }
                var entry = latest[statement.memberKey, default: [:]][statement.school] ?? Latest()
                if byBoard {
                    if newer(statement, than: entry.byBoard) { entry.byBoard = statement }
                } else if newer(statement, than: entry.bySchool) {
                    entry.bySchool = statement
                }
                latest[statement.memberKey, default: [:]][statement.school] = entry
            }
            var next: [[UInt8]: String] = [:]
            for (key, schools) in latest {
                var certified: [String] = []
                var byBoard: [String] = []
                for (school, entry) in schools {
                    let deciding = entry.byBoard ?? entry.bySchool
                    guard let deciding, !deciding.revoked else { continue }
                    certified.append(school)
                    if entry.byBoard != nil { byBoard.append(school) }
                }
                if certified.count == 1 {
                    next[key] = certified[0]
                } else if byBoard.count == 1 {
                    next[key] = byBoard[0]
                }
            }
            if next == members { break }
            members = next
        }
        var out: [ReplicaID: String] = [:]
        for (key, school) in members { out[ReplicaKey.replicaID(forPublicKey: key)] = school }
        return out
    }

    /// The key at the root of a replica's chain of statements (the issuer that no statement
    /// of the chain vouches for): the board's key, if the chain is one. A replica that does
    /// not know its board's key yet learns it this way from a peer it pinned itself.
    public static func root(of chain: [SignedMembership]) -> [UInt8]? {
        let members = Set(chain.map(\.statement.memberKey))
        let roots = Set(chain.map(\.statement.issuerKey).filter { !members.contains($0) })
        return roots.count == 1 ? roots.first : nil
    }
}
