import Foundation
import SwiftProtobuf
import SyncCore
@testable import SyncProtocol
import SyncTestKit
import Testing

/// Compressed batches (SPEC.md section 3): a large batch travels deflated to a side that said
/// it reads them, and arrives as exactly the changes that were sent; a small one, or one to a
/// side that did not say so, travels as it is; and a deflated frame that inflates past the
/// frame limit, or to something that is no change list, ends the session without being
/// inflated further.
@Suite struct BatchCompressionTests {
    static let board = try! Scope.board("41234")
    static let now: UInt64 = 1_767_225_600_000

    /// A client and a server session driven to `open` against each other in memory, the
    /// client asking for the board scope. `clientReadsDeflate` false: the client's Hello names
    /// no features (an older replica).
    struct Pair {
        var client: SyncSession
        var server: SyncSession
        /// The frames each side sent after the handshake.
        var toServer: [Data] = []
        var toClient: [Data] = []
        /// What each side was told to apply.
        var appliedByServer: [[Data]] = []
        var closedServer: SessionError??

        init(clientReadsDeflate: Bool = true) {
            let clientKey = ReplicaKey(), serverKey = ReplicaKey()
            client = SyncSession(role: .client(scopes: [BatchCompressionTests.board], audience: "board/41234", pinnedServerKey: nil),
                                 key: clientKey, school: "12AB", board: "41234", nonce: [UInt8](repeating: 3, count: 32))
            server = SyncSession(role: .server(audience: "board/41234"), key: serverKey, school: "", board: "41234",
                                 nonce: [UInt8](repeating: 4, count: 32))
            var outbox: [Data] = []
            carry(client: client.start(now: BatchCompressionTests.now), into: &outbox)
            if !clientReadsDeflate { outbox = outbox.map(Pair.withoutFeatures) }
            for _ in 0..<8 where !outbox.isEmpty {
                var answers: [Data] = []
                for frame in outbox { carry(server: server.onFrame(frame, now: BatchCompressionTests.now), into: &answers) }
                outbox = []
                for frame in answers { carry(client: client.onFrame(frame, now: BatchCompressionTests.now), into: &outbox) }
            }
            toServer = []
            toClient = []
        }

        /// A Hello as an older replica sends it: no features.
        static func withoutFeatures(_ bytes: Data) -> Data {
            guard var frame = try? Kcsync_V1_Frame(serializedBytes: bytes), case .hello(var hello)? = frame.kind else { return bytes }
            hello.features = []
            frame.hello = hello
            return try! frame.serializedBytes()
        }

        mutating func carry(client directives: [SyncSession.Directive], into outbox: inout [Data]) {
            var queue = directives[...]
            while let directive = queue.popFirst() {
                switch directive {
                case .send(let bytes): outbox.append(bytes)
                case .readMemberships: queue += client.onMemberships([])
                case .readVectors(let scopes): queue += client.onVectors(Dictionary(uniqueKeysWithValues: scopes.map { ($0, VersionVector()) }))
                default: break
                }
            }
        }

        mutating func carry(server directives: [SyncSession.Directive], into outbox: inout [Data]) {
            var queue = directives[...]
            while let directive = queue.popFirst() {
                switch directive {
                case .send(let bytes): outbox.append(bytes)
                case .authorize: queue += server.onAuthorized([BatchCompressionTests.board])
                case .readMemberships: queue += server.onMemberships([])
                case .readVectors(let scopes): queue += server.onVectors(Dictionary(uniqueKeysWithValues: scopes.map { ($0, VersionVector()) }))
                case .readChanges(let scope, _, _): queue += server.onChanges(scope, [])
                case .apply(let scope, let batch, let changes):
                    appliedByServer.append(changes)
                    queue += server.onApplied(scope, batch: batch, result: .success(AppliedBatch(vector: VersionVector(), refused: [])))
                case .close(let error): closedServer = .some(error)
                default: break
                }
            }
        }

        /// The client sends `changes` as its next batch; the server takes the frame.
        mutating func clientSends(_ changes: [Data]) -> Kcsync_V1_Changes? {
            var frames: [Data] = []
            carry(client: client.onChanges(BatchCompressionTests.board, changes), into: &frames)
            guard let frame = frames.first, case .changes(let message)? = try? Kcsync_V1_Frame(serializedBytes: frame).kind else { return nil }
            var answers: [Data] = []
            carry(server: server.onFrame(frame, now: BatchCompressionTests.now), into: &answers)
            return message
        }

        /// The server takes a hand-made frame.
        mutating func serverTakes(_ frame: Data) {
            var answers: [Data] = []
            carry(server: server.onFrame(frame, now: BatchCompressionTests.now), into: &answers)
        }
    }

    /// Notes as a school writes them: the same fields and phrases, each change signed.
    static func notes(_ count: Int) -> [Data] {
        var chain = ChainForger(key: ReplicaKey(), scope: board)
        return (0..<count).map { i in
            chain.next([ChainForger.assign(EntityID(high: 1, low: UInt64(i + 1)), type: "advice", [
                "title": .text("Advies rekenen groep \(i % 8 + 1)"),
                "body": .text("De scholen zien bij rekenen een daling in groep \(i % 8 + 1). Advies: verlengde instructie en evaluatie (\(i))."),
            ])]).serialized()
        }
    }

    @Test func aLargeBatchTravelsDeflatedAndArrivesAsItWasSent() throws {
        var pair = Pair()
        #expect(pair.server.isOpen && pair.client.isOpen)
        let changes = BatchCompressionTests.notes(400)
        let raw = changes.reduce(0) { $0 + $1.count }
        #expect(raw >= SessionLimits.standard.deflateFromBytes)
        let sent = pair.clientSends(changes)
        let message = try #require(sent)
        #expect(message.changes.isEmpty)
        #expect(!message.deflated.isEmpty)
        #expect(message.deflated.count * 2 < raw, "\(message.deflated.count) deflated bytes for \(raw)")
        #expect(pair.appliedByServer == [changes])
        #expect(pair.closedServer == nil)
    }

    @Test func aSmallBatchOrAnOlderPeerGetsTheChangesAsTheyAre() throws {
        var pair = Pair()
        // A live change, or a short catch-up of 20 changes, goes as it is.
        for count in [1, 20] {
            let few = BatchCompressionTests.notes(count)
            let sentSmall = pair.clientSends(few)
            let small = try #require(sentSmall)
            #expect(small.deflated.isEmpty && small.changes == few)
        }
        // A client whose Hello names no features: the server never deflates what it sends it.
        var older = Pair(clientReadsDeflate: false)
        #expect(older.server.isOpen)
        var frames: [Data] = []
        older.carry(server: older.server.onChanges(BatchCompressionTests.board, BatchCompressionTests.notes(400)), into: &frames)
        let sentFrames = frames.compactMap { bytes -> Kcsync_V1_Changes? in
            if case .changes(let message)? = try? Kcsync_V1_Frame(serializedBytes: bytes).kind { message } else { nil }
        }
        let sent = try #require(sentFrames.first)
        #expect(sent.deflated.isEmpty && sent.changes.count == 400)
    }

    static func deflatedFrame(_ deflated: Data, plain: [Data] = []) -> Data {
        var message = Kcsync_V1_Changes()
        message.scope = board.name
        message.batch = 1
        message.changes = plain
        message.deflated = deflated
        var frame = Kcsync_V1_Frame()
        frame.changes = message
        return try! frame.serializedBytes()
    }

    @Test func aDeflatedBombEndsTheSessionWithoutInflatingPastTheLimit() throws {
        // One "change" of 9 MiB of zeros: about 9 KiB deflated, past the 8 MiB frame limit inflated.
        var list = Kcsync_V1_ChangeList()
        list.changes = [Data(count: 9 * 1024 * 1024)]
        let bomb = try #require(BatchCompression.deflate(bytes: try list.serializedBytes(), level: 9))
        #expect(bomb.count < 64 * 1024)
        #expect(BatchCompression.inflate(bomb, limit: SessionLimits.standard.maximumFrameBytes) == nil)
        var pair = Pair()
        pair.serverTakes(BatchCompressionTests.deflatedFrame(bomb))
        #expect(pair.closedServer??.code == .malformedFrame)
        #expect(pair.appliedByServer.isEmpty)
    }

    @Test(arguments: ["garbage", "not a list", "both"])
    func aDeflatedFrameThatIsNotOneBatchEndsTheSession(kind: String) throws {
        var pair = Pair()
        let frame: Data
        switch kind {
        case "garbage": frame = BatchCompressionTests.deflatedFrame(Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
        case "not a list": frame = BatchCompressionTests.deflatedFrame(try #require(BatchCompression.deflate(bytes: [0xFF, 0xFF, 0xFF, 0xFF])))
        default:
            let changes = BatchCompressionTests.notes(3)
            frame = BatchCompressionTests.deflatedFrame(try #require(BatchCompression.deflate(bytes: Array(changes[0]))), plain: changes)
        }
        pair.serverTakes(frame)
        #expect(pair.closedServer != nil && pair.closedServer! != nil)
        #expect(pair.appliedByServer.isEmpty)
    }
}
