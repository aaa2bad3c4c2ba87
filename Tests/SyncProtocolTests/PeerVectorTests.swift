import Foundation
import SyncCore
@testable import SyncProtocol
import Testing

/// A peer's vector (in its Hello and in every Ack) is checked entry by entry before any
/// arithmetic is done on it: a hostile peer naming a replica twice, a seq of 0 or one past the
/// limit, a replica id of the wrong length, or more entries than the limit gets the frame
/// refused, never a vector.
@Suite struct PeerVectorTests {
    func entry(_ replica: ReplicaID, _ seq: UInt64) -> Kcsync_V1_VectorEntry {
        var entry = Kcsync_V1_VectorEntry()
        entry.replica = Data(replica.bytes)
        entry.seq = seq
        return entry
    }

    let a = ReplicaID(high: 1, low: 2), b = ReplicaID(high: 3, low: 4)

    @Test func anHonestVectorIsTakenAsSent() {
        #expect(SyncSession.vector([entry(a, 5), entry(b, Limits.maximumSeq)]) == VersionVector([a: 5, b: Limits.maximumSeq]))
        #expect(SyncSession.vector([]) == VersionVector())
    }

    @Test func aHostileVectorIsRefused() {
        // The same replica twice, whichever seq comes first.
        #expect(SyncSession.vector([entry(a, 5), entry(b, 1), entry(a, 7)]) == nil)
        #expect(SyncSession.vector([entry(a, 7), entry(a, 5)]) == nil)
        // A seq of 0 (a vector never holds one) or past the limit.
        #expect(SyncSession.vector([entry(a, 0)]) == nil)
        #expect(SyncSession.vector([entry(a, Limits.maximumSeq + 1)]) == nil)
        // A replica id that is not 16 bytes.
        var short = entry(a, 1)
        short.replica = Data(repeating: 1, count: 15)
        #expect(SyncSession.vector([short]) == nil)
        // More entries than any honest vector holds.
        let many = (0...UInt64(Limits.maximumVectorEntries)).map { entry(ReplicaID(high: 9, low: $0), 1) }
        #expect(SyncSession.vector(many) == nil)
    }
}
