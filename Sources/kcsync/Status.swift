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
                if let board = try? BoardReplica.open(directory: options.directory) {
                    try printBoardStatus(board, json: options.json)
                    return
                }
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
                if let key = replica.boardKey {
                    print("Bestuurssleutel \(key.key) (\(boardKeySourceText(key.source)))")
                } else {
                    print("Bestuurssleutel nog onbekend: leg hem vast met 'kcsync config board-key' (uit 'kcsync board key' op de server), of hij wordt geleerd bij de eerste sync.")
                }
                for former in (try? replica.store.formerIdentities()) ?? [] {
                    if former.reason.hasPrefix("opened without its key file") {
                        print("Eerder       replica \(former.replica.hex.prefix(8)): deze database werd geopend zonder haar sleutelbestand en kreeg een nieuwe sleutel (\(status.replica.prefix(8))); laat die opnieuw toelaten (kcsync key, dan kcsync peer add of kcsync board add-school).")
                    } else {
                        print("Eerder       replica \(former.replica.hex.prefix(8)): deze replica bleek teruggezet uit een kopie en ging verder als \(status.replica.prefix(8)); er ging niets verloren.")
                    }
                }
                printRefusals(replica.store.refusalReports())
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
    var link: [String: Any] = [
        "state": saved?.board.state ?? "stopped",
        "pending": (saved?.board ?? .stopped).pending(of: replica),
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
    object["refused"] = try refusalsJSON(replica.store.refusalReports())
    if let key = replica.boardKey { object["boardKey"] = ["key": key.key, "source": key.source] }
    object["formerReplicas"] = ((try? replica.store.formerIdentities()) ?? []).map { ["replica": $0.replica.hex, "reason": $0.reason] }
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}

/// How the pinned board key became known, in Dutch.
func boardKeySourceText(_ source: String) -> String {
    switch source {
    case "firstContact": "geleerd bij de eerste sync: vergelijk hem met 'kcsync board key' op de server"
    case "peer": "geleerd van een peer van deze school"
    default: "vastgelegd"
    }
}

/// The refusals as JSON objects (`status --json`, key `refused`).
func refusalsJSON(_ reports: [RefusalReport]) throws -> [Any] {
    try JSONSerialization.jsonObject(with: JSONEncoder().encode(reports)) as? [Any] ?? []
}

/// The refusals in Dutch, one block each.
func printRefusals(_ reports: [RefusalReport]) {
    if reports.isEmpty {
        print("Geweigerd    niets")
        return
    }
    print("Geweigerd    \(reports.count) keten(s) met een geweigerde wijziging:")
    for report in reports {
        let link = report.link == "board" ? "bestuur" : (report.link.count == 4 ? "school \(report.link)" : "peer \(report.link.prefix(8))")
        print("  - \(link), \(report.scope), wijziging \(report.replica.prefix(8))/\(report.seq) (\(report.at)): \(report.message)")
        print("    Wat te doen: \(report.action)")
        print("    Reden: \(RemoteText.safe(report.reason))")
    }
}

/// `kcsync status` on the board's own directory: the board, its key, each school's members
/// and the last change held from it, and the refusals.
func printBoardStatus(_ board: BoardReplica, json: Bool) throws {
    let registry = board.registry()
    let latest = board.latestChangeBySchool()
    let reports = board.store.refusalReports()
    if json {
        var schools: [[String: Any]] = []
        for (school, keys) in registry.sorted(by: { $0.key < $1.key }) {
            var entry: [String: Any] = ["school": school, "keys": keys]
            if let last = latest[school] { entry["lastChange"] = ISO8601DateFormatter().string(from: last) }
            entry["refused"] = reports.filter { $0.link == school }.count
            schools.append(entry)
        }
        let object: [String: Any] = ["role": "board", "board": board.board, "replica": board.store.replicaID.hex,
                                     "boardKey": board.publicKeyHex, "dataPath": board.directory.path,
                                     "changes": (try? board.store.changeCount(board.scope)) ?? 0,
                                     "schools": schools, "refused": try refusalsJSON(reports)]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
        return
    }
    print("Bestuur      \(board.board) (bestuursreplica)")
    print("Replica      \(board.store.replicaID.hex)")
    print("Sleutel      \(board.publicKeyHex)")
    print("Datamap      \(board.directory.path)")
    print("Wijzigingen  \((try? board.store.changeCount(board.scope)) ?? 0) in \(board.scope)")
    if registry.isEmpty { print("Scholen      nog geen (kcsync board add-school BRIN --key …)") }
    for (school, keys) in registry.sorted(by: { $0.key < $1.key }) {
        let last = latest[school].map { ISO8601DateFormatter().string(from: $0) } ?? "nog niets ontvangen"
        let refused = reports.filter { $0.link == school }.count
        print("School \(school)  \(keys.count) replica('s), laatste wijziging \(last)\(refused > 0 ? ", \(refused) geweigerd" : "")")
    }
    printRefusals(reports)
}
