import ArgumentParser
import SyncCore
import SyncStore
import Foundation
import KCReplica

extension KCSync {
    /// `kcsync status`.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de toestand van deze replica.")

        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let status = try options.open().status()
                if options.json { try printJSON(status); return }
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
            }
        }
    }
}
