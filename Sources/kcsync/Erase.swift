import ArgumentParser
import SyncCore
import SyncStore
import KCReplica

extension KCSync {
    /// `kcsync erase ID --reason …`: AVG erasure.
    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wis een record volgens de AVG: de inhoud verdwijnt van elke replica, ook uit het wijzigingslogboek.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The record's id (note, agreement or trend analysis).") var id: String
        @Option(help: "Why (kept in the local erasure log, without content).") var reason: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let (entity, type) = try replica.resolveAny(id)
                let record = try replica.erase(entity, type: type, reason: reason)
                if options.json { try printJSON(record) } else { print("Gewist (\(typeLabel(type))): \(entity.hex). Reden: \(record.reason)") }
            }
        }
    }
}
