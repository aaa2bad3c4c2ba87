import ArgumentParser
import Foundation
import KCModel
import KCReplica

/// `kcsync retention …`: bewaartermijnen.
struct RetentionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Bewaartermijnen: wat over tijd is, wissen, en de termijnen per soort.",
        discussion: "De daemon wist elke dag wat over tijd is. Standaardtermijnen: zie docs/privacy.md.",
        subcommands: [List.self, Apply.self, Set.self],
        defaultSubcommand: List.self
    )

    static func describe(_ item: RetentionItem) -> String {
        "\(item.due)  \(typeLabel(item.type))  \(item.id)  \(item.term), \(item.setOnRecord ? "bewaren tot (op het record)" : "\(item.months) maanden vanaf \(item.since)")"
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de termijnen en de records die over tijd zijn.")
        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let replica = try options.open()
                let due = try replica.retentionDue()
                if options.json {
                    struct View: Encodable { var terms: [String: Int]; var due: [RetentionItem] }
                    try printJSON(View(terms: replica.retentionTerms, due: due))
                    return
                }
                print("Bewaartermijnen (maanden):")
                for (key, months) in replica.retentionTerms.sorted(by: { $0.key < $1.key }) { print("  \(key): \(months)") }
                if due.isEmpty { print("Niets is over tijd.") } else {
                    print("Over tijd (\(due.count)); wis met 'kcsync retention apply':")
                    for item in due { print("  \(RetentionCommand.describe(item))") }
                }
            }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Wis wat over tijd is, op elke replica, met een regel in het wislogboek.")
        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let erased = try options.open().applyRetention()
                if options.json { try printJSON(erased); return }
                print(erased.isEmpty ? "Niets is over tijd." : "Gewist: \(erased.count) record(s) waarvan de bewaartermijn verlopen is.")
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stel de termijn in voor een categorie, 'afspraak' of 'afspraak-leerling'.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "A note category (e.g. leerlingbespreking), afspraak or afspraak-leerling.") var kind: String
        @Argument(help: "Months.") var months: Int

        func run() throws {
            try reporting {
                let configuration = try options.open().setRetention(kind, months: months)
                if options.json { try printJSON(configuration.retention ?? [:]) } else { print("Bewaartermijn \(kind): \(months) maanden.") }
            }
        }
    }
}
