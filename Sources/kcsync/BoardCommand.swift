import ArgumentParser
import BoardServer
import Foundation
import NIOSSL
import Hummingbird
import KCReplica
import Logging
import ServiceLifecycle
import UnixSignals
import SyncStore
import SyncCore
import SyncNet
import KCModel

/// `kcsync board …`: the board's server and its register of schools.
struct BoardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "board",
        abstract: "De bestuursserver: scholen registreren en de server draaien.",
        subcommands: [Init.self, Key.self, AddSchool.self, RemoveSchool.self, RemoveReplica.self, Erase.self, Retention.self, Schools.self, AddUser.self, RemoveUser.self, LoginLink.self, View.self, ImportInspectie.self, Serve.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Maak de replica van het bestuur.")
        @OptionGroup var options: ReplicaOptions
        @Option(help: "The board's number: 5 digits.") var board: String

        func validate() throws {
            guard Scope.isValidBoardNumber(board) else {
                throw ValidationError("--board: '\(board)' is geen geldig bestuursnummer; verwacht 5 cijfers, bijvoorbeeld 41234.")
            }
        }

        func run() throws {
            try reporting {
                let replica = try BoardReplica.create(in: options.directory, board: board)
                if options.json { try printJSON(["board": replica.board, "replica": replica.store.replicaID.hex, "dataPath": replica.directory.path]) } else {
                    print("Bestuursreplica aangemaakt voor bestuur \(replica.board) in \(replica.directory.path).")
                }
            }
        }
    }

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de publieke sleutel van het bestuur (voor 'kcsync init --board-key' of 'kcsync config board-key' op elke school).")
        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let board = try BoardReplica.open(directory: options.directory)
                if options.json { try printJSON(["boardKey": board.publicKeyHex]) } else { print(board.publicKeyHex) }
            }
        }
    }

    struct AddSchool: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-school", abstract: "Registreer de sleutel van een replica van een school.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The school's BRIN.") var school: String
        @Option(help: "The replica's public key, from 'kcsync key' at the school.") var key: String

        func run() throws {
            try reporting {
                let board = try BoardReplica.open(directory: options.directory)
                try board.register(school: school, key: key)
                if options.json { try printJSON(board.registry()) } else { print("Sleutel geregistreerd voor school \(school.uppercased()).") }
            }
        }
    }

    struct RemoveSchool: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-school", abstract: "Haal een school en al haar sleutels uit het register.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The school's BRIN.") var school: String

        func run() throws {
            try reporting {
                let board = try BoardReplica.open(directory: options.directory)
                try board.remove(school: school)
                if options.json { try printJSON(board.registry()) } else { print("School \(school.uppercased()) verwijderd uit het register.") }
            }
        }
    }

    struct RemoveReplica: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-replica", abstract: "Trek de sleutel van één replica in (een verloren laptop); haar open verbinding sluit meteen.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The replica's public key (64 hex digits).") var key: String

        func run() throws {
            try reporting {
                let board = try BoardReplica.open(directory: options.directory)
                let school = try board.removeReplica(key: key)
                if options.json { try printJSON(board.registry()) } else { print("Sleutel ingetrokken (school \(school)).") }
            }
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wis een record uit de bestuursscope (AVG): de inhoud verdwijnt bij het bestuur en bij elke school.",
            discussion: "Met --list: het wislogboek van het bestuur (wat, wanneer en waarom; nooit de inhoud).")
        @OptionGroup var options: ReplicaOptions
        @OptionGroup var erasure: ErasureArguments

        func run() throws {
            try reporting {
                let board = try BoardReplica.open(directory: options.directory)
                if erasure.list { return try ErasureArguments.show(try board.erasures(), json: options.json) }
                let record = try board.erase(erasure.id!, reason: erasure.reason!)
                if options.json { try printJSON(record) } else { print("Gewist (\(typeLabel(record.type))): \(record.id). Reden: \(record.reason)") }
            }
        }
    }

    struct Retention: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bewaartermijnen in de bestuursscope: toon wat over tijd is, of wis het met --apply.",
            discussion: "De bestuursserver wist elke dag wat over tijd is.")
        @OptionGroup var options: ReplicaOptions
        @Flag(help: "Erase what is due.") var apply = false

        func run() throws {
            try reporting {
                let board = try BoardReplica.open(directory: options.directory)
                if apply {
                    let erased = try board.applyRetention()
                    if options.json { try printJSON(erased) } else { print("Gewist: \(erased.count) record(s) waarvan de bewaartermijn verlopen is.") }
                    return
                }
                let due = try board.retentionDue()
                if options.json { try printJSON(due); return }
                if due.isEmpty { print("Niets is over tijd.") }
                for item in due { print(RetentionCommand.describe(item)) }
            }
        }
    }

    struct Schools: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de geregistreerde scholen en sleutels.")
        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let registry = try BoardReplica.open(directory: options.directory).registry()
                if options.json { try printJSON(registry); return }
                if registry.isEmpty { print("Nog geen scholen geregistreerd."); return }
                for (school, keys) in registry.sorted(by: { $0.key < $1.key }) {
                    print("\(school)  \(keys.count) sleutel(s)")
                }
            }
        }
    }

    struct AddUser: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-user", abstract: "Maak een account voor de pagina's en de API van het bestuur; het wachtwoord wordt één keer getoond.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The account's name.") var name: String

        func run() throws {
            try reporting {
                let board = try BoardReplica.open(directory: options.directory)
                let secret = try board.addAccount(name: name)
                if options.json { try printJSON(["name": name, "secret": secret]); return }
                print("Account \(name) gemaakt. Wachtwoord (ook te gebruiken als token: Authorization: Bearer …):")
                print(secret)
                print("Bewaar het nu; het wordt niet opgeslagen en kan niet opnieuw worden getoond.")
            }
        }
    }

    struct RemoveUser: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-user", abstract: "Verwijder een account van de pagina's en de API.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The account's name.") var name: String

        func run() throws {
            try reporting {
                try BoardReplica.open(directory: options.directory).removeAccount(name: name)
                print("Account \(name) verwijderd.")
            }
        }
    }

    struct LoginLink: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "login-link", abstract: "Maak een inloglink voor een account: werkt één keer, tien minuten lang.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The account's name.") var name: String
        @Option(help: "The board's web address, to print the whole link.") var url = "http://127.0.0.1:8450"

        func run() throws {
            try reporting {
                let code = try BoardReplica.open(directory: options.directory).makeLoginCode(account: name)
                let link = "\(url.hasSuffix("/") ? String(url.dropLast()) : url)/login?code=\(code)"
                if options.json { try printJSON(["account": name, "code": code, "url": link]); return }
                print(link)
                print("Deze link logt één keer in als \(name) en verloopt over tien minuten.")
            }
        }
    }

    struct View: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Het samengevoegde beeld: per vakgebied en periode de cijfers en signalen van elke school, de adviezen met reacties en de gedeelde afspraken.")
        @OptionGroup var options: ReplicaOptions
        @Option(help: "Only this toetsmoment, e.g. \"2025-2026 E\" (directions use the periods up to it).") var period: String?
        @Option(help: "Only this subject area.") var subjectArea: String?

        func run() throws {
            let period = try period.map(parsePeriod)
            let area = try subjectArea.map(parseSubjectArea)
            try reporting {
                let report = try BoardReplica.open(directory: options.directory).report(period: period, subjectArea: area)
                if options.json { try printJSON(report) } else { print(BoardViewText.render(report), terminator: "") }
            }
        }
    }

    struct ImportInspectie: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-inspectie",
            abstract: "Lees het jaarbestand 'gemiddelde referentieniveaus primair onderwijs' van de inspectie in (ODS, of als XLSX of CSV opgeslagen): schoolweging, categorie en signaleringswaarde 1S/2F per school gaan naar de scholen.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The Inspectie's file: .ods, .xlsx or .csv.") var file: String
        @Option(help: "Use this location of a school with several, as BRIN=VESTIGING (e.g. 05CD=01); the main location 00 otherwise. Repeatable.")
        var vestiging: [String] = []

        func run() throws {
            try reporting {
                var locations: [String: String] = [:]
                for choice in vestiging {
                    let parts = choice.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
                    guard parts.count == 2, Scope.isValidBRIN(parts[0]), parts[1].count == 2, parts[1].allSatisfy(\.isNumber) else {
                        throw KCError(.invalidInput, "--vestiging '\(choice)': schrijf BRIN=VESTIGING, bijvoorbeeld 05CD=01.")
                    }
                    locations[parts[0].uppercased()] = parts[1]
                }
                let data: Data
                do {
                    let attributes = try FileManager.default.attributesOfItem(atPath: file)
                    guard (attributes[.size] as? Int ?? 0) <= 64 * 1024 * 1024 else { throw KCError(.invalidInput, "\(file) is groter dan 64 MB; dat is niet het bestand van de inspectie.") }
                    data = try Data(contentsOf: URL(fileURLWithPath: file))
                } catch let error as KCError { throw error } catch {
                    throw KCError(.notFound, "\(file) kon niet worden gelezen.")
                }
                let board = try BoardReplica.open(directory: options.directory)
                let result = try board.importInspectie(data, vestigingen: locations)
                if options.json {
                    struct Out: Encodable {
                        var rowsInFile: Int; var matched: [String]; var missing: [String]; var ambiguous: [String: [String]]
                        var otherLocations: [String: [String]]; var problems: [String]
                    }
                    try printJSON(Out(rowsInFile: result.rowsInFile, matched: result.matched.map(\.brin), missing: result.missing, ambiguous: result.ambiguous,
                                      otherLocations: result.otherLocations, problems: result.problems.map(\.description)))
                    return
                }
                let total = result.matched.count + result.missing.count + result.ambiguous.count
                print("\(result.rowsInFile) scholen in het bestand; \(result.matched.count) van de \(total) scholen van het bestuur gevonden en bijgewerkt:")
                for row in result.matched {
                    var line = "  \(row.brin) vestiging \(row.vestiging) \(row.name)"
                    if let weight = row.schoolWeight { line += ": schoolweging \(TrendMetric.abilityGrowth.format(weight))" }
                    if let category = row.weightCategory { line += " (categorie \(category))" }
                    if let threshold = row.threshold1S2F { line += ", signaleringswaarde 1S/2F \(InspectionModel.percent(threshold))" }
                    print(line)
                }
                if !result.missing.isEmpty { print("Niet in het bestand: \(result.missing.joined(separator: ", ")). Die scholen stellen hun signaleringswaarde zelf in (kcsync config floor-2f1s).") }
                for (school, locations) in result.ambiguous.sorted(by: { $0.key < $1.key }) {
                    print("\(school) staat er met vestigingen \(locations.joined(separator: ", ")) in en zonder hoofdvestiging 00: kies er een met --vestiging \(school)=\(locations[0]).")
                }
                for (school, others) in result.otherLocations.sorted(by: { $0.key < $1.key }) {
                    print("\(school) heeft ook vestiging \(others.joined(separator: ", ")) in het bestand; gebruikt is de hoofdvestiging (anders: --vestiging \(school)=\(others[0])).")
                }
                if !result.problems.isEmpty {
                    print("Overgeslagen regels (\(result.problems.count)):")
                    for problem in result.problems.prefix(20) { print("  \(problem)") }
                }
                print("De scholen ontvangen dit bij hun volgende synchronisatie.")
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Draai de bestuursserver (stopt netjes bij SIGTERM of Ctrl-C).")
        @OptionGroup var options: ReplicaOptions
        @Option(help: "The address to listen on.") var host = "127.0.0.1"
        @Option(help: "The port to listen on.") var port = 8450
        @Option(help: "Serve wss:// with this PEM certificate chain (with --tls-key); leave out to serve ws:// on loopback or behind a TLS proxy.") var tlsCert: String?
        @Option(help: "The PEM private key for --tls-cert.") var tlsKey: String?
        @Option(help: "Connections one address may hold at once (default 32). Behind a reverse proxy every school comes from the proxy's address: give at least the number of school replicas.")
        var connectionsPerAddress = 32

        func validate() throws {
            guard (1...100_000).contains(connectionsPerAddress) else { throw ValidationError("--connections-per-address must be 1 to 100000") }
        }

        func run() async throws {
            let board: BoardReplica
            do { board = try BoardReplica.open(directory: options.directory) } catch {
                FileHandle.standardError.write(Data("kcsync: \(error.message)\n".utf8))
                throw ExitCode(1)
            }
            var logger = Logger(label: "kcsync.board")
            logger.logLevel = .info
            let registry = bootstrapMetrics()
            let tls: TLSConfiguration?
            do { tls = try serverTLS(certificate: tlsCert, key: tlsKey, options: ("--tls-cert", "--tls-key")) } catch {
                FileHandle.standardError.write(Data("kcsync: \(error.message)\n".utf8))
                throw ExitCode(1)
            }
            let scheme = tls == nil ? "ws" : "wss"
            let web = tls == nil ? "http" : "https"
            let host = host
            let notifier = ChangeNotifier()
            let guardian = ConnectionGuard(maximumPerAddress: connectionsPerAddress, logger: logger)
            let app = try buildBoardApplication(board: board, host: host, port: port, notifier: notifier, logger: logger, metrics: registry, tls: tls,
                                                guardian: guardian) { port in
                if let port {
                    FileHandle.standardOutput.write(Data("Bestuursserver luistert op \(scheme)://\(host):\(port); pagina's op \(web)://\(host):\(port)/\n".utf8))
                }
            }
            if board.accounts().isEmpty {
                logger.notice("no board accounts yet: the pages and the API refuse everyone; make one with 'kcsync board add-user NAME'")
            }
            // An advice written at the board with 'kcsync advice add' goes out to the schools at once.
            let watcher = StoreWatcher(store: board.store, scopes: [board.scope], notifier: notifier)
            // Bewaartermijnen of the board scope: what is due is erased once a day.
            let retentionLogger = logger
            let retention = PeriodicTask(name: "retention", every: .seconds(86_400), logger: logger) {
                let erased = try board.applyRetention()
                if !erased.isEmpty { retentionLogger.notice("retention erased records past their term", metadata: ["count": "\(erased.count)"]) }
            }
            let group = ServiceGroup(configuration: .init(services: [app, watcher, retention], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }
}
