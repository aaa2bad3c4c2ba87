import ArgumentParser
import SyncCore
import SyncStore
import Foundation
import KCReplica
import SchoolDaemon

extension KCSync {
    /// `kcsync status`.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de toestand van deze replica.")

        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let replica = try options.open()
                if options.json { print(try statusJSON(replica)); return }
                let status = try replica.status()
                let link = boardLink(replica)
                print("Replica      \(status.replica)")
                print("School       \(status.school)")
                print("Bestuur      \(status.board)")
                print("Datamap      \(status.dataPath) (\(ByteCountFormatter.string(fromByteCount: Int64(status.sizeBytes), countStyle: .file)))")
                print("Notities     \(status.notes)")
                print("Afspraken    \(status.agreements)")
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
            }
        }
    }
}

/// The board link as `status --json` shows it: what the daemon last wrote, and how many of this
/// replica's board-scope changes the board has not acknowledged yet (`pending`).
func boardLink(_ replica: KCReplica) -> [String: Any] {
    let saved = StatusFile.read(directory: replica.directory)
    let local = (try? replica.store.versionVector(replica.boardScope))?[replica.store.replicaID] ?? 0
    let acknowledged = saved?.boardVector[replica.store.replicaID.hex] ?? 0
    var link: [String: Any] = [
        "state": saved?.state ?? "stopped",
        "pending": Int(local > acknowledged ? local - acknowledged : 0),
    ]
    if let url = replica.configuration.boardURL { link["url"] = url }
    if let lastSync = saved?.lastSync { link["lastSync"] = lastSync }
    if let error = saved?.lastError { link["lastError"] = error }
    return link
}

/// `status --json`: the replica's status with `boardLink` and `peers` added.
func statusJSON(_ replica: KCReplica) throws -> String {
    let encoder = JSONEncoder()
    var object = try JSONSerialization.jsonObject(with: try encoder.encode(try replica.status())) as? [String: Any] ?? [:]
    object["boardLink"] = boardLink(replica)
    object["peers"] = [Any]()
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}
