import ArgumentParser
import BoardServer
import Hummingbird
import CoreMetrics
import Foundation
import KCModel
import KCReplica
import Logging
import SchoolDaemon
import SyncCore
import SyncNet
import SyncProtocol
import SyncStore
import SyncTestKit
import Synchronization

// W3 (steady state) and W6 (propagation under load): the sync protocol's figures.

extension Bench {
    // MARK: - W3

    /// A replica holding `history` changes (one note each, 1,000 to a transaction) and a second
    /// replica, with its own key, holding the same log: a copy of the first's file (`VACUUM
    /// INTO`) given a new identity, as a restored backup would be.
    static func agreeingPair(history: Int, in dir: URL, name: String) throws -> (ReplicaStore, ReplicaStore, logBytes: Int) {
        let scope = try Scope.school("12AB")
        let path = dir.appendingPathComponent("\(name)-a.db").path
        let a = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try a.addScope(scope)
        let rows = Bench.rows(min(history, 1_000), seed: 9)
        var written = 0
        while written < history {
            let n = min(1_000, history - written)
            try a.transaction { tx throws(SyncError) in
                for i in 0..<n {
                    try tx.change(in: scope) { b throws(SyncError) in
                        let id = b.newEntity(type: "note")
                        try b.assign(.text(rows[(written + i) % rows.count].title), to: "title", of: id, type: "note")
                    }
                }
            }
            written += n
        }
        let copy = dir.appendingPathComponent("\(name)-b.db").path
        try a.vacuum(into: copy)
        try ReplicaStore.replaceIdentity(atPath: copy, with: ReplicaKey())
        let b = try ReplicaStore.open(path: copy, schemas: SampleSchemas.all)
        let logBytes = try a.changes(in: scope, missingFrom: VersionVector(), limit: 1_000).reduce(0) { $0 + $1.count } * history / min(history, 1_000)
        return (a, b, logBytes)
    }

    /// One session between two replicas that agree but for one new change at `a`, run by the
    /// production session runner over an in-memory transport: its round trips after the
    /// handshake and the bytes both sides send until both agree.
    static func steadyState(_ a: ReplicaStore, _ b: ReplicaStore) async throws -> (roundTrips: Int, bytes: Int) {
        let scope = try Scope.school("12AB")
        try a.write(in: scope) { b throws(SyncError) in
            let id = b.newEntity(type: "note")
            try b.assign(.text("Eén nieuwe notitie"), to: "title", of: id, type: "note")
        }
        let client = try SessionEndpoint(store: a, role: .client(scopes: [scope], audience: nil, pinnedServerKey: nil),
                                         school: "12AB", board: "41234", now: { SessionRunner.now() })
        let server = try SessionEndpoint(store: b, role: .server(audience: "replica/\(b.replicaID.hex)"), school: "12AB", board: "41234",
                                         now: { SessionRunner.now() }, authorize: { _ in [scope] })
        let outcome = await SessionLink.run(client, server)
        guard client.caughtUp, server.caughtUp, client.error == nil,
              try a.versionVector(scope) == b.versionVector(scope) else { throw ValidationError("the steady-state session did not catch up") }
        // The handshake (Hello → Challenge, Authenticate → Welcome) is two round trips.
        return (outcome.roundTrips - 2, client.bytesSent + server.bytesSent)
    }

    func w3() async throws -> [String: Double] {
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (smallA, smallB, _) = try Bench.agreeingPair(history: 1_000, in: dir, name: "small")
        let small = try await Bench.steadyState(smallA, smallB)
        var built = 0.0
        var pair: (ReplicaStore, ReplicaStore, logBytes: Int)!
        built = try Bench.time { pair = try Bench.agreeingPair(history: history, in: dir, name: "large") }
        let large = try await Bench.steadyState(pair.0, pair.1)
        line(String(format: "W3 steady state, %d changes in common and one new: %d round trip(s) after the handshake, %d bytes in all (with 1,000 in common: %d, %d bytes; growth %.3f×); the log is %.0f MB (built in %.0f s)",
                    history, large.roundTrips, large.bytes, small.roundTrips, small.bytes, Double(large.bytes) / Double(small.bytes),
                    Double(pair.logBytes) / 1e6, built))
        return [
            "changesInCommon": Double(history), "roundTrips": Double(large.roundTrips), "bytes": Double(large.bytes),
            "bytesWith1000": Double(small.bytes), "roundTripsWith1000": Double(small.roundTrips),
            "bytesGrowth": Double(large.bytes) / Double(small.bytes), "logBytes": Double(pair.logBytes),
        ]
    }

    // MARK: - W6

    /// A real board server for `board` on a free loopback port: its `ws://` address, and the
    /// task that runs it (cancel it to stop the server).
    /// The board's server on loopback for `schools` schools. They all connect from 127.0.0.1,
    /// so the per-address limit is raised to fit them, as `kcsync board serve
    /// --connections-per-address` would be for schools behind one address: with the default
    /// 32, the rest were shed and reconnected over and over while the workload ran.
    static func startBoard(_ board: BoardReplica, schools: Int, logger: Logger) async throws -> (url: String, server: Task<Void, any Error>) {
        let port = Mutex<Int?>(nil)
        let guardian = ConnectionGuard(maximumPerAddress: max(32, schools + 8), logger: logger)
        let app = try buildBoardApplication(board: board, host: "127.0.0.1", port: 0, logger: logger, guardian: guardian,
                                            onServerRunning: { p in port.withLock { $0 = p } })
        let server = Task { try await app.runService() }
        while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        return ("ws://127.0.0.1:\(port.withLock { $0 }!)", server)
    }

    /// Propagation school → board → school: `schools` schools connected to a real board server on
    /// loopback, each sharing one note a second, for `seconds` after `warmup`. The lag of a
    /// change is from its commit (its clock reading) to its durable apply at each other school.
    static func propagation(schools count: Int, seconds: Double, warmup: Double) async throws -> (p50: Double, p99: Double, samples: Int) {
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let logger = Bench.quietLogger("kcsync.bench")
        let board = try BoardReplica.create(in: dir.appendingPathComponent("board"), board: "41234")
        var schools: [KCReplica] = []
        for i in 0..<count {
            let brin = String(format: "%02d", i % 100) + "A" + String(UnicodeScalar(UInt8(65 + i / 100)))
            let school = try KCReplica.create(in: dir.appendingPathComponent(brin), school: brin, board: "41234")
            try board.register(school: brin, key: school.publicKeyHex)
            schools.append(school)
        }
        let (url, server) = try await Bench.startBoard(board, schools: count, logger: logger)
        defer { server.cancel() }

        let notifiers = schools.map { _ in ChangeNotifier() }
        let status = StatusFile(directory: dir)
        var links: [Task<Void, Never>] = []
        for (school, notifier) in zip(schools, notifiers) {
            let link = LinkService(replica: school, target: .board(url: url), notifier: notifier, status: status, logger: logger)
            links.append(Task { try? await link.run() })
        }
        defer { for link in links { link.cancel() } }
        try await Task.sleep(for: .seconds(2))

        // Each school writes once a second, spread over the second.
        let start = Date()
        let writers = Task {
            var tick = 0
            while Date().timeIntervalSince(start) < warmup + seconds, !Task.isCancelled {
                for (i, school) in schools.enumerated() {
                    let due = Double(tick) + Double(i) / Double(count)
                    let wait = due - Date().timeIntervalSince(start)
                    if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                    var draft = NoteDraft(author: "bench", role: .trendAnalyst, category: .trendAnalysis, title: "Trend \(i) \(tick)")
                    draft.subject = .school
                    draft.subjectArea = .arithmetic
                    if let note = try? school.addNote(draft) { _ = try? school.shareNote(note.id) }
                    notifiers[i].notify(school.boardScope)
                }
                tick += 1
            }
        }
        try await Task.sleep(for: .milliseconds(Int(warmup * 1000)))
        LagCollector.shared.reset()
        await writers.value
        try await Task.sleep(for: .seconds(3))   // let the last second's changes arrive
        var lags = LagCollector.shared.take().sorted()
        guard !lags.isEmpty else { throw ValidationError("no change propagated") }
        func percentile(_ p: Double) -> Double { lags[min(lags.count - 1, Int(Double(lags.count) * p))] }
        defer { lags.removeAll() }
        return (percentile(0.50), percentile(0.99), lags.count)
    }

    /// W6b: full school replicas with their daemons' links on this machine.
    func w6b() async throws -> [String: Double] {
        LagCollector.bootstrap()
        let baseline = try await Bench.propagation(schools: 2, seconds: min(10, w6Seconds), warmup: 2)
        let loaded = try await Bench.propagation(schools: w6bSchools, seconds: w6Seconds, warmup: 5)
        let expected = Double(w6bSchools) * w6Seconds * Double(w6bSchools - 1)
        line(String(format: "W6b propagation school → board → school, %d full school replicas each writing once a second: p50 %.0f ms, p99 %.0f ms over %d deliveries (%.0f%% of the %.0f due in the window; 2 schools: p50 %.0f ms, p99 %.0f ms; p99 ratio %.1f×) (goal p99 ≤ 100 ms)",
                    w6bSchools, loaded.p50, loaded.p99, loaded.samples, 100 * Double(loaded.samples) / expected, expected, baseline.p50, baseline.p99, loaded.p99 / max(baseline.p99, 1)))
        return [
            "schools": Double(w6bSchools), "p50Millis": loaded.p50, "p99Millis": loaded.p99, "deliveries": Double(loaded.samples),
            "deliveredShare": Double(loaded.samples) / expected,
            "baselineP50Millis": baseline.p50, "baselineP99Millis": baseline.p99, "p99Ratio": loaded.p99 / max(baseline.p99, 1),
        ]
    }
}

/// A metrics backend for the bench: keeps the propagation lags recorded where schools apply
/// what the board pushed (the `client` side), drops everything else.
final class LagCollector: MetricsFactory, TimerHandler, @unchecked Sendable {
    static let shared = LagCollector()
    private let lags = Mutex<[Double]>([])

    static func bootstrap() { MetricsSystem.bootstrap(shared) }

    func reset() { lags.withLock { $0.removeAll() } }
    func take() -> [Double] { lags.withLock { $0 } }

    func recordNanoseconds(_ duration: Int64) { lags.withLock { $0.append(Double(duration) / 1e6) } }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { NOOPMetricsHandler.instance }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { NOOPMetricsHandler.instance }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        label == "kcsync_propagation_lag_seconds" && dimensions.contains { $0 == ("side", "client") } ? self : NOOPMetricsHandler.instance
    }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
