import BoardServer
import Foundation
import GRDB
import KCModel
import KCReplica
import SyncCore
import SyncNet
import SyncProtocol
import SyncTestKit
@testable import SyncStore
import Synchronization
import Testing

/// A session that waits for its writer (72 schools' batches queued at the board, or a school
/// storing a long download) still reads: the WebSocket pings and pongs travel between the
/// frames it reads, so a reader held back by its own session would miss them and the server
/// would drop a school that answered every ping. With the writer held for more than three ping
/// periods, the session must not end and every change must arrive.
///
/// The period is four seconds, not one: the whole suite runs in parallel on two cores, and a
/// test that hogs the cooperative pool for a second (CI saw it) would starve the ping answer
/// itself. A session that reads nothing while it waits still misses three periods.
@Suite(.serialized) struct BusyWriterTests {
    typealias Fixture = BoardServerTests.Fixture
    static let pingSeconds: Int64 = 4
    static let heldSeconds = 13.0

    /// `count` shared trend figures at `school`, one change each: more batches than the four a
    /// session keeps in flight.
    static func shareFigures(_ school: KCReplica, _ count: Int) throws {
        let t = KCSchemas.trendAnalysis.name
        try school.store.transaction { tx throws(SyncError) in
            for i in 0..<count {
                try tx.change(in: school.boardScope) { b throws(SyncError) in
                    let id = b.newEntity(type: t)
                    try b.assign(.text(school.configuration.school), to: "school", of: id, type: t)
                    try b.assign(.text("rekenen"), to: "subjectArea", of: id, type: t)
                    let period = Period("\(2000 + i / 160)-\(2001 + i / 160) \(i / 80 % 2 == 0 ? "M" : "E")")!
                    try b.assign(.text(period.description), to: "period", of: id, type: t)
                    try b.assign(.text(String(4 + i % 5)), to: "group", of: id, type: t)
                    try b.assign(.text(TrendMetric.allCases[i % TrendMetric.allCases.count].rawValue), to: "metric", of: id, type: t)
                    try b.assign(.text(PupilsBand.from20.rawValue), to: "pupilsBand", of: id, type: t)
                    try b.assign(.real(Double(40 + i % 50)), to: "value", of: id, type: t)
                    try b.assign(.text("board"), to: "visibility", of: id, type: t)
                }
            }
        }
    }

    /// Holds `store`'s writer for `seconds` on a thread of its own; returns once it holds it.
    static func holdWriter(_ store: ReplicaStore, seconds: Double) async throws -> Task<Void, any Error> {
        final class Flag: Sendable { let value = Atomic<Bool>(false) }
        let holding = Flag()
        let held = Task.detached {
            try await store.writer.write { _ in
                holding.value.store(true, ordering: .relaxed)
                Thread.sleep(forTimeInterval: seconds)
            }
        }
        for _ in 0..<1_000 where !holding.value.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(10)) }
        let taken = holding.value.load(ordering: .relaxed)
        #expect(taken, "the writer was not taken")
        return held
    }

    @Test func aBoardWaitingForItsWriterKeepsTheSchoolsConnection() async throws {
        let f = try Fixture()
        try BusyWriterTests.shareFigures(f.schoolA, 4_500)
        let sent = try f.schoolA.store.changeCount(f.schoolA.boardScope)
        try await f.withServer(guardian: ConnectionGuard(pingSeconds: BusyWriterTests.pingSeconds, logger: f.logger)) { url in
            let held = try await BusyWriterTests.holdWriter(f.board.store, seconds: BusyWriterTests.heldSeconds)
            let error = await f.sync(f.schoolA, url)
            try await held.value
            #expect(error == nil, "the board ended the session while its writer was busy: \(error ?? "")")
            #expect(try f.board.store.versionVector(f.board.scope)[f.schoolA.store.replicaID] == UInt64(sent))
        }
    }

    @Test func aSchoolWaitingForItsWriterKeepsItsConnectionToTheBoard() async throws {
        let f = try Fixture()
        try BusyWriterTests.shareFigures(f.schoolA, 4_500)
        try await f.withServer(guardian: ConnectionGuard(pingSeconds: BusyWriterTests.pingSeconds, logger: f.logger)) { url in
            #expect(await f.sync(f.schoolA, url) == nil)
            let shared = try f.board.store.versionVector(f.board.scope)[f.schoolA.store.replicaID]
            #expect(shared >= 4_500)
            // School B downloads them while its own writer is busy (a kc'er saving, a long import).
            let held = try await BusyWriterTests.holdWriter(f.schoolB.store, seconds: BusyWriterTests.heldSeconds)
            let error = await f.sync(f.schoolB, url)
            try await held.value
            #expect(error == nil, "the board dropped a school that was storing what it sent: \(error ?? "")")
            #expect(try f.schoolB.store.versionVector(f.schoolB.boardScope)[f.schoolA.store.replicaID] == shared)
        }
    }

    /// The other side of reading on: a registered school that does not wait for its acks (a
    /// hand-made client speaking with its real key) sends 200 batches while the board's
    /// writer is busy. The board's session reads no more than its budget (16 frames for the
    /// one scope it granted) and leaves the rest on the wire, where over TCP they fill the
    /// sender's socket and stop it; once the writer is free it handles every one, and the
    /// session is still open.
    @Test func aSchoolThatFloodsIsReadOnlyAsFarAsItsBudget() async throws {
        let f = try Fixture()
        try BusyWriterTests.shareFigures(f.schoolA, 200)
        let own = try f.schoolA.store.versionVector(f.schoolA.boardScope)[f.schoolA.store.replicaID]
        let frames = try f.schoolA.store.changes(in: f.schoolA.boardScope, missingFrom: VersionVector()).enumerated().map { i, bytes in
            FrameForger.changes(scope: f.board.scope, batch: UInt64(i + 1), [try SignedChange(serialized: bytes)])
        }
        #expect(frames.count >= 200)
        let board = try SessionEndpoint(store: f.board.store, role: .server(audience: f.board.scope.name), school: "", board: "41234",
                                        now: { SessionRunner.now() }, authorize: { _ in [f.board.scope] })
        let session = SyncSession(role: .client(scopes: [f.board.scope], audience: f.board.scope.name, pinnedServerKey: nil),
                                  key: f.schoolA.store.key, school: "12AB", board: "41234", nonce: SessionRunner.nonce())
        try await SessionLink.handmade(board, as: session) { client in
            let held = try await BusyWriterTests.holdWriter(f.board.store, seconds: 3)
            let handshake = client.wire.framesRead(by: .server)
            for frame in frames { try client.send(frame) }
            try await Task.sleep(for: .seconds(1.5))
            // The client's own vector may be read after the count above: one frame more.
            let read = client.wire.framesRead(by: .server) - handshake
            #expect(read >= SessionLimits.standard.maximumQueuedFrames, "the session stopped reading before its budget")
            #expect(read <= SessionLimits.standard.maximumQueuedFrames + 1, "the session read \(read) frames while it could handle none")
            try await held.value
            try await SessionLink.until(seconds: 120) { FrameForger.ackCount(in: client.received) >= frames.count || client.hasEnded }
            #expect(!client.hasEnded, "the board ended the session")
            #expect(client.wire.framesRead(by: .server) - handshake >= frames.count)
        }
        #expect(board.error == nil)
        #expect(try f.board.store.versionVector(f.board.scope)[f.schoolA.store.replicaID] == own)
    }
}
