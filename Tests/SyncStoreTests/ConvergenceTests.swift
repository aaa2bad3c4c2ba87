import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// QUALITY.md 1 at the store level: replicas edit at random, and changes travel in random
/// batches, in random order, with duplicates and losses; after a final full exchange every
/// replica holds the same state, the same change set and the same version vectors.
@Suite struct ConvergenceTests {
    static let seeds: [UInt64] = {
        let count = Int(ProcessInfo.processInfo.environment["KCSYNC_SEEDS"] ?? "") ?? 200
        return (0..<UInt64(count)).map { $0 &* 0x9E37_79B9 &+ 17 }
    }()

    @Test(.serialized, arguments: seeds)
    func replicasConvergeWhateverTheDelivery(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let clock = ManualClock()
        let replicas = try (0..<Int.random(in: 2...4, using: &rng)).map { _ in try makeReplica(clock: clock, scopes: [school]) }
        var known = Array(repeating: [EntityID](), count: replicas.count)
        for _ in 0..<12 {
            let r = Int.random(in: 0..<replicas.count, using: &rng)
            clock.advance(by: UInt64.random(in: 0...20, using: &rng))
            try RandomEdits.change(on: replicas[r], scope: school, known: &known[r], using: &rng)
            // A random, lossy, reordered delivery between two replicas.
            let from = Int.random(in: 0..<replicas.count, using: &rng), to = Int.random(in: 0..<replicas.count, using: &rng)
            guard from != to else { continue }
            var batch = try replicas[from].changes(in: school, missingFrom: try replicas[to].versionVector(school))
            batch = Array(batch.prefix(Int.random(in: 0...batch.count, using: &rng)))
            batch += batch.prefix(Int.random(in: 0...2, using: &rng))            // duplicates
            if Bool.random(using: &rng) { batch.reverse() }                     // a reordering breaks the chain: refused whole
            do {
                try replicas[to].apply(batch)
                known[to] = Array(Set(known[to] + known[from]))
            } catch {
                #expect([SyncError.Code.sequenceGap, .unknownReplica].contains(error.code), "seed \(seed): \(error)")
            }
        }
        // Heal: exchange until quiet.
        for _ in 0..<2 {
            for a in replicas { for b in replicas where a !== b { try Exchange.push(from: a, to: b) } }
        }
        let hash = try replicas[0].stateHash()
        let vector = try replicas[0].versionVector(school)
        let log = Set(try replicas[0].changes(in: school, missingFrom: VersionVector()))
        for replica in replicas.dropFirst() {
            #expect(try replica.stateHash() == hash, "seed \(seed)")
            #expect(try replica.versionVector(school) == vector, "seed \(seed)")
            #expect(Set(try replica.changes(in: school, missingFrom: VersionVector())) == log, "seed \(seed)")
        }
    }
}
