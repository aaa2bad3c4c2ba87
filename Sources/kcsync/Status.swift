import ArgumentParser
import SyncCore
import SyncStore
import Foundation
import KCReplica
import SchoolDaemon

extension KCSync {
    /// `kcsync status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de toestand van deze replica.")

        @OptionGroup var options: ReplicaOptions

        func run() async throws {
            try await reporting {
                let replica = try options.open()
                let saved = await daemonStatus(replica)
                if options.json { print(try statusJSON(replica, saved)); return }
                let status = try replica.status()
                let link = boardLink(replica, saved)
                print("Replica      \(status.replica)")
                print("School       \(status.school)")
                print("Bestuur      \(status.board)")
                print("Datamap      \(status.dataPath) (\(ByteCountFormatter.string(fromByteCount: Int64(status.sizeBytes), countStyle: .file)))")
                print("Notities     \(status.notes)")
                print("Afspraken    \(status.agreements)")
                print("Trendcijfers \(status.trendFigures)")
                print("Trendadvies  \(status.advice)\(status.adviceUnanswered > 0 ? " (\(status.adviceUnanswered) nog niet beantwoord: kcsync advice list)" : "")")
                print("Conflicten   \(status.openConflicts) open")
                for (name, scope) in status.scopes.sorted(by: { $0.key < $1.key }) {
                    let vector = scope.versionVector.sorted { $0.key < $1.key }.map { "\($0.key.prefix(8)):\($0.value)" }.joined(separator: " ")
                    print("\(name)  \(scope.changes) wijzigingen  [\(vector)]")
                }
                print("Toestand     \(status.stateHash)")
                if let url = link["url"] as? String {
                    print("Bestuur      \(url): \(link["state"] as? String ?? "-"), laatst gesynchroniseerd \(link["lastSync"] as? String ?? "nooit"), \(link["pending"] as? Int ?? 0) wijzigingen nog niet bevestigd")
                } else {
                    print("Bestuur      geen adres ingesteld (kcsync config board-url …)")
                }
                for peer in peerLinks(replica, saved) {
                    print("Peer         \((peer["replica"] as? String ?? "").prefix(8)) \(peer["url"] as? String ?? "(verbindt zelf)"): \(peer["state"] as? String ?? "-"), laatst gesynchroniseerd \(peer["lastSync"] as? String ?? "nooit")")
                }
            }
        }
    }
}

/// The daemon's link status: live from a running daemon through the control socket, else what
/// it last wrote.
func daemonStatus(_ replica: KCReplica) async -> DaemonStatus? {
    if let live = await ControlClient.request("status", directory: replica.directory),
       let data = try? JSONSerialization.data(withJSONObject: live),
       let status = try? JSONDecoder().decode(DaemonStatus.self, from: data) {
        return status
    }
    guard let saved = StatusFile.read(directory: replica.directory) else { return nil }
    return saved.writerIsGone ? saved.stopped : saved
}

/// The board link as `status --json` shows it: the daemon's state, and how many of this
/// replica's board-scope changes the board has not acknowledged yet (`pending`).
func boardLink(_ replica: KCReplica, _ saved: DaemonStatus?) -> [String: Any] {
    let local = (try? replica.store.versionVector(replica.boardScope))?[replica.store.replicaID] ?? 0
    let acknowledged = saved?.board.boardVector[replica.store.replicaID.hex] ?? 0
    var link: [String: Any] = [
        "state": saved?.board.state ?? "stopped",
        "pending": Int(local > acknowledged ? local - acknowledged : 0),
    ]
    if let url = replica.configuration.boardURL { link["url"] = url }
    if let lastSync = saved?.board.lastSync { link["lastSync"] = lastSync }
    if let error = saved?.board.lastError { link["lastError"] = error }
    return link
}

/// Each registered peer with its link's state and last sync.
func peerLinks(_ replica: KCReplica, _ saved: DaemonStatus?) -> [[String: Any]] {
    replica.peers().map { peer in
        let link = saved?.peers[peer.publicKey]
        var object: [String: Any] = ["replica": peer.replica, "publicKey": peer.publicKey, "state": link?.state ?? "stopped"]
        if let url = peer.url { object["url"] = url }
        if let lastSync = link?.lastSync { object["lastSync"] = lastSync }
        if let error = link?.lastError { object["lastError"] = error }
        return object
    }
}

func peersJSON(_ replica: KCReplica, _ saved: DaemonStatus?) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: peerLinks(replica, saved), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}

/// `status --json`: the replica's status with `boardLink` and `peers` added.
func statusJSON(_ replica: KCReplica, _ saved: DaemonStatus?) throws -> String {
    let encoder = JSONEncoder()
    var object = try JSONSerialization.jsonObject(with: try encoder.encode(try replica.status())) as? [String: Any] ?? [:]
    object["boardLink"] = boardLink(replica, saved)
    object["peers"] = peerLinks(replica, saved)
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}
