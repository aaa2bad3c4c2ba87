public import Foundation
public import SyncCore
import SwiftProtobuf

/// One sync session between two replicas, as a state machine (Protocol/SPEC.md).
///
/// It does no I/O and reads no clock: events come in through the `on…` methods (with the time
/// as a parameter), and what must happen comes out as ``Directive``s, which the shell that
/// owns the socket and the store carries out and answers with the matching `on…` call. Both
/// sides of a connection use it: the one that connects as `.client`, the one that accepts as
/// `.server`.
public struct SyncSession: Sendable {
    /// Which side of the connection this is.
    public enum Role: Sendable, Equatable {
        /// Connects. `audience` is the server it means to reach (`board/<number>`), or nil to
        /// accept any peer whose audience is bound to its key (`replica/<hex>`).
        case client(scopes: [Scope], audience: String?, pinnedServerKey: [UInt8]?)
        /// Accepts, announcing `audience`.
        case server(audience: String)
    }

    /// The other side, once it has said who it is.
    public struct Peer: Sendable, Equatable {
        /// Its replica id.
        public var replica: ReplicaID
        /// Its public key (the id is its hash).
        public var publicKey: [UInt8]
        /// Its school's BRIN; empty for a board replica.
        public var school: String
        /// Its board number.
        public var board: String
        /// The scopes it asked for (empty for a server).
        public var requestedScopes: [Scope]
        /// The membership statements it presented for itself (``SignedMembership`` bytes, not
        /// yet checked): its school is what these prove, never what `school` claims.
        public var memberships: [Data] = []
    }

    /// What the shell must do.
    public enum Directive: Sendable, Equatable {
        /// Send these bytes as one binary WebSocket message.
        case send(Data)
        /// (Server) Decide what `peer` may sync; answer with ``onAuthorized(_:)`` or ``onDenied(_:)``.
        case authorize(Peer)
        /// Read the membership statements this side holds; answer with ``onMemberships(_:)``.
        case readMemberships
        /// Check and store the membership statements the peer sent (nothing to answer). They
        /// arrive before any change, so the changes they vouch for are judged with them.
        case storeMemberships([Data])
        /// Read these scopes' version vectors; answer with ``onVectors(_:excluding:)``.
        case readVectors([Scope])
        /// Read at most `limit` changes of `scope` that `missingFrom` lacks; answer with ``onChanges(_:_:)``.
        case readChanges(Scope, missingFrom: VersionVector, limit: Int)
        /// Apply a batch durably, in order, each change on its own merits; answer with
        /// ``onApplied(_:batch:result:)``.
        case apply(Scope, batch: UInt64, changes: [Data])
        /// The peer stored a batch of ours except these changes: record why, and do not send
        /// them again in this session.
        case refused(Scope, [ChangeRefusal])
        /// The peer's `Ack` says it now holds this vector of `scope` (nothing to answer).
        case peerHolds(Scope, VersionVector)
        /// The peer holds more of this replica's own chain in `scope` than this replica does:
        /// it was restored from a copy, or its key is used twice. The shell moves the replica
        /// to a new identity before it writes again (nothing to answer).
        case ownChainAhead(Scope, peerHolds: UInt64, local: UInt64)
        /// The peer holds this replica's chain in `scope` up to `seq`, whose header hashes to
        /// `hash` there: if this replica's own change at `seq` hashes otherwise, its chain
        /// forked (nothing to answer).
        case compareOwnTip(Scope, seq: UInt64, hash: [UInt8])
        /// The handshake is done: `peer` may sync `scopes`.
        case established(Peer, [Scope])
        /// Changes received so far in `scope` of those the peer had when the session began.
        case progress(Scope, received: UInt64, total: UInt64)
        /// Both sides hold everything the other had; nothing is in flight.
        case caughtUp
        /// Close the connection (after sending what came before). Nil: a normal close.
        case close(SessionError?)
    }

    enum Phase: Sendable, Equatable {
        case initial, awaitingChallenge, awaitingAuthenticate, authorizing, awaitingWelcome, open, closed
    }

    struct ScopeState: Sendable {
        var peerVector: VersionVector?
        var initialPeerVector = VersionVector()
        var sent = VersionVector()
        var local: VersionVector?
        var reading = false
        var dirty = false
        var exhausted = false
        var nextOutbound: UInt64 = 1
        var inFlight: [UInt64] = []
        var nextInbound: UInt64 = 1
        var applying: [UInt64: Int] = [:]
        var received: UInt64 = 0
        var total: UInt64 = 0
        var excluded = VersionVector()
        /// Chains of the peer's this side refused: they count as held for "caught up".
        var refusedHere = VersionVector()
        var checkedOwnChain = false
    }

    /// Which side this is.
    public let role: Role
    /// The limits this side enforces.
    public let limits: SessionLimits
    let key: ReplicaKey
    /// The replica this session speaks for (its key's id).
    public var replica: ReplicaID { key.replicaID }
    let school: String
    let board: String
    let nonce: [UInt8]
    private(set) var phase: Phase = .initial
    /// The other side, once known.
    public private(set) var peer: Peer?
    private var peerNonce: [UInt8] = []
    private var audience = ""
    private var scopes: [Scope: ScopeState] = [:]
    private var tokens: Double
    private var lastRefill: UInt64 = 0
    private var reportedCaughtUp = false
    /// The peer named "deflate" in its `Hello` or `Welcome`: large batches go to it compressed.
    private var peerInflates = false
    private var membersTokens = 10.0
    private var membersRefill: UInt64 = 0
    /// The membership statements that prove this side's own membership, sent in the
    /// handshake (`Hello` or `Challenge`).
    let ownMemberships: [Data]

    /// A session for the replica with `key`, of `school` (empty for the board) and `board`.
    /// `nonce` must be 32 fresh random bytes. `memberships` are the statements that make this
    /// replica a member of its school (sent in the handshake).
    public init(role: Role, key: ReplicaKey, school: String, board: String, nonce: [UInt8], limits: SessionLimits = .standard,
                memberships: [Data] = []) {
        precondition(nonce.count == 32, "a session nonce is 32 random bytes")
        self.role = role
        self.key = key
        self.school = school
        self.board = board
        self.nonce = nonce
        self.limits = limits
        ownMemberships = Array(memberships.prefix(Limits.maximumMemberships))
        tokens = limits.changesBurst
        if case .server(let audience) = role { self.audience = audience }
    }

    /// The scopes this session syncs (empty before the handshake is done).
    public var grantedScopes: [Scope] { scopes.keys.sorted() }

    /// True once the session has closed.
    public var isClosed: Bool { phase == .closed }

    /// True when the handshake is done.
    public var isOpen: Bool { phase == .open }

    // MARK: - Events

    /// The connection is up. A client says hello; a server waits.
    public mutating func start(now: UInt64) -> [Directive] {
        guard case .client(let wanted, _, _) = role, phase == .initial else { return [] }
        var hello = Kcsync_V1_Hello()
        hello.protocolVersion = 1
        hello.replica = Data(key.replicaID.bytes)
        hello.publicKey = Data(key.publicKey)
        hello.school = school
        hello.board = board
        hello.scopes = wanted.map(\.name)
        hello.nonce = Data(nonce)
        hello.agent = "kcsync/1"
        hello.memberships = ownMemberships
        hello.features = [BatchCompression.feature]
        phase = .awaitingChallenge
        lastRefill = now
        return [send { $0.hello = hello }]
    }

    /// A binary message arrived.
    public mutating func onFrame(_ bytes: Data, now: UInt64) -> [Directive] {
        guard phase != .closed else { return [] }
        guard bytes.count <= limits.maximumFrameBytes else {
            return fail(.frameTooLarge, "a frame of \(bytes.count) bytes exceeds the limit of \(limits.maximumFrameBytes)")
        }
        let frame: Kcsync_V1_Frame
        do { frame = try Kcsync_V1_Frame(serializedBytes: bytes) } catch {
            return fail(.malformedFrame, "the frame does not decode as a kcsync Frame")
        }
        switch frame.kind {
        case .hello(let hello)?: return onHello(hello, now: now)
        case .challenge(let challenge)?: return onChallenge(challenge, now: now)
        case .authenticate(let authenticate)?: return onAuthenticate(authenticate, now: now)
        case .welcome(let welcome)?: return onWelcome(welcome)
        case .vector(let vector)?: return onPeerVector(vector)
        case .changes(let changes)?: return onPeerChanges(changes, now: now)
        case .ack(let ack)?: return onAck(ack)
        case .members(let members)?: return onPeerMembers(members, now: now)
        case .error(let error)?:
            phase = .closed
            return [.close(SessionError(proto: error))]
        case nil:
            return fail(.malformedFrame, "the frame holds no message")
        }
    }

    /// (Server) The peer may sync `granted` (what it asked for is intersected with this).
    public mutating func onAuthorized(_ granted: [Scope]) -> [Directive] {
        guard phase == .authorizing, let peer else { return [] }
        let allowed = Set(granted).intersection(peer.requestedScopes).sorted()
        guard !allowed.isEmpty else {
            return fail(.unauthorized, "replica \(peer.replica.hex) may sync none of the scopes it asked for")
        }
        var welcome = Kcsync_V1_Welcome()
        welcome.scopes = allowed.map(\.name)
        welcome.features = [BatchCompression.feature]
        open(allowed)
        return [send { $0.welcome = welcome }, .established(peer, allowed), .readMemberships]
    }

    /// (Server) The peer may not sync anything.
    public mutating func onDenied(_ reason: String) -> [Directive] {
        guard phase == .authorizing else { return [] }
        return fail(.unauthorized, reason)
    }

    /// The membership statements this side holds, as asked for by `.readMemberships`: sent to
    /// the peer before the vectors.
    public mutating func onMemberships(_ memberships: [Data]) -> [Directive] {
        guard phase == .open else { return [] }
        var members = Kcsync_V1_Members()
        members.memberships = Array(memberships.prefix(Limits.maximumMemberships))
        return [send { $0.members = members }, .readVectors(grantedScopes)]
    }

    /// This side's version vectors, as asked for by `.readVectors`. `excluding` holds, per
    /// scope, the changes not to send the peer in this session (those it refused before for a
    /// reason that does not pass).
    /// `peerTips` holds, per scope, the header hash of this side's newest change of the peer's
    /// own chain (sent with the vector, so a peer restored from a copy notices its fork).
    public mutating func onVectors(_ vectors: [Scope: VersionVector], excluding: [Scope: VersionVector] = [:],
                                   peerTips: [Scope: [UInt8]] = [:]) -> [Directive] {
        guard phase == .open else { return [] }
        var out: [Directive] = []
        for (scope, vector) in vectors.sorted(by: { $0.key < $1.key }) where scopes[scope] != nil {
            scopes[scope]!.local = vector
            if let excluded = excluding[scope] {
                scopes[scope]!.excluded = excluded
                scopes[scope]!.sent = scopes[scope]!.sent.merged(with: excluded)
            }
            var message = Kcsync_V1_Vector()
            message.scope = scope.name
            message.entries = SyncSession.entries(vector)
            if let tip = peerTips[scope], tip.count == 32 { message.peerTip = Data(tip) }
            out.append(send { $0.vector = message })
            if let peerVector = scopes[scope]!.peerVector {
                scopes[scope]!.total = SyncSession.lacking(vector, peerVector)
                out += checkOwnChain(scope)
            }
            out += pump(scope)
        }
        return out + checkCaughtUp()
    }

    /// The changes read for `scope` after a `.readChanges`. `complete`: they are all this side
    /// held for the peer when it read them, so no second read is needed to learn that nothing
    /// is left (until `onLocalChange` or `onRetry` says there is more).
    public mutating func onChanges(_ scope: Scope, _ changes: [Data], complete: Bool = false) -> [Directive] {
        guard phase == .open, scopes[scope] != nil else { return [] }
        scopes[scope]!.reading = false
        if changes.isEmpty {
            if scopes[scope]!.dirty { return pump(scope) + checkCaughtUp() }
            scopes[scope]!.exhausted = true
            return checkCaughtUp()
        }
        // Cut the batch at the byte limit; what is left is read again next time.
        var batch: [Data] = []
        var bytes = 0
        for change in changes {
            if !batch.isEmpty && bytes + change.count > limits.maximumBatchBytes { break }
            batch.append(change)
            bytes += change.count
        }
        var sent = scopes[scope]!.sent
        for change in batch {
            // Only its author and seq: the change was checked when it was stored.
            guard let (replica, seq, _) = SignedChange.peek(change) else {
                return fail(.internalError, "a stored change of \(scope) does not decode")
            }
            sent[replica] = max(sent[replica], seq)
        }
        let number = scopes[scope]!.nextOutbound
        scopes[scope]!.nextOutbound += 1
        scopes[scope]!.inFlight.append(number)
        scopes[scope]!.sent = sent
        // What was read is all there was, and all of it goes in this batch: nothing is left to
        // read unless something new is said to have committed meanwhile.
        scopes[scope]!.exhausted = complete && batch.count == changes.count && !scopes[scope]!.dirty
        reportedCaughtUp = false
        var message = Kcsync_V1_Changes()
        message.scope = scope.name
        message.batch = number
        if peerInflates, bytes >= limits.deflateFromBytes, let deflated = BatchCompression.deflate(batch) {
            message.deflated = deflated
        } else {
            message.changes = batch
        }
        return [send { $0.changes = message }] + pump(scope)
    }

    /// A batch given to `.apply` is stored (with the new local vector and the changes refused
    /// one by one), or could not be stored at all (a storage failure: the session ends with
    /// `INTERNAL`).
    public mutating func onApplied(_ scope: Scope, batch: UInt64, result: Result<AppliedBatch, SyncError>) -> [Directive] {
        guard phase == .open, let count = scopes[scope]?.applying.removeValue(forKey: batch) else { return [] }
        switch result {
        case .failure(let error):
            return fail(.internalError, "the batch could not be stored: \(error.description)")
        case .success(let applied):
            let vector = applied.vector
            scopes[scope]!.local = vector
            scopes[scope]!.received += UInt64(count)
            var ack = Kcsync_V1_Ack()
            ack.scope = scope.name
            ack.batch = batch
            ack.vector = SyncSession.entries(vector)
            ack.refused = applied.refused.prefix(limits.maximumBatchChanges).map(\.proto)
            for refusal in applied.refused { scopes[scope]!.refusedHere[refusal.replica] = Limits.maximumSeq }
            var out = [send { $0.ack = ack }]
            let state = scopes[scope]!
            if state.total > 0 { out.append(.progress(scope, received: min(state.received, state.total), total: state.total)) }
            return out + checkCaughtUp()
        }
    }

    /// A local change committed in `scope`: push it (live).
    public mutating func onLocalChange(_ scope: Scope) -> [Directive] {
        guard phase == .open, scopes[scope] != nil else { return [] }
        scopes[scope]!.exhausted = false
        reportedCaughtUp = false
        if scopes[scope]!.reading {
            scopes[scope]!.dirty = true
            return []
        }
        return pump(scope)
    }

    /// This side could not read its own store (a `.readVectors`, `.readChanges` or
    /// `.readMemberships` failed): the session ends with `INTERNAL`, never with a silent empty
    /// answer that the peer would take for the truth.
    public mutating func onStorageFailure(_ message: String) -> [Directive] {
        guard phase != .closed else { return [] }
        return fail(.internalError, message)
    }

    /// (Server) The peer is no longer admitted (its key was revoked or its school removed):
    /// the session ends at once.
    public mutating func onRevoked(_ reason: String) -> [Directive] {
        guard phase != .closed else { return [] }
        return fail(.unauthorized, reason)
    }

    /// The transport refused a message over ``SessionLimits/maximumFrameBytes`` before it was read whole.
    public mutating func onOversizedFrame() -> [Directive] {
        guard phase != .closed else { return [] }
        return fail(.frameTooLarge, "a frame exceeds the limit of \(limits.maximumFrameBytes) bytes")
    }

    /// The handshake did not finish in time (``SessionLimits/handshakeSeconds``).
    public mutating func onHandshakeTimeout() -> [Directive] {
        guard phase != .closed, phase != .open else { return [] }
        return fail(.protocolViolation, "the handshake did not complete within \(limits.handshakeSeconds) seconds")
    }

    /// A text message arrived: the protocol is binary only.
    public mutating func onTextFrame() -> [Directive] {
        guard phase != .closed else { return [] }
        return fail(.malformedFrame, "text messages are not part of the protocol; send binary Frames")
    }

    /// The shell is closing the connection (shutdown, or the socket dropped).
    public mutating func onClose() -> [Directive] {
        guard phase != .closed else { return [] }
        phase = .closed
        return []
    }

    // MARK: - Handshake

    private mutating func onHello(_ hello: Kcsync_V1_Hello, now: UInt64) -> [Directive] {
        guard case .server = role, phase == .initial else { return violation("unexpected Hello") }
        guard hello.protocolVersion == 1 else {
            return fail(.unsupportedVersion, "protocol version \(hello.protocolVersion) is not supported; this side speaks version 1")
        }
        guard hello.publicKey.count == 32, let replica = ReplicaID(bytes: hello.replica),
              ReplicaKey.replicaID(forPublicKey: hello.publicKey) == replica else {
            return fail(.unauthorized, "the replica id is not the hash of the public key")
        }
        guard hello.nonce.count == 32 else { return fail(.malformedFrame, "the client nonce must be 32 bytes") }
        var requested: [Scope] = []
        for name in hello.scopes {
            guard let scope = try? Scope(parsing: name) else { return fail(.malformedFrame, "'\(name)' is not a scope") }
            requested.append(scope)
        }
        guard hello.memberships.count <= 64 else { return fail(.malformedFrame, "a Hello carries at most 64 membership statements") }
        peer = Peer(replica: replica, publicKey: Array(hello.publicKey), school: hello.school, board: hello.board,
                    requestedScopes: requested, memberships: hello.memberships)
        peerNonce = Array(hello.nonce)
        peerInflates = hello.features.contains(BatchCompression.feature)
        lastRefill = now
        var challenge = Kcsync_V1_Challenge()
        challenge.nonce = Data(nonce)
        challenge.audience = audience
        challenge.serverTime = now
        challenge.serverReplica = Data(key.replicaID.bytes)
        challenge.serverKey = Data(key.publicKey)
        challenge.serverSignature = Data(key.sign(SyncSession.serverProof(audience: audience, clientNonce: peerNonce, client: replica)))
        challenge.memberships = ownMemberships
        phase = .awaitingAuthenticate
        return [send { $0.challenge = challenge }]
    }

    private mutating func onChallenge(_ challenge: Kcsync_V1_Challenge, now: UInt64) -> [Directive] {
        guard case .client(_, let expected, let pinned) = role, phase == .awaitingChallenge else { return violation("unexpected Challenge") }
        guard challenge.nonce.count == 32, challenge.serverKey.count == 32,
              let serverReplica = ReplicaID(bytes: challenge.serverReplica),
              ReplicaKey.replicaID(forPublicKey: challenge.serverKey) == serverReplica else {
            return fail(.unauthorized, "the server's identity is malformed")
        }
        if let expected, challenge.audience != expected {
            return fail(.unauthorized, "reached '\(challenge.audience)', expected '\(expected)'")
        }
        if challenge.audience.hasPrefix("replica/"), challenge.audience != "replica/\(serverReplica.hex)" {
            return fail(.unauthorized, "the server's audience is not bound to its key")
        }
        if let pinned, Array(challenge.serverKey) != pinned {
            return fail(.unauthorized, "the server's key is not the pinned key")
        }
        let proof = SyncSession.serverProof(audience: challenge.audience, clientNonce: nonce, client: key.replicaID)
        guard ReplicaKey.verify(signature: challenge.serverSignature, of: proof, publicKey: challenge.serverKey) else {
            return fail(.unauthorized, "the server's signature does not verify")
        }
        audience = challenge.audience
        guard challenge.memberships.count <= 64 else { return fail(.malformedFrame, "a Challenge carries at most 64 membership statements") }
        peer = Peer(replica: serverReplica, publicKey: Array(challenge.serverKey), school: "", board: board, requestedScopes: [],
                    memberships: challenge.memberships)
        var authenticate = Kcsync_V1_Authenticate()
        authenticate.clientTime = now
        authenticate.signature = Data(key.sign(SyncSession.clientProof(audience: audience, serverNonce: Array(challenge.nonce),
                                                                        time: now, client: key.replicaID)))
        phase = .awaitingWelcome
        return [send { $0.authenticate = authenticate }]
    }

    private mutating func onAuthenticate(_ authenticate: Kcsync_V1_Authenticate, now: UInt64) -> [Directive] {
        guard case .server = role, phase == .awaitingAuthenticate, let peer else { return violation("unexpected Authenticate") }
        let skew = now > authenticate.clientTime ? now - authenticate.clientTime : authenticate.clientTime - now
        guard skew <= limits.maximumClockSkew else {
            return fail(.clockSkew, "the client's clock is \(skew) ms off; at most \(limits.maximumClockSkew) ms is accepted")
        }
        let proof = SyncSession.clientProof(audience: audience, serverNonce: nonce, time: authenticate.clientTime, client: peer.replica)
        guard ReplicaKey.verify(signature: authenticate.signature, of: proof, publicKey: peer.publicKey) else {
            return fail(.unauthorized, "the client's signature does not verify for this session")
        }
        phase = .authorizing
        return [.authorize(peer)]
    }

    private mutating func onWelcome(_ welcome: Kcsync_V1_Welcome) -> [Directive] {
        guard case .client(let wanted, _, _) = role, phase == .awaitingWelcome, let peer else { return violation("unexpected Welcome") }
        var granted: [Scope] = []
        for name in welcome.scopes {
            guard let scope = try? Scope(parsing: name), wanted.contains(scope) else {
                return violation("the server granted '\(name)', which was not asked for")
            }
            granted.append(scope)
        }
        peerInflates = welcome.features.contains(BatchCompression.feature)
        open(granted)
        return [.established(peer, granted), .readMemberships]
    }

    private mutating func open(_ granted: [Scope]) {
        phase = .open
        for scope in granted { scopes[scope] = ScopeState() }
    }

    // MARK: - Sync

    private mutating func onPeerVector(_ message: Kcsync_V1_Vector) -> [Directive] {
        guard phase == .open else { return violation("Vector before the handshake is done") }
        guard let scope = try? Scope(parsing: message.scope), scopes[scope] != nil else {
            return fail(.scopeNotGranted, "'\(message.scope)' was not granted in this session")
        }
        guard let vector = SyncSession.vector(message.entries) else { return fail(.malformedFrame, "a vector entry is malformed") }
        guard scopes[scope]!.peerVector == nil else { return violation("a second Vector for \(scope)") }
        var tip: [Directive] = []
        if message.peerTip.count == 32, vector[key.replicaID] > 0 {
            tip = [.compareOwnTip(scope, seq: vector[key.replicaID], hash: Array(message.peerTip))]
        } else if !message.peerTip.isEmpty {
            return fail(.malformedFrame, "a vector's peer tip is a 32-byte hash")
        }
        scopes[scope]!.peerVector = vector
        scopes[scope]!.initialPeerVector = vector
        scopes[scope]!.sent = vector.merged(with: scopes[scope]!.excluded)
        var out: [Directive] = tip
        if let local = scopes[scope]!.local {
            scopes[scope]!.total = SyncSession.lacking(local, vector)
            out += checkOwnChain(scope)
        }
        return out + pump(scope) + checkCaughtUp()
    }

    private mutating func onPeerChanges(_ message: Kcsync_V1_Changes, now: UInt64) -> [Directive] {
        guard phase == .open else { return violation("Changes before the handshake is done") }
        guard let scope = try? Scope(parsing: message.scope), var state = scopes[scope] else {
            return fail(.scopeNotGranted, "'\(message.scope)' was not granted in this session")
        }
        guard state.local != nil else { return violation("Changes for \(scope) before this side's Vector was sent") }
        guard message.batch == state.nextInbound else {
            return violation("batch \(message.batch) of \(scope) arrived; batch \(state.nextInbound) was next")
        }
        // A compressed batch is judged as the batch it inflates to; it inflates no further
        // than an uncompressed frame could be long.
        let changes: [Data]
        if message.deflated.isEmpty {
            changes = message.changes
        } else {
            guard message.changes.isEmpty else { return violation("a batch carries its changes either deflated or not, not both") }
            guard let inflated = BatchCompression.inflate(message.deflated, limit: limits.maximumFrameBytes) else {
                return fail(.malformedFrame, "a deflated batch of \(scope) does not inflate to a change list of at most \(limits.maximumFrameBytes) bytes")
            }
            changes = inflated
        }
        guard !changes.isEmpty, changes.count <= limits.maximumBatchChanges else {
            return violation("a batch holds 1 to \(limits.maximumBatchChanges) changes, not \(changes.count)")
        }
        let bytes = changes.reduce(0) { $0 + $1.count }
        if changes.count > 1 && bytes > limits.maximumBatchBytes {
            return violation("a batch of \(bytes) bytes exceeds \(limits.maximumBatchBytes)")
        }
        guard state.applying.count < limits.maximumBatchesInFlight else {
            return violation("more than \(limits.maximumBatchesInFlight) unacknowledged batches of \(scope)")
        }
        // Token bucket: `changesPerSecond` on average, `changesBurst` at most at once.
        let elapsed = Double(now > lastRefill ? now - lastRefill : 0) / 1000
        tokens = min(limits.changesBurst, tokens + elapsed * limits.changesPerSecond)
        lastRefill = now
        guard tokens >= Double(changes.count) else {
            return fail(.rateLimited, "more than \(Int(limits.changesPerSecond)) changes per second")
        }
        tokens -= Double(changes.count)
        // The peer holds what it sends: never send it back (no echo).
        for change in changes {
            guard let (replica, seq, _) = SignedChange.peek(change) else { continue }
            state.sent[replica] = max(state.sent[replica], min(seq, Limits.maximumSeq))
        }
        state.nextInbound += 1
        state.applying[message.batch] = changes.count
        scopes[scope] = state
        reportedCaughtUp = false
        return [.apply(scope, batch: message.batch, changes: changes)]
    }

    private mutating func onAck(_ message: Kcsync_V1_Ack) -> [Directive] {
        guard phase == .open else { return violation("Ack before the handshake is done") }
        guard let scope = try? Scope(parsing: message.scope), scopes[scope] != nil else {
            return fail(.scopeNotGranted, "'\(message.scope)' was not granted in this session")
        }
        guard scopes[scope]!.inFlight.first == message.batch else {
            return violation("Ack for batch \(message.batch) of \(scope), which is not the oldest unacknowledged one")
        }
        guard let vector = SyncSession.vector(message.vector) else { return fail(.malformedFrame, "a vector entry is malformed") }
        guard message.refused.count <= limits.maximumBatchChanges else { return violation("an Ack refuses more changes than a batch holds") }
        var refusals: [ChangeRefusal] = []
        for entry in message.refused {
            guard let refusal = ChangeRefusal(proto: entry) else { return fail(.malformedFrame, "a refusal in an Ack is malformed") }
            refusals.append(refusal)
        }
        scopes[scope]!.inFlight.removeFirst()
        if scopes[scope]!.peerVector == nil { scopes[scope]!.peerVector = vector } else { scopes[scope]!.peerVector!.merge(vector) }
        // What the peer got meanwhile from elsewhere need not be sent either.
        scopes[scope]!.sent.merge(vector)
        var out: [Directive] = refusals.isEmpty ? [] : [.refused(scope, refusals)]
        out.append(.peerHolds(scope, vector))
        return out + pump(scope) + checkCaughtUp()
    }

    /// Sends the changes of `replica` in `scope` from `seq` on again (a refusal that may pass
    /// later, such as a clock ahead or a membership not yet known, after the shell waited).
    public mutating func onRetry(_ scope: Scope, replica: ReplicaID, from seq: UInt64) -> [Directive] {
        guard phase == .open, let state = scopes[scope], seq >= 1 else { return [] }
        let back = min(state.sent[replica], seq - 1)
        guard back < state.sent[replica] else { return [] }
        scopes[scope]!.sent[replica] = back
        scopes[scope]!.exhausted = false
        reportedCaughtUp = false
        return pump(scope)
    }

    private mutating func onPeerMembers(_ message: Kcsync_V1_Members, now: UInt64) -> [Directive] {
        guard phase == .open else { return violation("Members before the handshake is done") }
        // The first after Welcome, then what a side learns while the session runs: one a
        // second on average, ten at once at most.
        if membersRefill > 0 { membersTokens = min(10, membersTokens + Double(now > membersRefill ? now - membersRefill : 0) / 1000) }
        membersRefill = max(now, 1)
        guard membersTokens >= 1 else { return violation("more than one Members frame a second") }
        membersTokens -= 1
        guard message.memberships.count <= Limits.maximumMemberships else {
            return violation("more than \(Limits.maximumMemberships) membership statements")
        }
        return [.storeMemberships(message.memberships)]
    }

    /// Membership statements this side learnt while the session runs (a laptop admitted, a
    /// key revoked): sent on at once, so the peer can judge the changes they vouch for.
    public mutating func onNewMemberships(_ memberships: [Data]) -> [Directive] {
        guard phase == .open, !memberships.isEmpty else { return [] }
        var members = Kcsync_V1_Members()
        members.memberships = Array(memberships.prefix(Limits.maximumMemberships))
        return [send { $0.members = members }]
    }

    /// Once both vectors of `scope` are known: does the peer hold more of this replica's chain?
    private mutating func checkOwnChain(_ scope: Scope) -> [Directive] {
        guard let state = scopes[scope], !state.checkedOwnChain, let local = state.local, let peer = state.peerVector else { return [] }
        scopes[scope]!.checkedOwnChain = true
        let me = key.replicaID
        guard peer[me] > local[me] else { return [] }
        return [.ownChainAhead(scope, peerHolds: peer[me], local: local[me])]
    }

    /// Asks for the next batch of `scope` when the window has room, nothing is being read and
    /// the last read did not find everything sent already.
    private mutating func pump(_ scope: Scope) -> [Directive] {
        guard phase == .open, let state = scopes[scope], state.peerVector != nil, state.local != nil,
              !state.reading, !state.exhausted, state.inFlight.count < limits.maximumBatchesInFlight else { return [] }
        scopes[scope]!.reading = true
        scopes[scope]!.dirty = false
        return [.readChanges(scope, missingFrom: state.sent, limit: limits.maximumBatchChanges)]
    }

    private mutating func checkCaughtUp() -> [Directive] {
        guard phase == .open, !reportedCaughtUp, !scopes.isEmpty else { return [] }
        for state in scopes.values {
            guard let local = state.local, state.peerVector != nil, state.exhausted, !state.reading,
                  state.inFlight.isEmpty, state.applying.isEmpty,
                  local.merged(with: state.refusedHere).dominates(state.initialPeerVector) else { return [] }
        }
        reportedCaughtUp = true
        return [.caughtUp]
    }

    // MARK: - Helpers

    private func send(_ fill: (inout Kcsync_V1_Frame) -> Void) -> Directive {
        var frame = Kcsync_V1_Frame()
        fill(&frame)
        return .send(try! frame.serializedBytes())
    }

    private mutating func fail(_ code: SessionError.Code, _ message: String) -> [Directive] {
        let error = SessionError(code, message)
        var frame = Kcsync_V1_ErrorFrame()
        frame.code = error.proto
        frame.message = message
        let out = [send { $0.error = frame }, .close(error)]
        phase = .closed
        return out
    }

    private mutating func violation(_ message: String) -> [Directive] {
        fail(.protocolViolation, message)
    }

    static func entries(_ vector: VersionVector) -> [Kcsync_V1_VectorEntry] {
        vector.entries.sorted { $0.key < $1.key }.map { replica, seq in
            var entry = Kcsync_V1_VectorEntry()
            entry.replica = Data(replica.bytes)
            entry.seq = seq
            return entry
        }
    }

    /// A vector from the wire, or nil when it is out of spec: more than
    /// ``Limits/maximumVectorEntries`` entries, a replica twice, a malformed id, or a seq
    /// outside 1 ... ``Limits/maximumSeq``. Remote numbers are checked here, before any
    /// arithmetic is done on them.
    static func vector(_ entries: [Kcsync_V1_VectorEntry]) -> VersionVector? {
        guard entries.count <= Limits.maximumVectorEntries else { return nil }
        // One hash per entry: room made first, a repeated replica found by the insert itself.
        var held = [ReplicaID: UInt64](minimumCapacity: entries.count)
        for entry in entries {
            guard let replica = ReplicaID(bytes: entry.replica), entry.seq >= 1, entry.seq <= Limits.maximumSeq,
                  held.updateValue(entry.seq, forKey: replica) == nil else { return nil }
        }
        return VersionVector(held)
    }

    /// How many changes `local` lacks of those in `peer` (saturating: a count, never a trap).
    static func lacking(_ local: VersionVector, _ peer: VersionVector) -> UInt64 {
        var total: UInt64 = 0
        for (replica, seq) in peer.entries where seq > local[replica] {
            let (sum, overflow) = total.addingReportingOverflow(seq - local[replica])
            total = overflow ? .max : sum
        }
        return total
    }

    /// What the server signs: the client's nonce, bound to the audience and the client.
    static func serverProof(audience: String, clientNonce: [UInt8], client: ReplicaID) -> Data {
        Data("kcsync-auth-v1 server\n\(audience)\n\(Hex.encode(clientNonce))\n\(client.hex)".utf8)
    }

    /// What the client signs: the server's nonce, bound to the audience, the time and the client.
    static func clientProof(audience: String, serverNonce: [UInt8], time: UInt64, client: ReplicaID) -> Data {
        Data("kcsync-auth-v1 client\n\(audience)\n\(Hex.encode(serverNonce))\n\(time)\n\(client.hex)".utf8)
    }
}
