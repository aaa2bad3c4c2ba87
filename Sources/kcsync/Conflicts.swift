import ArgumentParser
import SyncCore
import KCReplica
import SyncStore

extension KCSync {
    /// `kcsync conflicts`: the conflict journal.
    struct Conflicts: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Toon het conflictlogboek, nieuwste eerst: gelijktijdige wijzigingen en welke won.")

        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let replica = try options.open()
                let views = try replica.conflicts().map { c in
                    ConflictView(scope: c.scope.name, record: c.entity.hex, type: c.type,
                                 title: replica.title(of: c.entity, type: c.type, in: c.scope), field: c.field,
                                 kind: c.kind.rawValue, winner: c.winnerValue, loser: c.loserValue,
                                 winnerAt: moment(c.winnerTimestamp), loserAt: moment(c.loserTimestamp))
                }
                if options.json { try printJSON(views); return }
                if views.isEmpty { print("Geen conflicten."); return }
                for v in views {
                    print("\(typeLabel(v.type)) \(v.record.suffix(8)) \(v.title.isEmpty ? "" : "'\(v.title)' ")· veld \(v.field.isEmpty ? "(record)" : v.field)")
                    if v.kind == "editAfterDelete" {
                        print("  verwijderd (\(v.winnerAt)); een gelijktijdige wijziging ging verloren: \(v.loser ?? "-") (\(v.loserAt))")
                    } else {
                        print("  gewonnen: \(v.winner ?? "-") (\(v.winnerAt))")
                        print("  verloren: \(v.loser ?? "-") (\(v.loserAt))")
                    }
                }
            }
        }
    }
}
