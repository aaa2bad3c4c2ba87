public import Foundation
public import SyncCore
public import SyncProtocol
import GRDB
import Synchronization

/// Who this replica is in its board's trust model, and what it knows of the others: the
/// board's key, the membership statements, the peers registered here.
public struct TrustState: Sendable, Equatable {
    /// The board number.
    public var board: String
    /// This replica's school (BRIN), or empty for the board's own replica.
    public var school: String
    /// The board's public key, once known.
    public var boardKey: [UInt8]?
    /// How the board's key came to be known: `own` (this is the board), `given` (typed in by
    /// IT), `firstContact` (learnt from the board on the first sync), `peer` (learnt from a
    /// registered peer of this school).
    public var boardKeySource: String?
    /// Every member's school, decided from the stored statements (``MembershipRoster``).
    public var members: [ReplicaID: String]
    /// The replicas registered here as peers of this school.
    public var peers: Set<ReplicaID>
    /// This replica.
    public var replica: ReplicaID

    /// The board's replica id, once its key is known.
    public var boardReplica: ReplicaID? { boardKey.map(ReplicaKey.replicaID(forPublicKey:)) }

    /// What stands behind `replica`: the board, a school, or nothing known (nil).
    public func authority(of replica: ReplicaID) -> Authority? {
        if replica == self.replica { return school.isEmpty ? .board : .school(school) }
        if let boardReplica, replica == boardReplica { return .board }
        if let school = members[replica] { return .school(school) }
        // A key that IT registered here as a peer of this school speaks for this school.
        if !school.isEmpty, peers.contains(replica) { return .school(school) }
        return nil
    }
}

extension ReplicaStore {
    /// Sets who this replica is: a replica of `school` (empty: the board's own replica) of
    /// `board`. A board replica trusts its own key as the board's key. Done once, at `init`;
    /// doing it again with the same values changes nothing.
    public func establishIdentity(board: String, school: String) throws(SyncError) {
        guard Scope.isValidBoardNumber(board), school.isEmpty || Scope.isValidBRIN(school) else {
            throw SyncError(.invalidArgument, "'\(board)' / '\(school)' is not a board number and BRIN")
        }
        // Every open asks: read first, so an established replica needs no write transaction.
        if let held = try trust(), held.board == board, held.school == school.uppercased() { return }
        try ReplicaStore.wrap("record this replica's identity") {
            try writer.write { db in
                if let row = try Row.fetchOne(db, sql: "SELECT board, school FROM trust") {
                    guard row["board"] as String == board, row["school"] as String == school.uppercased() else {
                        throw SyncError(.invalidArgument, "this replica already belongs to board \(row["board"] as String) \(row["school"] as String)")
                    }
                    return
                }
                if school.isEmpty {
                    try db.execute(sql: "INSERT INTO trust (singleton, board, school, boardKey, boardKeySource) VALUES (1, ?, '', ?, 'own')",
                                   arguments: [board, Data(key.publicKey)])
                } else {
                    try db.execute(sql: "INSERT INTO trust (singleton, board, school) VALUES (1, ?, ?)", arguments: [board, school.uppercased()])
                }
            }
        }
        trustCache.withLock { $0 = nil }
    }

    /// Pins the board's key. `source` says how it became known (`given`, `firstContact`,
    /// `peer`). A key given by IT replaces whatever was there; a learnt key never replaces a
    /// pinned one (``pinBoardKey`` then refuses: a server with another key is not the board).
    public func pinBoardKey(_ boardKey: [UInt8], source: String) throws(SyncError) {
        guard boardKey.count == 32 else { throw SyncError(.invalidArgument, "a board key is 32 bytes") }
        try ReplicaStore.wrap("pin the board's key") {
            try writer.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT school, boardKey FROM trust") else {
                    throw SyncError(.invalidArgument, "this replica has no identity yet")
                }
                guard !(row["school"] as String).isEmpty else { throw SyncError(.invalidArgument, "the board's own replica holds its own key") }
                if let held = row["boardKey"] as Data?, source != "given" {
                    guard Array(held) == boardKey else {
                        throw SyncError(.notMember, "the board's key is pinned to another key")
                    }
                    return
                }
                try db.execute(sql: "UPDATE trust SET boardKey = ?, boardKeySource = ?, version = version + 1",
                               arguments: [Data(boardKey), source])
            }
        }
    }

    /// A number that changes whenever the trust state does (statements, peers, the board's
    /// key): cheap to ask, so sessions can look every few seconds.
    public func trustVersion() throws(SyncError) -> Int64 {
        try read { db in try Int64.fetchOne(db, sql: "SELECT version FROM trust") ?? 0 }
    }

    /// This replica's trust state, or nil for an engine replica without a board.
    public func trust() throws(SyncError) -> TrustState? {
        try ReplicaStore.wrap("read the trust state") { try writer.read { db in try trustState(db) } }
    }

    /// The trust state as of `db`, from the cache while nothing changed.
    func trustState(_ db: Database) throws -> TrustState? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT board, school, boardKey, boardKeySource, version FROM trust"))
        else { return nil }
        let version: Int64 = row["version"]
        if let cached = trustCache.withLock({ $0 }), cached.version == version { return cached.state }
        let board: String = row["board"]
        let boardKey = (row["boardKey"] as Data?).map(Array.init)
        // Every stored statement was verified before it was stored (``storeMemberships``) or
        // signed here (``issueMembership``): parsed again, not verified again.
        let statements = try Data.fetchAll(db, sql: "SELECT bytes FROM membership").compactMap { try? SignedMembership(serialized: $0, verifying: false) }
        let members = boardKey.map { MembershipRoster.resolve(statements, board: board, boardKey: $0) } ?? [:]
        let peers = Set(try Data.fetchAll(db, sql: "SELECT publicKey FROM peer").map(ReplicaKey.replicaID(forPublicKey:)))
        let state = TrustState(board: board, school: row["school"], boardKey: boardKey, boardKeySource: row["boardKeySource"],
                               members: members, peers: peers, replica: replicaID)
        trustCache.withLock { $0 = (version, state) }
        return state
    }

    /// The most members a school may have by its own members' word (a school has a desktop,
    /// a laptop or two): past it a member's statement for yet another key does not count, so
    /// no school can fill the others' tables. The board's own statements are not limited.
    public static let maximumMembersAdmittedBySchool = 64

    /// Stores the membership statements that are well formed, about this board, new here,
    /// whose issuer counts (the board's key, or a member of the same school, also one that an
    /// earlier statement of the same list made a member) and whose signature verifies; the
    /// signature is checked last, so statements that could not count cost nothing. A school's
    /// members admit at most ``maximumMembersAdmittedBySchool`` keys. Returns how many were new.
    @discardableResult
    public func storeMemberships(_ serialized: [Data]) throws(SyncError) -> Int {
        var offered: [SignedMembership] = []
        for bytes in serialized.prefix(Limits.maximumMemberships) {
            if let statement = try? SignedMembership(serialized: bytes, verifying: false) { offered.append(statement) }
        }
        guard !offered.isEmpty else { return 0 }
        return try ReplicaStore.wrap("store membership statements") {
            try writer.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT board, boardKey FROM trust"),
                      let boardKey = (row["boardKey"] as Data?).map(Array.init) else { return 0 }
                let board: String = row["board"]
                // Most sessions offer only statements held here already (a school's own
                // chain): found by the unique index, they cost no parse of the held ones.
                let isHeld = try db.cachedStatement(sql: "SELECT 1 FROM membership WHERE bytes = ?")
                var candidates = try offered.filter {
                    try $0.statement.board == board && Bool.fetchOne(isHeld, arguments: [$0.serialized()]) == nil
                }
                guard !candidates.isEmpty else { return 0 }
                // Held statements were verified when they were stored.
                let held = try Data.fetchAll(db, sql: "SELECT bytes FROM membership").compactMap { try? SignedMembership(serialized: $0, verifying: false) }
                var accepted: [SignedMembership] = []
                while true {
                    let roster = MembershipRoster.resolve(held + accepted, board: board, boardKey: boardKey)
                    var size: [String: Int] = [:]
                    for school in roster.values { size[school, default: 0] += 1 }
                    var counting: [SignedMembership] = []
                    for candidate in candidates {
                        let statement = candidate.statement
                        let byBoard = statement.issuerKey == boardKey
                        guard byBoard || roster[ReplicaKey.replicaID(forPublicKey: statement.issuerKey)] == statement.school else { continue }
                        let admits = !byBoard && !statement.revoked
                        if admits && size[statement.school, default: 0] >= ReplicaStore.maximumMembersAdmittedBySchool { continue }
                        guard (try? candidate.verify()) != nil else { continue }
                        if admits { size[statement.school, default: 0] += 1 }
                        counting.append(candidate)
                    }
                    guard !counting.isEmpty else { break }
                    accepted += counting
                    let taken = Set(counting.map { $0.serialized() })
                    candidates.removeAll { taken.contains($0.serialized()) }
                }
                return try ReplicaStore.insert(accepted, db: db)
            }
        }
    }

    static func insert(_ statements: [SignedMembership], db: Database) throws -> Int {
        var added = 0
        for statement in statements {
            try db.execute(sql: """
                INSERT OR IGNORE INTO membership (bytes, school, memberKey, issuerKey, issued, revoked) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [statement.serialized(), statement.statement.school, Data(statement.statement.memberKey),
                                 Data(statement.statement.issuerKey), Int64(clamping: statement.statement.issued),
                                 statement.statement.revoked])
            added += db.changesCount
        }
        if added > 0 { try db.execute(sql: "UPDATE trust SET version = version + 1") }
        return added
    }

    /// Issues a membership statement signed by this replica's key and stores it: the board
    /// certifying (or revoking) a school's key, or a member admitting another replica of its
    /// own school. Returns the statement.
    @discardableResult
    public func issueMembership(school: String, memberKey: [UInt8], revoked: Bool = false) throws(SyncError) -> SignedMembership {
        guard let trust = try trust() else { throw SyncError(.invalidArgument, "this replica has no identity yet") }
        guard memberKey.count == 32 else { throw SyncError(.invalidArgument, "a replica key is 32 bytes") }
        // Issued times only grow, also when the clock steps back, so a revocation follows
        // what it revokes.
        let newest = try read { db in try Int64.fetchOne(db, sql: "SELECT MAX(issued) FROM membership WHERE memberKey = ?", arguments: [Data(memberKey)]) } ?? 0
        let issued = max(wallClock(), UInt64(max(0, newest)) + 1)
        let statement = SignedMembership(board: trust.board, school: school, memberKey: memberKey, issuer: key, issued: issued, revoked: revoked)
        // Kept even while this replica's own membership is not known here yet: it counts
        // wherever this replica's does.
        _ = try ReplicaStore.wrap("store a membership statement") { try writer.write { db in try ReplicaStore.insert([statement], db: db) } }
        return statement
    }

    /// Every stored membership statement (each verified when it was stored).
    public func memberships() throws(SyncError) -> [SignedMembership] {
        try membershipLog().statements.compactMap { try? SignedMembership(serialized: $0, verifying: false) }
    }

    /// The stored membership statements as sent on the wire, those stored after row `after`
    /// (0: all), with the trust version they were read at and the row to ask after next time.
    /// Read from a cache while the trust state is unchanged, so a session asks in O(new).
    public func membershipLog(after: Int64 = 0) throws(SyncError) -> (version: Int64, through: Int64, statements: [Data]) {
        try read { db in
            let version = try Int64.fetchOne(db.cachedStatement(sql: "SELECT version FROM trust")) ?? 0
            let log: [(id: Int64, bytes: Data)]
            if let cached = membershipCache.withLock({ $0 }), cached.version == version {
                log = cached.log
            } else {
                log = try Row.fetchAll(db, sql: "SELECT id, bytes FROM membership ORDER BY id").map { (id: $0["id"], bytes: $0["bytes"]) }
                membershipCache.withLock { $0 = (version, log) }
            }
            // Row ids only grow: the first row after `after`, found by halving.
            var low = 0, high = log.count
            while low < high {
                let middle = (low + high) / 2
                if log[middle].id <= after { low = middle + 1 } else { high = middle }
            }
            return (version, log.last?.id ?? after, log[low...].map(\.bytes))
        }
    }

    /// The statements that prove `replica`'s membership: those about it, and those about each
    /// issuer on the way up to the board (what a replica presents in its handshake).
    public func membershipChain(for member: ReplicaID) throws(SyncError) -> [SignedMembership] {
        let all = try memberships()
        var chain: [SignedMembership] = []
        var wanted: Set<ReplicaID> = [member]
        var seen: Set<ReplicaID> = []
        while let next = wanted.first {
            wanted.remove(next)
            seen.insert(next)
            for statement in all where statement.statement.memberReplica == next {
                chain.append(statement)
                let issuer = ReplicaKey.replicaID(forPublicKey: statement.statement.issuerKey)
                if !seen.contains(issuer) { wanted.insert(issuer) }
            }
        }
        return chain
    }

    // MARK: - Peers

    /// A replica of this school registered here, with where it listens (if this side dials).
    public struct PeerRecord: Sendable, Equatable {
        /// Its public key.
        public var publicKey: [UInt8]
        /// Where it listens, or nil when it only dials here.
        public var url: String?
    }

    /// Registers (or updates the address of) a peer of this school.
    public func addPeer(publicKey: [UInt8], url: String?) throws(SyncError) {
        guard publicKey.count == 32 else { throw SyncError(.invalidArgument, "a replica key is 32 bytes") }
        try ReplicaStore.wrap("register a peer") {
            try writer.write { db in
                try db.execute(sql: """
                    INSERT INTO peer (publicKey, url, added) VALUES (?, ?, ?)
                    ON CONFLICT (publicKey) DO UPDATE SET url = excluded.url
                    """, arguments: [Data(publicKey), url, Int64(clamping: wallClock())])
                try db.execute(sql: "UPDATE trust SET version = version + 1")
            }
        }
    }

    /// Removes a peer. Returns false when it was not registered.
    @discardableResult
    public func removePeer(publicKey: [UInt8]) throws(SyncError) -> Bool {
        try ReplicaStore.wrap("remove a peer") {
            try writer.write { db in
                try db.execute(sql: "DELETE FROM peer WHERE publicKey = ?", arguments: [Data(publicKey)])
                let removed = db.changesCount > 0
                try db.execute(sql: "UPDATE trust SET version = version + 1")
                return removed
            }
        }
    }

    /// The registered peers, in the order they were added.
    public func peers() throws(SyncError) -> [PeerRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT publicKey, url FROM peer ORDER BY added, publicKey").map {
                PeerRecord(publicKey: Array($0["publicKey"] as Data), url: $0["url"])
            }
        }
    }

    // MARK: - Refusals

    /// One refusal on a link, as recorded.
    public struct RefusalRecord: Sendable, Equatable {
        /// `board`, a BRIN (at the board) or a peer's key.
        public var link: String
        /// `sent`: the other side refused a change this side sent; `received`: this side
        /// refused one it received.
        public var direction: String
        /// The scope.
        public var scope: String
        /// What was refused and why.
        public var refusal: ChangeRefusal
        /// When (ms since 1970).
        public var at: UInt64
    }

    /// Records refusals on `link` (one row per chain: the newest replaces the older).
    public func recordRefusals(_ refusals: [ChangeRefusal], link: String, direction: String, scope: Scope) throws(SyncError) {
        guard !refusals.isEmpty else { return }
        let now = Int64(clamping: wallClock())
        try ReplicaStore.wrap("record refusals") {
            try writer.write { db in
                for refusal in refusals {
                    try db.execute(sql: """
                        INSERT INTO refusal (link, direction, scope, replica, seq, code, reason, transient, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (link, direction, scope, replica) DO UPDATE SET seq = excluded.seq, code = excluded.code,
                            reason = excluded.reason, transient = excluded.transient, at = excluded.at
                        """, arguments: [link, direction, scope.name, Data(refusal.replica.bytes), Int64(clamping: refusal.seq),
                                         refusal.code, refusal.reason, refusal.transient, now])
                }
            }
        }
        refusalCache.drop(RefusalCache.Key(link: link, direction: direction, scope: scope.name))
    }

    /// Forgets the refusals on `link` whose chains the other side now holds past the refused
    /// change (it got them another way, or accepted them on a later try).
    public func clearRefusals(link: String, direction: String, scope: Scope, heldBy vector: VersionVector) throws(SyncError) {
        // Most acknowledgements clear nothing and need no write; the refusals of the link are
        // kept in memory for a moment (a board asks for every acknowledgement of every session).
        let key = RefusalCache.Key(link: link, direction: direction, scope: scope.name)
        let rows: RefusalCache.Rows
        switch refusalCache.rows(key) {
        case .kept(let kept):
            rows = kept
        case .read(let generation):
            rows = try ReplicaStore.wrap("read refusals") { try writer.unsafeRead { db in
                try Row.fetchAll(db.cachedStatement(sql: "SELECT replica, seq FROM refusal WHERE link = ? AND direction = ? AND scope = ?"),
                                 arguments: [link, direction, scope.name]).map { (replica: $0["replica"] as Data, seq: $0["seq"] as Int64) }
            } }
            refusalCache.keep(rows, for: key, readAt: generation)
        }
        let passed = rows.compactMap { row -> Data? in
            guard let replica = ReplicaID(bytes: row.replica), vector[replica] >= UInt64(max(0, row.seq)) else { return nil }
            return row.replica
        }
        guard !passed.isEmpty else { return }
        try ReplicaStore.wrap("clear refusals") {
            try writer.write { db in
                for replica in passed {
                    try db.execute(sql: "DELETE FROM refusal WHERE link = ? AND direction = ? AND scope = ? AND replica = ?",
                                   arguments: [link, direction, scope.name, replica])
                }
            }
        }
        refusalCache.drop(key)
    }

    /// The refusals recorded, newest first (`link` nil: on every link).
    public func refusals(link: String? = nil) throws(SyncError) -> [RefusalRecord] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM refusal WHERE ?1 IS NULL OR link = ?1 ORDER BY at DESC, link, scope
                """, arguments: [link])
            return rows.compactMap { row -> RefusalRecord? in
                guard let replica = ReplicaID(bytes: row["replica"] as Data) else { return nil }
                let refusal = ChangeRefusal(replica: replica, seq: UInt64(max(1, row["seq"] as Int64)), code: row["code"],
                                            reason: row["reason"], transient: row["transient"])
                return RefusalRecord(link: row["link"], direction: row["direction"], scope: row["scope"], refusal: refusal,
                                     at: UInt64(max(0, row["at"] as Int64)))
            }
        }
    }

    /// What not to send on `link` in `scope` this session: the chains the other side refused
    /// for a reason that does not pass by itself, for a day after the refusal (then they are
    /// tried once more).
    public func excludedChains(link: String, scope: Scope) throws(SyncError) -> VersionVector {
        let since = Int64(clamping: wallClock()) - 24 * 3600 * 1000
        return try read { db in
            var vector = VersionVector()
            for row in try Row.fetchAll(db, sql: """
                SELECT replica FROM refusal WHERE link = ? AND direction = 'sent' AND scope = ? AND transient = 0 AND at >= ?
                """, arguments: [link, scope.name, since]) {
                if let replica = ReplicaID(bytes: row["replica"] as Data) { vector[replica] = Limits.maximumSeq }
            }
            return vector
        }
    }
}

extension ReplicaStore {
    /// Moves this replica to a new key and so a new replica id, keeping all its data: for a
    /// replica that finds its chain forked (restored from a backup or a copy of its directory,
    /// whose old seqs were already used elsewhere). The old key signs a membership statement
    /// for the new one (same school), so the new identity is a member wherever the old one
    /// was; the old chain stays as it is, and what others hold of it flows back here as any
    /// other replica's changes. Returns the new key.
    @discardableResult
    public func moveToNewIdentity(reason: String) throws(SyncError) -> ReplicaKey {
        let old = key
        let new = ReplicaKey()
        if let trust = try trust(), trust.school.isEmpty {
            // The board's key is the root every school pinned: it never changes by itself.
            throw SyncError(.forkedChain, "the board's own replica found its chain forked (\(reason)); restore its latest copy, the board's key stays")
        }
        try ReplicaStore.wrap("move to a new identity") {
            try writer.write { db in
                if let keyFile {
                    try ReplicaStore.writeKey(new, to: keyFile)
                    try db.execute(sql: "UPDATE identity SET replica = ?, privateKey = ?", arguments: [Data(new.replicaID.bytes), ReplicaStore.keyInFile])
                } else {
                    try db.execute(sql: "UPDATE identity SET replica = ?, privateKey = ?", arguments: [Data(new.replicaID.bytes), new.rawRepresentation])
                }
                _ = try replicaRowID(db, replica: old.replicaID, publicKey: old.publicKey)
                try db.execute(sql: "INSERT OR REPLACE INTO formerIdentity (replica, publicKey, until, reason) VALUES (?, ?, ?, ?)",
                               arguments: [Data(old.replicaID.bytes), Data(old.publicKey), Int64(clamping: wallClock()), String(reason.prefix(300))])
                if let row = try Row.fetchOne(db, sql: "SELECT board, school FROM trust"), !(row["school"] as String).isEmpty {
                    let issued = max(wallClock(), 1)
                    let statement = SignedMembership(board: row["board"], school: row["school"], memberKey: new.publicKey, issuer: old, issued: issued)
                    _ = try ReplicaStore.insert([statement], db: db)
                }
                try db.execute(sql: "UPDATE trust SET version = version + 1")
            }
        }
        identity.withLock { $0 = new }
        trustCache.withLock { $0 = nil }
        return new
    }

    /// The identities this replica had before, newest first.
    public func formerIdentities() throws(SyncError) -> [(replica: ReplicaID, until: UInt64, reason: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT replica, until, reason FROM formerIdentity ORDER BY until DESC").compactMap { row in
                ReplicaID(bytes: row["replica"] as Data).map { ($0, UInt64(max(0, row["until"] as Int64)), row["reason"] as String) }
            }
        }
    }
}
