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

// MARK: - W7: load on one board

extension Bench {
    /// W7 (QUALITY.md): `w7Sessions` school sessions (registered keys, live push) and
    /// `w7HalfOpen` half-open connections against one board server in a process of its own, for
    /// `w7Seconds`. Every school is a light protocol client (the real session state machine
    /// with its storage in memory) that stays connected; the board writes one advice every five
    /// seconds, which each session must receive. The half-open connections send half a request
    /// head and are opened again when the board closes them.
    func w7() async throws -> [String: Double] {
        Bench.raiseFileLimit()
        let dir = try Bench.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let boardDirectory = dir.appendingPathComponent("board")
        let (keys, brins) = try Bench.board(in: boardDirectory, schools: w7Sessions)
        // The board's log, read back below when sessions failed.
        let logURL = dir.appendingPathComponent("board.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let (server, port) = try Bench.serve(boardDirectory, connections: w7Sessions + w7HalfOpen + 64, log: try FileHandle(forWritingTo: logURL))
        defer { server.terminate(); server.waitUntilExit() }
        let url = "ws://127.0.0.1:\(port)/sync"

        let counts = LoadCounts()
        let logger = Bench.quietLogger("kcsync.bench.w7")
        let clientLogger = logger
        let sessions = (0..<w7Sessions).map { i in
            Task { await LightSchool(key: keys[i], school: brins[i]).run(url: url, counts: counts, logger: clientLogger) }
        }
        // Half-open connections, kept at their number.
        let halfOpen = Task.detached { [w7HalfOpen] in await Bench.halfOpen(w7HalfOpen, port: port, counts: counts) }

        // Sessions connect, then the board writes an advice every five seconds.
        let start = Date()
        var peak = 0.0
        var advice = 0
        while Date().timeIntervalSince(start) < w7Seconds {
            try await Task.sleep(for: .seconds(1))
            peak = max(peak, Bench.peakRSS(of: server.processIdentifier))
            let elapsed = Date().timeIntervalSince(start)
            if elapsed >= 10, Int(elapsed) % 5 == 0, elapsed < w7Seconds - 5 {
                let result = Process()
                result.executableURL = Bench.sibling("kcsync")
                result.arguments = ["advice", "add", "--data", boardDirectory.path, "--period", "2025-2026 M", "--subject-area", "rekenen",
                                    "--signal", "belasting \(advice)", "--advice", "W7", "--author", "bench"]
                result.standardOutput = FileHandle.nullDevice
                result.standardError = FileHandle.nullDevice
                try result.run()
                result.waitUntilExit()
                if result.terminationStatus == 0 { advice += 1 }
            }
        }
        // Let the last advice arrive, then count.
        try await Task.sleep(for: .seconds(3))
        peak = max(peak, Bench.peakRSS(of: server.processIdentifier))
        let held = counts.open.load(ordering: .relaxed)
        let missed = counts.missed(expecting: advice, of: brins)
        counts.stopped.store(true, ordering: .relaxed)
        for session in sessions { session.cancel() }
        await halfOpen.value
        let failures = counts.failures.load(ordering: .relaxed) + (w7Sessions - held) + missed
        line(String(format: "W7 load, %d school sessions and %d half-open connections on one board for %.0f s: %d sessions held, %d honest failures (%d missed one of %d advice), %d half-open connections shed, board peak RSS %.0f MB",
                    w7Sessions, w7HalfOpen, w7Seconds, held, failures, missed, advice, counts.shed.load(ordering: .relaxed), peak)
             + (counts.firstFailure.withLock { $0 }.map { "; first failure: \($0)" } ?? ""))
        if failures > 0 { Bench.summarizeBoardLog(logURL, into: line) }
        return [
            "sessions": Double(w7Sessions), "halfOpen": Double(w7HalfOpen), "seconds": w7Seconds,
            "sessionsHeld": Double(held), "honestFailures": Double(failures), "adviceWritten": Double(advice),
            "missedDeliveries": Double(missed), "shed": Double(counts.shed.load(ordering: .relaxed)), "peakRSSMegabytes": peak,
        ]
    }

    /// What the board logged, counted by message and reason, so a
    /// failed W7 run says what the board did.
    static func summarizeBoardLog(_ url: URL, into line: (String) -> Void) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return }
        var counts: [String: Int] = [:]
        for entry in text.split(separator: "\n") {
            // "… notice kcsync.board : address=… reason=too_many_connections [kcsync] connection shed"
            let words = entry.split(separator: " ")
            let reason = words.first { $0.hasPrefix("reason=") || $0.hasPrefix("error=") }.map { " " + $0 } ?? ""
            let message = entry.range(of: "] ").map { String(entry[$0.upperBound...]) } ?? String(entry.suffix(80))
            counts[message + reason, default: 0] += 1
        }
        for (what, count) in counts.sorted(by: { $0.value > $1.value }).prefix(8) { line("  board log: \(count) × \(what)") }
    }

    /// An executable built beside this one (`kcsync`).
    static func sibling(_ name: String) -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name)
    }

    /// A board replica in `directory` with `count` schools registered, each with a new key.
    static func board(in directory: URL, schools count: Int) throws -> (keys: [ReplicaKey], brins: [String]) {
        let keys = (0..<count).map { _ in ReplicaKey() }
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        let brins: [String] = (0..<count).map { (i: Int) -> String in
            String(format: "%02d", i % 100) + String(letters[(i / 100) % 26]) + String(letters[(i / 2600) % 26])
        }
        let board = try BoardReplica.create(in: directory, board: "41234")
        for (brin, key) in zip(brins, keys) { try board.register(school: brin, key: Hex.encode(key.publicKey)) }
        return (keys, brins)
    }

    /// `kcsync board serve` on the board in `directory`, in a process of its own so its memory
    /// and its CPU are its own, and the port it listens on. Behind one address (all of
    /// loopback here, a reverse proxy in a real setup) the per-address cap must cover every
    /// school.
    static func serve(_ directory: URL, connections: Int, log: FileHandle?) throws -> (Process, Int) {
        let server = Process()
        server.executableURL = Bench.sibling("kcsync")
        server.arguments = ["board", "serve", "--data", directory.path, "--port", "0", "--connections-per-address", "\(connections)"]
        let output = Pipe()
        server.standardOutput = output
        server.standardError = log ?? FileHandle.nullDevice
        try server.run()
        do {
            return (server, try Bench.port(from: output))
        } catch {
            server.terminate()
            throw error
        }
    }

    /// The port `board serve` says it listens on.
    static func port(from pipe: Pipe) throws -> Int {
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: #"ws://127\.0\.0\.1:\d+"#, options: .regularExpression), let port = Int(text[range].split(separator: ":").last!) {
                return port
            }
        }
        throw ValidationError("the board server did not start: \(text)")
    }

    /// The peak resident memory of a process (VmHWM), in MB.
    static func peakRSS(of pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }

    /// Lets this process (and the board it starts) hold as many descriptors as the system allows.
    static func raiseFileLimit() {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
    }

    /// Keeps `count` connections that send half a request head, opening a new one for each the
    /// board closes (counted as shed).
    static func halfOpen(_ count: Int, port: Int, counts: LoadCounts) async {
        func open() -> Int32 {
            let fd = LoopbackSocket.connect(port)
            LoopbackSocket.send(fd, "GET /sync HTTP/1.1\r\nHost: board\r\nUpgrade: websocket\r\n")
            return fd
        }
        var sockets = (0..<count).map { _ in open() }
        var buffer = [UInt8](repeating: 0, count: 512)
        while !counts.stopped.load(ordering: .relaxed) {
            for (i, fd) in sockets.enumerated() {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, 0) > 0, read(fd, &buffer, buffer.count) <= 0 {
                    close(fd)
                    counts.shed.add(1, ordering: .relaxed)
                    sockets[i] = open()
                }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        for fd in sockets { close(fd) }
    }
}

/// What the light schools of W7 saw.
final class LoadCounts: Sendable {
    /// Sessions open now (past `Welcome`).
    let open = Atomic<Int>(0)
    /// Sessions that failed to open or ended with an error before the end.
    let failures = Atomic<Int>(0)
    /// Half-open connections the board closed.
    let shed = Atomic<Int>(0)
    /// Set when the run is over: what ends from then on is no failure.
    let stopped = Atomic<Bool>(false)
    /// What the first failed session ended with.
    let firstFailure = Mutex<String?>(nil)

    func failed(_ why: String) {
        failures.add(1, ordering: .relaxed)
        firstFailure.withLock { if $0 == nil { $0 = why } }
    }
    /// Per school: the changes received.
    let received = Mutex<[String: Int]>([:])

    /// How many of `schools` received fewer than `expecting` changes.
    func missed(expecting: Int, of schools: [String]) -> Int {
        received.withLock { received in schools.count { (received[$0] ?? 0) < expecting } }
    }
}

/// A school as a light protocol client: the real session state machine over a WebSocket, its
/// storage in memory (it holds nothing of its own and keeps what it is sent as a vector).
struct LightSchool {
    let key: ReplicaKey
    let school: String

    final class Flags: Sendable {
        let established = Atomic<Bool>(false)
        let failed = Atomic<Bool>(false)
    }

    func run(url: String, counts: LoadCounts, logger: Logger) async {
        let scope = try! Scope.board("41234")
        let flags = Flags()
        do {
            // Frames as large as a real school accepts: the board's list of membership
            // statements outgrows WebSocket's default 16 KiB from about a hundred keys.
            var configuration = WebSocketClientConfiguration()
            configuration.maxFrameSize = SessionLimits.standard.maximumWireFrameBytes
            try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                var session = SyncSession(role: .client(scopes: [scope], audience: scope.name, pinnedServerKey: nil),
                                          key: key, school: school, board: "41234", nonce: SessionRunner.nonce())
                var held = VersionVector()
                var frames = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
                var pending = session.start(now: SessionRunner.now())
                while true {
                    var queue = pending[...]
                    pending = []
                    while let directive = queue.popFirst() {
                        switch directive {
                        case .send(let bytes): try await outbound.writeBinaryMessage(ByteBuffer(bytes: bytes))
                        case .readMemberships: queue += session.onMemberships([])
                        case .readVectors(let scopes): queue += session.onVectors(Dictionary(uniqueKeysWithValues: scopes.map { ($0, held) }))
                        case .readChanges(let scope, _, _): queue += session.onChanges(scope, [])
                        case .apply(let scope, let batch, let changes):
                            for bytes in changes {
                                if let (replica, seq) = SignedChange.identity(of: bytes), seq == held[replica] + 1 { held[replica] = seq }
                            }
                            counts.received.withLock { $0[school, default: 0] += changes.count }
                            queue += session.onApplied(scope, batch: batch, result: .success(AppliedBatch(vector: held)))
                        case .established:
                            flags.established.store(true, ordering: .relaxed)
                            counts.open.add(1, ordering: .relaxed)
                        case .close(let error):
                            if let error, !counts.stopped.load(ordering: .relaxed) {
                                flags.failed.store(true, ordering: .relaxed)
                                counts.firstFailure.withLock { if $0 == nil { $0 = "\(error)" } }
                            }
                            return
                        default: break
                        }
                    }
                    guard let message = try await frames.next() else { return }
                    guard case .binary(let buffer) = message else { continue }
                    pending = session.onFrame(Data(buffer.readableBytesView), now: SessionRunner.now())
                }
            }
        } catch {
            if !counts.stopped.load(ordering: .relaxed) {
                flags.failed.store(true, ordering: .relaxed)
                counts.firstFailure.withLock { if $0 == nil { $0 = "\(error)" } }
            }
        }
        if flags.established.load(ordering: .relaxed) { counts.open.subtract(1, ordering: .relaxed) }
        if flags.failed.load(ordering: .relaxed) || (!flags.established.load(ordering: .relaxed) && !counts.stopped.load(ordering: .relaxed)) {
            counts.failed(flags.established.load(ordering: .relaxed) ? "ended early" : "never established")
        }
    }
}
