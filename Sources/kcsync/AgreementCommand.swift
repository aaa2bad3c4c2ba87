import ArgumentParser
import KCModel
import KCReplica
import SyncCore
import SyncStore

/// `kcsync agreement …`: afspraken, wie doet wat en wanneer.
struct AgreementCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement",
        abstract: "Afspraken: wie doet wat en wanneer.",
        subcommands: [Add.self, List.self, Show.self, Update.self, Share.self, Unshare.self]
    )

    static func describe(_ agreement: Agreement, today: Int32) -> String {
        var line = "\(KCReplica.shortID(agreement.id))  \(agreement.dueDate.map(Value.dayString) ?? "-")  \(agreement.status.label)"
        if agreement.isOverdue(today: today) { line += " (te laat)" }
        line += "  \(agreement.owner): \(agreement.title)"
        if agreement.boardCopy != nil { line += "  [gedeeld met bestuur]" }
        return line
    }
}

extension AgreementCommand {
    /// `kcsync agreement add`.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leg een afspraak vast.")

        @OptionGroup var options: ReplicaOptions
        @Option(help: "What will be done (wat).") var title: String
        @Option(help: "Who does it (wie): a person, a leerteam or a role.") var owner: String
        @Option(help: "When it is due (wanneer), yyyy-mm-dd.") var due: String
        @Option(help: "When it is evaluated, yyyy-mm-dd.") var evaluate: String?
        @Option(help: "A longer description.") var description: String?
        @Option(help: "pupil (leerling), group (groep), leerteam or school.") var level = "school"
        @Option(help: "The note this agreement comes from.") var fromNote: String?

        func run() throws {
            var draft = AgreementDraft(title: title, owner: owner, dueDate: try parseDay(due, option: "--due"))
            draft.evaluationDate = try evaluate.map { try parseDay($0, option: "--evaluate") }
            draft.description = description ?? ""
            draft.level = try parseSubject(level)
            try reporting {
                let replica = try options.open()
                draft.fromNote = try fromNote.map { prefix throws(KCError) in try replica.resolve(prefix, type: "note", label: "notitie") }
                let agreement = try replica.addAgreement(draft)
                if options.json { try printJSON(AgreementView(agreement, today: replica.todayDay)) } else {
                    print("Afspraak opgeslagen: \(agreement.id.hex)  \(agreement.owner): \(agreement.title)")
                }
            }
        }
    }

    /// `kcsync agreement list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon afspraken op volgorde van deadline.")

        @OptionGroup var options: ReplicaOptions
        @Option(help: "open, lopend, afgerond or vervallen.") var status: String?
        @Flag(help: "Only agreements past their due date that are not done (te laat).") var overdue = false

        func run() throws {
            var filter = AgreementFilter()
            filter.status = try status.map(parseStatus)
            filter.overdueOnly = overdue
            try reporting {
                let replica = try options.open()
                let agreements = try replica.agreements(filter)
                let today = replica.todayDay
                if options.json { try printJSON(agreements.map { AgreementView($0, today: today) }); return }
                if agreements.isEmpty { print("Geen afspraken gevonden."); return }
                for agreement in agreements { print(AgreementCommand.describe(agreement, today: today)) }
            }
        }
    }

    /// `kcsync agreement show ID`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon één afspraak.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The agreement's id (a unique prefix is enough).") var id: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let agreement = try replica.agreement(try replica.resolve(id, type: "agreement", label: "afspraak"))
                if options.json { try printJSON(AgreementView(agreement, today: replica.todayDay)); return }
                print("Afspraak \(agreement.id.hex)")
                print("Wat:          \(agreement.title)")
                print("Wie:          \(agreement.owner)")
                print("Wanneer:      \(agreement.dueDate.map(Value.dayString) ?? "-")\(agreement.isOverdue(today: replica.todayDay) ? " (te laat)" : "")")
                if let day = agreement.evaluationDate { print("Evaluatie:    \(Value.dayString(day))") }
                print("Status:       \(agreement.status.label)")
                if let outcome = agreement.outcome { print("Uitkomst:     \(outcome)") }
                if let origin = agreement.origin { print("Herkomst:     \(agreement.originKind == "advice" ? "trendadvies" : "notitie") \(KCReplica.shortID(origin))") }
                if !agreement.description.isEmpty { print("\n\(agreement.description)") }
            }
        }
    }

    /// `kcsync agreement update ID`.
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Werk de status of uitkomst van een afspraak bij.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The agreement's id.") var id: String
        @Option(help: "open, lopend, afgerond or vervallen.") var status: String?
        @Option(help: "The outcome.") var outcome: String?

        func validate() throws {
            if status == nil && outcome == nil { throw ValidationError("Geef --status of --outcome.") }
        }

        func run() throws {
            let newStatus = try status.map(parseStatus)
            try reporting {
                let replica = try options.open()
                let agreement = try replica.updateAgreement(try replica.resolve(id, type: "agreement", label: "afspraak"),
                                                            status: newStatus, outcome: outcome, editor: defaultAuthor(nil))
                if options.json { try printJSON(AgreementView(agreement, today: replica.todayDay)) } else {
                    print("Afspraak bijgewerkt: \(AgreementCommand.describe(agreement, today: replica.todayDay))")
                }
            }
        }
    }

    /// `kcsync agreement share ID`.
    struct Share: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deel een afspraak met het bestuur.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The agreement's id.") var id: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let agreement = try replica.shareAgreement(try replica.resolve(id, type: "agreement", label: "afspraak"))
                if options.json { try printJSON(AgreementView(agreement, today: replica.todayDay)) } else {
                    print("Afspraak gedeeld met het bestuur: \(agreement.id.hex)  \(agreement.title)")
                }
            }
        }
    }

    /// `kcsync agreement unshare ID`.
    struct Unshare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trek een gedeelde afspraak terug.")

        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The agreement's id.") var id: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let agreement = try replica.unshareAgreement(try replica.resolve(id, type: "agreement", label: "afspraak"))
                if options.json { try printJSON(AgreementView(agreement, today: replica.todayDay)) } else {
                    print("Delen ongedaan gemaakt: \(agreement.id.hex)  \(agreement.title)")
                }
            }
        }
    }
}
