import ArgumentParser
import Foundation
import KCModel
import KCReplica
import SyncCore

/// `kcsync advice …`: trend advice for the whole board, and each school's reactie.
struct AdviceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advice",
        abstract: "Trendadviezen voor alle scholen van het bestuur, en de reactie van elke school.",
        subcommands: [Add.self, List.self, Show.self, Respond.self]
    )

    /// The advice book of the replica in --data: a school's, or the board's.
    static func open(_ options: ReplicaOptions) throws(KCError) -> (book: AdviceBook, school: KCReplica?, board: BoardReplica?) {
        if BoardReplica.isBoardDirectory(options.directory) {
            let board = try BoardReplica.open(directory: options.directory)
            return (board.adviceBook, nil, board)
        }
        let replica = try options.open()
        return (replica.adviceBook, replica, nil)
    }

    static func parseReaction(_ text: String) throws -> AdviceReaction {
        let folded = text.lowercased().replacingOccurrences(of: "-", with: " ")
        if let reaction = AdviceReaction(rawValue: folded) { return reaction }
        throw ValidationError("'\(text)' is geen reactie; kies gezien, overgenomen of niet-van-toepassing.")
    }
}

extension AdviceCommand {
    /// `kcsync advice add`.
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Schrijf een trendadvies voor alle scholen (in de bestuursscope).")

        @OptionGroup var options: ReplicaOptions
        @Option(help: "The toetsmoment, e.g. \"2025-2026 M\".") var period: String
        @Option(help: "The subject area.") var subjectArea: String
        @Option(help: "The signal, e.g. \"dalende trend begrijpend lezen groep 6–7 bij 4 van 11 scholen\" (see 'kcsync board view').") var signal: String
        @Option(help: "The advice.") var advice: String
        @Option(help: "How the signal is read (duiding).") var interpretation: String?
        @Option(help: "An agreement each school may take over (repeat for more).") var suggest: [String] = []
        @Option(name: .customLong("school"), help: "A school it concerns (repeat; default: all).") var schools: [String] = []
        @Option(help: "Who writes it (default: $KCSYNC_AUTHOR or the login name).") var author: String?

        func run() throws {
            var draft = AdviceDraft(period: try parsePeriod(period), subjectArea: try parseSubjectArea(subjectArea), signal: signal,
                                    advice: advice, author: defaultAuthor(author))
            draft.interpretation = interpretation ?? ""
            draft.suggestedAgreements = suggest
            draft.schools = schools
            try reporting {
                let item = try AdviceCommand.open(options).book.add(draft)
                if options.json { try printJSON(AdviceView(item, reactions: [])) } else {
                    print("Trendadvies opgeslagen: \(item.id.hex)  \(item.signal)")
                    print("Het gaat met de volgende synchronisatie naar alle scholen van het bestuur.")
                }
            }
        }
    }

    /// `kcsync advice list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de trendadviezen, nieuwste eerst, met de reacties.")
        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let (book, school, _) = try AdviceCommand.open(options)
                let items = try book.all()
                let responses = try book.responses()
                if options.json { try printJSON(items.map { AdviceView($0, reactions: responses[$0.id] ?? []) }); return }
                if items.isEmpty { print("Nog geen trendadviezen."); return }
                for item in items {
                    let reactions = responses[item.id] ?? []
                    var line = "\(KCReplica.shortID(item.id))  \(item.period)  \(item.subjectArea?.label ?? "-")  \(item.signal)"
                    if let school {
                        let own = reactions.first { $0.school == school.configuration.school }
                        line += "  [\(own?.reaction?.label ?? "nog niet beantwoord")]"
                    } else {
                        line += "  [\(reactions.count) reactie(s)]"
                    }
                    print(line)
                }
            }
        }
    }

    /// `kcsync advice show ID`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon één trendadvies met de reacties van de scholen.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The advice's id (a unique prefix or the short id).") var id: String

        func run() throws {
            try reporting {
                let book = try AdviceCommand.open(options).book
                let item = try book.advice(try book.resolve(id))
                let reactions = try book.responses()[item.id] ?? []
                if options.json { try printJSON(AdviceView(item, reactions: reactions)); return }
                print("Trendadvies \(item.id.hex)")
                print("Periode:      \(item.period)")
                print("Vakgebied:    \(item.subjectArea?.label ?? "-")")
                print("Signaal:      \(item.signal)")
                print("Geschreven:   \(item.author)\(item.school.isEmpty ? " (bestuur)" : " (\(item.school))")")
                if !item.schools.isEmpty { print("Voor:         \(item.schools.joined(separator: ", "))") }
                if !item.interpretation.isEmpty { print("Duiding:      \(item.interpretation)") }
                print("\n\(item.advice)")
                if !item.suggestedAgreements.isEmpty {
                    print("\nVoorgestelde afspraken:")
                    for suggestion in item.suggestedAgreements { print("  - \(suggestion)") }
                }
                print("\nReacties:")
                if reactions.isEmpty { print("  nog geen") }
                for reaction in reactions {
                    print("  \(reaction.school): \(reaction.reaction?.label ?? "-")\(reaction.comment.isEmpty ? "" : " (\(reaction.comment))")")
                }
            }
        }
    }

    /// `kcsync advice respond ID gezien|overgenomen|niet-van-toepassing`.
    struct Respond: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reageer namens de school: gezien, overgenomen (maakt afspraken) of niet-van-toepassing.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The advice's id.") var id: String
        @Argument(help: "gezien, overgenomen or niet-van-toepassing.") var reaction: String
        @Option(help: "A comment for the board.") var comment: String?
        @Option(help: "Who carries out the agreements made when taking it over (default: $KCSYNC_AUTHOR or the login name).") var owner: String?
        @Option(help: "When those agreements are due, yyyy-mm-dd (default: in six weeks).") var due: String?

        func run() throws {
            let reaction = try AdviceCommand.parseReaction(reaction)
            let dueDay = try due.map { try parseDay($0, option: "--due") }
            try reporting {
                let (book, school, _) = try AdviceCommand.open(options)
                guard let school else {
                    throw KCError(.refused, "Reageren doet een school; dit is de bestuursreplica. Kies met --data de map van een school.")
                }
                let (response, agreements) = try school.respond(to: try book.resolve(id), reaction: reaction, comment: comment ?? "",
                                                                owner: defaultAuthor(owner), due: dueDay ?? school.todayDay + 42)
                if options.json {
                    try printJSON(RespondView(advice: response.advice?.hex ?? "", school: response.school, reaction: reaction.rawValue,
                                              comment: response.comment, agreements: agreements.map(\.id.hex)))
                    return
                }
                print("Reactie opgeslagen: \(reaction.label)")
                for agreement in agreements {
                    print("Afspraak gemaakt: \(AgreementCommand.describe(agreement, today: school.todayDay))")
                }
            }
        }
    }
}

struct AdviceView: Encodable {
    struct Reaction: Encodable { var school: String; var reaction: String; var comment: String }
    var id: String
    var author: String
    var writtenAt: String
    var period: String
    var subjectArea: String?
    var schools: [String]
    var signal: String
    var interpretation: String
    var advice: String
    var suggestedAgreements: [String]
    var reactions: [Reaction]

    init(_ item: TrendAdvice, reactions: [AdviceResponse]) {
        id = item.id.hex
        author = item.author
        writtenAt = item.school.isEmpty ? "board" : item.school
        period = item.period
        subjectArea = item.subjectArea?.rawValue
        schools = item.schools
        signal = item.signal
        interpretation = item.interpretation
        advice = item.advice
        suggestedAgreements = item.suggestedAgreements
        self.reactions = reactions.map { Reaction(school: $0.school, reaction: $0.reaction?.rawValue ?? "", comment: $0.comment) }
    }
}

struct RespondView: Encodable {
    var advice: String
    var school: String
    var reaction: String
    var comment: String
    var agreements: [String]
}
