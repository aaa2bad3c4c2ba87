import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// The membership statements as sessions read them: once per change of the trust state, and
/// after a row only what came after it, so a board with a thousand sessions does not parse (or
/// verify) every statement for every session.
@Suite struct MembershipLogTests {
    static func boardAndSchool() throws -> (board: ReplicaStore, school: ReplicaStore) {
        let board = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        try board.establishIdentity(board: "41234", school: "")
        let school = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        try school.establishIdentity(board: "41234", school: "12AB")
        try school.pinBoardKey(board.key.publicKey, source: "given")
        return (board, school)
    }

    @Test func aSessionReadsOnlyTheStatementsStoredAfterTheLastItSent() throws {
        let (board, _) = try Self.boardAndSchool()
        let keys = (0..<3).map { _ in ReplicaKey() }
        let issued = try keys.map { try board.issueMembership(school: "12AB", memberKey: $0.publicKey).serialized() }

        let all = try board.membershipLog()
        #expect(all.statements == issued)
        #expect(try board.membershipLog(after: all.through).statements.isEmpty)
        #expect(try board.membershipLog(after: all.through).version == all.version)

        let fourth = try board.issueMembership(school: "34CD", memberKey: ReplicaKey().publicKey).serialized()
        let next = try board.membershipLog(after: all.through)
        #expect(next.statements == [fourth], "only the new statement, read past the cached log")
        #expect(next.version > all.version)
        #expect(next.through > all.through)
        #expect(try board.membershipLog().statements == issued + [fourth])
        #expect(try board.memberships().map { $0.serialized() } == issued + [fourth])
    }

    @Test func statementsHeldAlreadyCostNothingAndAForgedOneIsNotStored() throws {
        let (board, school) = try Self.boardAndSchool()
        let member = ReplicaKey()
        let statement = try board.issueMembership(school: "12AB", memberKey: member.publicKey).serialized()
        #expect(try school.storeMemberships([statement]) == 1)
        let version = try school.trustVersion()
        #expect(try school.storeMemberships([statement]) == 0)
        #expect(try school.trustVersion() == version, "nothing new: the trust state does not change")

        // The same statement with one bit of its signature flipped: well formed, not the board's word.
        var forged = try board.issueMembership(school: "12AB", memberKey: ReplicaKey().publicKey).serialized()
        forged[forged.count - 1] ^= 1
        #expect(try school.storeMemberships([forged]) == 0)
        #expect(try school.membershipLog().statements == [statement])
        #expect(try school.trust()?.authority(of: member.replicaID) == .school("12AB"))
    }
}
