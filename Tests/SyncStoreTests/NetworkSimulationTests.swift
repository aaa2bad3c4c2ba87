import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// QUALITY.md 1 with the real session protocol, run by the production `SessionRunner` over an
/// in-memory transport: a board and school replicas of two schools
/// (one with two replicas that also sync as peers) write at random, and sync over links that
/// are cut mid-session, while replicas restart from disk. After healing, every replica entitled
/// to a scope holds the same state and vector for it, the board holds no school scope, and a
/// new session finds nothing to send.
@Suite struct NetworkSimulationTests {
    static let seeds: [UInt64] = {
        let count = Int(ProcessInfo.processInfo.environment["KCSYNC_SEEDS"] ?? "") ?? 200
        return (0..<UInt64(count)).map { $0 &* 0x2545_F491_4F6C_DD1D &+ 3 }
    }()

    final class Node {
        let path: String
        let scopes: [Scope]
        let school: String
        var store: ReplicaStore
        var known: [EntityID] = []
        let clock: ManualClock

        init(path: String, scopes: [Scope], school: String, clock: ManualClock) throws {
            self.path = path
            self.scopes = scopes
            self.school = school
            self.clock = clock
            store = try ReplicaStore.open(path: path, schemas: SampleSchemas.all, wallClock: clock.closure)
            for scope in scopes { try store.addScope(scope) }
        }

        func restart() throws {
            store = try ReplicaStore.open(path: path, schemas: SampleSchemas.all, wallClock: clock.closure)
        }
    }

    @Test(.serialized, arguments: seeds)
    func everyEntitledReplicaConverges(seed: UInt64) async throws {
        var rng = SeededGenerator(seed: seed)
        let dir = try TemporaryDirectory()
        let clock = ManualClock()
        let board = try Scope.board("41234")
        let schoolA = try Scope.school("12AB"), schoolB = try Scope.school("34CD")
        let boardNode = try Node(path: dir.path("board.db"), scopes: [board], school: "", clock: clock)
        let schools = [
            try Node(path: dir.path("a1.db"), scopes: [schoolA, board], school: "12AB", clock: clock),
            try Node(path: dir.path("a2.db"), scopes: [schoolA, board], school: "12AB", clock: clock),
            try Node(path: dir.path("b1.db"), scopes: [schoolB, board], school: "34CD", clock: clock),
        ]
        let all = [boardNode] + schools

        func link(_ client: Node, _ server: Node) throws -> (SessionEndpoint, SessionEndpoint) {
            let toBoard = server === boardNode
            let c = try SessionEndpoint(store: client.store, role: .client(scopes: client.scopes, audience: toBoard ? "board/41234" : nil,
                                                                              pinnedServerKey: nil),
                                        school: client.school, board: "41234", now: clock.closure)
            let serverScopes = server.scopes
            let serverSchool = server.school
            let s = try SessionEndpoint(store: server.store,
                                        role: .server(audience: toBoard ? "board/41234" : "replica/\(server.store.replicaID.hex)"),
                                        school: server.school, board: "41234", now: clock.closure,
                                        authorize: { peer in
                                            guard peer.board == "41234" else { return nil }
                                            if toBoard { return [board] }
                                            return peer.school == serverSchool ? serverScopes : nil
                                        })
            return (c, s)
        }
        func pairs() -> [(Node, Node)] {
            var out: [(Node, Node)] = schools.map { ($0, boardNode) }
            out.append((schools[0], schools[1]))
            return out
        }

        for _ in 0..<25 {
            clock.advance(by: UInt64.random(in: 1...50, using: &rng))
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let node = all.randomElement(using: &rng)!
                let scope = node.scopes.randomElement(using: &rng)!
                try RandomEdits.change(on: node.store, scope: scope, known: &node.known, using: &rng)
            case 5..<9:
                let (clientNode, serverNode) = pairs().randomElement(using: &rng)!
                let flip = serverNode !== boardNode && Bool.random(using: &rng)
                let (c, s) = try flip ? link(serverNode, clientNode) : link(clientNode, serverNode)
                let cut = Bool.random(using: &rng) ? Int.random(in: 1...12, using: &rng) : nil
                let outcome = await SessionLink.run(c, s, cutAfter: cut)
                #expect(!outcome.timedOut, "seed \(seed)")
                #expect(c.error == nil || outcome.cut, "seed \(seed): \(String(describing: c.error))")
                // A sync cut before it caught up says so; it never reports success.
                if outcome.cut && !c.caughtUp { #expect(c.error?.code == .connectionLost, "seed \(seed)") }
            default:
                try all.randomElement(using: &rng)!.restart()
            }
        }
        // Heal.
        for _ in 0..<2 {
            for (a, b) in pairs() {
                let (c, s) = try link(a, b)
                await SessionLink.run(c, s)
                #expect(c.caughtUp && s.caughtUp, "seed \(seed)")
            }
        }
        #expect(try boardNode.store.scopes() == [board], "seed \(seed)")
        let boardHash = try boardNode.store.stateHash(of: [board])
        let boardVector = try boardNode.store.versionVector(board)
        for node in schools {
            #expect(try node.store.stateHash(of: [board]) == boardHash, "seed \(seed)")
            #expect(try node.store.versionVector(board) == boardVector, "seed \(seed)")
            #expect(try node.store.integrityCheck() == "ok")
        }
        #expect(try schools[0].store.stateHash(of: [schoolA]) == schools[1].store.stateHash(of: [schoolA]), "seed \(seed)")
        // Nothing pending: a new session sends vectors and no changes.
        let (c, s) = try link(schools[2], boardNode)
        await SessionLink.run(c, s)
        #expect(c.caughtUp, "seed \(seed)")
        #expect(c.changesSent == 0 && s.changesSent == 0, "seed \(seed)")
        #expect(try boardNode.store.versionVector(board) == boardVector)
    }
}
