import ArgumentParser
import Foundation
import HummingbirdWSClient
import KCReplica
import Logging
import NIOCore
import SyncCore
import SyncNet
import SyncProtocol
import SyncTestKit
import Synchronization

// MARK: - W6a: the board as a hub

extension Bench {
    /// W6a: `w6Schools` schools connected to a board server in a process of its own, each a
    /// light protocol client (the real session state machine, nothing stored) that shares one
    /// note in the board scope a second and acknowledges what it is sent. The lag of a change
    /// is from its clock reading at the writing school to its arrival at each other school:
    /// what the board adds (verify, admit, store, push to every other session), since the
    /// light clients do next to nothing. Against the same with 2 schools.
    func w6a() async throws -> [String: Double] {
        Bench.raiseFileLimit()
        let baseline = try await Bench.hub(schools: 2, seconds: min(10, w6Seconds), warmup: 2)
        let loaded = try await Bench.hub(schools: w6Schools, seconds: w6Seconds, warmup: 5)
        let expected = Double(w6Schools) * w6Seconds * Double(w6Schools - 1)
        line(String(format: "W6a the board as a hub, %d light schools each writing once a second: p50 %.0f ms, p99 %.0f ms over %d deliveries (%.0f%% of the %.0f due in the window; 2 schools: p50 %.0f ms, p99 %.0f ms) (goal p99 ≤ 50 ms)",
                    w6Schools, loaded.p50, loaded.p99, loaded.samples, 100 * Double(loaded.samples) / expected, expected, baseline.p50, baseline.p99))
        return [
            "schools": Double(w6Schools), "p50Millis": loaded.p50, "p99Millis": loaded.p99, "deliveries": Double(loaded.samples),
            "deliveredShare": Double(loaded.samples) / expected, "refused": Double(loaded.refused),
            "baselineP50Millis": baseline.p50, "baselineP99Millis": baseline.p99, "p99Ratio": loaded.p99 / max(baseline.p99, 1),
        ]
    }

    static func hub(schools count: Int, seconds: Double, warmup: Double) async throws -> (p50: Double, p99: Double, samples: Int, refused: Int) {
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let boardDirectory = dir.appendingPathComponent("board")
        let (keys, brins) = try Bench.board(in: boardDirectory, schools: count)
        let (server, port) = try Bench.serve(boardDirectory, connections: count + 64, log: nil)
        defer { server.terminate(); server.waitUntilExit() }
        let url = "ws://127.0.0.1:\(port)/sync"

        let lags = HubLags()
        let logger = Bench.quietLogger("kcsync.bench.w6a")
        let clientLogger = logger
        let start = Date()
        let clients = (0..<count).map { i in
            Task {
                await HubSchool(key: keys[i], school: brins[i], offset: Double(i) / Double(count))
                    .run(url: url, start: start, until: warmup + seconds + 2, lags: lags, logger: clientLogger)
            }
        }
        try await Task.sleep(for: .milliseconds(Int(warmup * 1000)))
        lags.reset()
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        // What was written in the window and arrives within the next 2 s still counts.
        try await Task.sleep(for: .seconds(2))
        var samples = lags.take()
        lags.stopped.store(true, ordering: .relaxed)
        for client in clients { client.cancel() }
        samples.sort()
        guard !samples.isEmpty else { throw ValidationError("no change reached another school through the board") }
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        return (percentile(0.50), percentile(0.99), samples.count, lags.refused.load(ordering: .relaxed))
    }
}

/// The lags W6a's light schools saw.
final class HubLags: Sendable {
    private let lags = Mutex<[Double]>([])
    let refused = Atomic<Int>(0)
    let stopped = Atomic<Bool>(false)
    func reset() { lags.withLock { $0.removeAll() } }
    func take() -> [Double] { lags.withLock { $0 } }
    func record(_ millis: [Double]) { lags.withLock { $0 += millis } }
}

/// A school of W6a: the real session state machine over a WebSocket, its own chain in memory,
/// one shared note a second (at `offset` into each second), and what it is sent only counted.
struct HubSchool {
    let key: ReplicaKey
    let school: String
    let offset: Double
    /// Changes of this school's chain it holds from the start, sent as the board asks for
    /// them (W5's light schools); W6a's start with none.
    var initial: [Data] = []
    /// Whether it writes a note a second (W6a) or only uploads `initial` (W5).
    var writes = true
    /// Its session's limits.
    var limits = SessionLimits.standard

    enum Event {
        case frame(Data)
        case tick
        case closed
        /// Carry out what is pending (the session's start, before anything has arrived).
        case flush
    }

    func run(url: String, start: Date, until: Double, lags: HubLags?, logger: Logger) async {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = SessionLimits.standard.maximumWireFrameBytes
        do { try await connect(url: url, configuration: configuration, start: start, until: until, lags: lags, logger: logger) } catch {
            logger.info("light school connection ended", metadata: ["school": "\(school)", "error": "\(error)"])
        }
    }

    private func connect(url: String, configuration: WebSocketClientConfiguration, start: Date, until: Double, lags: HubLags?, logger: Logger) async throws {
        let scope = try! Scope.board("41234")
        try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            var session = SyncSession(role: .client(scopes: [scope], audience: scope.name, pinnedServerKey: nil),
                                      key: key, school: school, board: "41234", nonce: SessionRunner.nonce(), limits: limits)
            var forger = ChainForger(key: key, scope: scope)
            var own = initial
            var held = VersionVector()
            let (events, feed) = AsyncStream<Event>.makeStream()
            let reader = Task {
                do {
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        if case .binary(let buffer) = message { feed.yield(.frame(Data(buffer.readableBytesView))) }
                    }
                } catch {
                    logger.info("light school read failed", metadata: ["school": "\(school)", "error": "\(error)"])
                }
                feed.yield(.closed)
            }
            let ticker = Task {
                var tick = 0.0
                while writes, !Task.isCancelled {
                    let due = tick + offset
                    let wait = due - Date().timeIntervalSince(start)
                    if due > until { break }
                    if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                    feed.yield(.tick)
                    tick += 1
                }
            }
            defer { reader.cancel(); ticker.cancel() }
            var pending = session.start(now: SessionRunner.now())
            feed.yield(.flush)
            var n = 0
            for await event in events {
                switch event {
                case .frame(let bytes): pending += session.onFrame(bytes, now: SessionRunner.now())
                case .closed: return
                case .flush: break
                case .tick:
                    var rng = SystemRandomNumberGenerator()
                    let note = EntityID(millis: UInt64(Date().timeIntervalSince1970 * 1000), using: &rng)
                    own.append(forger.next([ChainForger.assign(note, type: "note", [
                        "school": .text(school), "title": .text("Trend \(school) \(n)"), "subject": .text("school"),
                    ])]).serialized())
                    n += 1
                    pending += session.onLocalChange(scope)
                }
                var queue = pending[...]
                pending = []
                while let directive = queue.popFirst() {
                    switch directive {
                    case .send(let bytes): try await outbound.writeBinaryMessage(ByteBuffer(bytes: bytes))
                    case .readMemberships: queue += session.onMemberships([])
                    case .readVectors(let scopes):
                        var mine = held
                        mine[key.replicaID] = UInt64(own.count)
                        queue += session.onVectors(Dictionary(uniqueKeysWithValues: scopes.map { ($0, mine) }))
                    case .readChanges(let scope, let missing, let limit):
                        let from = Int(missing[key.replicaID])
                        queue += session.onChanges(scope, Array(own.dropFirst(from).prefix(limit)))
                    case .apply(let scope, let batch, let changes):
                        let now = Double(Date().timeIntervalSince1970 * 1000)
                        var arrived: [Double] = []
                        // Only the header's author, seq and clock: a light client does next
                        // to nothing, so the figure is the board's.
                        for bytes in changes {
                            guard let (replica, seq, timestamp) = SignedChange.peek(bytes) else { continue }
                            if seq == held[replica] + 1 { held[replica] = seq }
                            arrived.append(max(0, now - Double(timestamp.millis)))
                        }
                        if let lags, !lags.stopped.load(ordering: .relaxed) { lags.record(arrived) }
                        var mine = held
                        mine[key.replicaID] = UInt64(own.count)
                        queue += session.onApplied(scope, batch: batch, result: .success(AppliedBatch(vector: mine)))
                    case .refused(_, let refusals):
                        lags?.refused.add(refusals.count, ordering: .relaxed)
                    case .close(let error):
                        if let error { logger.info("light school session closed", metadata: ["school": "\(school)", "error": "\(error)"]) }
                        return
                    default: break
                    }
                }
            }
        }
    }
}
