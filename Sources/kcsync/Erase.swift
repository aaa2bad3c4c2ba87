import ArgumentParser
import SyncCore
import SyncStore
import KCReplica

/// What an erasure command takes: a record's id and why, or `--list` for the erasure log.
struct ErasureArguments: ParsableArguments {
    @Argument(help: "The record's id (a unique prefix or the short id).") var id: String?
    @Option(help: "Why (kept in the erasure log, without content).") var reason: String?
    @Flag(help: "Show the erasure log instead.") var list = false

    func validate() throws {
        if list { return }
        guard id != nil else { throw ValidationError("Geef het id van het record dat gewist moet worden, of --list.") }
        guard reason != nil else { throw ValidationError("Geef een reden met --reason, bijvoorbeeld 'verzoek ouders'.") }
    }

    /// Prints an erasure log (never content).
    static func show(_ log: [ErasureRecord], json: Bool) throws {
        if json { try printJSON(log); return }
        if log.isEmpty { print("Er is nog niets gewist.") }
        for line in log { print("\(line.erasedAt)  \(typeLabel(line.type))  \(line.id)  reden: \(line.reason)") }
    }
}

extension KCSync {
    /// `kcsync erase ID --reason …`: AVG erasure; `kcsync erase --list`: the erasure log.
    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wis een record volgens de AVG: de inhoud verdwijnt van elke replica, ook uit het wijzigingslogboek.",
            discussion: "Ook een kopie die een andere replica van de school intussen met het bestuur deelde, wordt overal gewist. Met --list: het wislogboek (wat, wanneer en waarom; nooit de inhoud).")

        @OptionGroup var options: ReplicaOptions
        @OptionGroup var erasure: ErasureArguments

        func run() throws {
            try reporting {
                let replica = try options.open()
                if erasure.list { return try ErasureArguments.show(try replica.erasures(), json: options.json) }
                let (entity, type) = try replica.resolveAny(erasure.id!)
                let record = try replica.erase(entity, type: type, reason: erasure.reason!)
                if options.json { try printJSON(record) } else { print("Gewist (\(typeLabel(type))): \(entity.hex). Reden: \(record.reason)") }
            }
        }
    }
}
