public import Foundation
public import KCReplica
import SyncCore
import SyncStore
import Synchronization

/// What the daemon knows of one link (with the board or a peer).
public struct LinkStatus: Codable, Sendable, Equatable {
    /// `connecting`, `connected`, `waiting` (to reconnect), `disconnected` or `stopped`.
    public var state: String
    /// The other side's address, when this side connects.
    public var url: String?
    /// When the last sync on this link caught up (ISO 8601).
    public var lastSync: String?
    /// The other side's version vector of the board scope as last acknowledged (replica hex →
    /// seq): what `pending` is counted against.
    public var boardVector: [String: UInt64]
    /// The last error, if any.
    public var lastError: String?

    /// A link that has not run.
    public static let stopped = LinkStatus(state: "stopped", url: nil, lastSync: nil, boardVector: [:], lastError: nil)
}

/// `daemon-status.json`: the board link and every peer link, by the peer's public key.
public struct DaemonStatus: Codable, Sendable, Equatable {
    /// The link with the board.
    public var board: LinkStatus
    /// Links with peers, by public key (hex).
    public var peers: [String: LinkStatus]
    /// The process id of the daemon that writes this file, while it runs.
    public var pid: Int32?
    /// Where the daemon serves the kc'er's pages (`http://127.0.0.1:8452`), while it does.
    public var web: String?

    /// True when the daemon that wrote this is gone without a clean stop (killed, crashed):
    /// then its links are not what the file last said.
    public var writerIsGone: Bool {
        guard let pid else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// This status with every link shown as stopped.
    public var stopped: DaemonStatus {
        var copy = self
        copy.board.state = "stopped"
        for key in copy.peers.keys { copy.peers[key]!.state = "stopped" }
        copy.pid = nil
        copy.web = nil
        return copy
    }
}

/// `daemon-status.json` in the data directory, written atomically on every change so that
/// `kcsync status` sees the daemon's links even when it cannot reach the daemon.
public final class StatusFile: Sendable {
    let url: URL
    let state: Mutex<DaemonStatus>

    /// The status file of `directory`.
    public init(directory: URL) {
        url = directory.appendingPathComponent("daemon-status.json")
        state = Mutex(StatusFile.read(directory: directory) ?? DaemonStatus(board: .stopped, peers: [:], pid: nil, web: nil))
    }

    /// Reads the status a daemon left in `directory`.
    public static func read(directory: URL) -> DaemonStatus? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("daemon-status.json")) else { return nil }
        return try? JSONDecoder().decode(DaemonStatus.self, from: data)
    }

    /// The status now.
    public var snapshot: DaemonStatus { state.withLock { $0 } }

    /// Changes the board link's status and writes the file.
    public func update(_ change: (inout LinkStatus) -> Void) {
        write { change(&$0.board) }
    }

    /// Changes a peer link's status and writes the file.
    public func updatePeer(_ key: String, _ change: (inout LinkStatus) -> Void) {
        write { status in
            var link = status.peers[key] ?? .stopped
            change(&link)
            status.peers[key] = link
        }
    }

    /// Records where the pages are served (nil: they are not).
    public func setWeb(_ url: String?) {
        write { $0.web = url }
    }

    /// Records that a daemon (this process) owns the file from now on.
    public func claim() {
        write { $0.pid = getpid() }
    }

    /// Marks every link stopped (the daemon is ending).
    public func stopAll() {
        write { $0 = $0.stopped }
    }

    private func write(_ change: (inout DaemonStatus) -> Void) {
        let snapshot = state.withLock { status -> DaemonStatus in
            change(&status)
            return status
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try? encoder.encode(snapshot).write(to: url, options: .atomic)
    }
}

extension LinkStatus {
    /// How many of `replica`'s own board-scope changes the other side has not acknowledged.
    public func pending(of replica: KCReplica) -> Int {
        let local = (try? replica.store.versionVector(replica.boardScope))?[replica.store.replicaID] ?? 0
        let acknowledged = boardVector[replica.store.replicaID.hex] ?? 0
        return Int(local > acknowledged ? local - acknowledged : 0)
    }
}
