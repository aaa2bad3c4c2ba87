import ArgumentParser
import Foundation
import KCReplica
import Logging
import SchoolDaemon
import ServiceLifecycle
import UnixSignals
import SyncStore
import SyncCore
import SyncNet
import Synchronization

/// `kcsync key`: this replica's public key, for the board's register.
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "key", abstract: "Toon de publieke sleutel van deze replica (voor 'kcsync board add-school').")
    @OptionGroup var options: ReplicaOptions

    func run() throws {
        try reporting {
            let replica = try options.open()
            if options.json { try printJSON(["publicKey": replica.publicKeyHex, "replica": replica.store.replicaID.hex, "school": replica.configuration.school]) } else {
                print(replica.publicKeyHex)
            }
        }
    }
}

/// `kcsync config board-url URL`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Stel het adres van de bestuursserver in.",
                                                    subcommands: [BoardURL.self])

    struct BoardURL: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "board-url", abstract: "Het adres van de bestuursserver, bijvoorbeeld ws://bestuur.example:8450.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "ws:// or wss:// address of the board server.") var url: String

        func run() throws {
            try reporting {
                let configuration = try options.open().setBoardURL(url)
                if options.json { try printJSON(configuration) } else { print("Bestuursadres ingesteld: \(url)") }
            }
        }
    }
}

/// Opens the replica and its board address, or exits 1 with a Dutch message.
func openWithBoard(_ options: ReplicaOptions) throws -> (KCReplica, String) {
    do {
        let replica = try options.open()
        guard let url = replica.configuration.boardURL else {
            throw KCError(.invalidInput, "Er is geen adres van de bestuursserver. Stel het in met: kcsync config board-url ws://HOST:8450")
        }
        return (replica, url)
    } catch let error as KCError {
        FileHandle.standardError.write(Data("kcsync: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
}

/// `kcsync sync`: one sync with the board now.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Synchroniseer nu één keer met het bestuur en meld wat er is verplaatst.")
    @OptionGroup var options: ReplicaOptions

    func run() async throws {
        let (replica, url) = try openWithBoard(options)
        var logger = Logger(label: "kcsync.sync")
        logger.logLevel = .warning
        let counts = Mutex((received: 0, sent: 0))
        let terminal = isatty(STDERR_FILENO) == 1 && !options.json
        let error = await BoardLinkService.syncOnce(replica: replica, url: url, notifier: ChangeNotifier(), logger: logger,
                                                    status: StatusFile(directory: replica.directory), stopWhenCaughtUp: true) { event in
            switch event {
            case .received(_, let n): counts.withLock { $0.received += n }
            case .sent(_, let n): counts.withLock { $0.sent += n }
            case .progress(_, let received, let total) where terminal:
                FileHandle.standardError.write(Data("\rOntvangen: \(received) van \(total) wijzigingen".utf8))
            default: break
            }
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let (received, sent) = counts.withLock { $0 }
        if let error {
            FileHandle.standardError.write(Data("kcsync: Synchroniseren met \(url) lukte niet (\(error)). Wat lokaal is opgeslagen blijft bewaard; probeer het later opnieuw.\n".utf8))
            throw ExitCode(1)
        }
        if options.json { try printJSON(["received": received, "sent": sent]) } else {
            print("Gesynchroniseerd met het bestuur: \(received) wijzigingen ontvangen, \(sent) verzonden.")
        }
    }
}

/// `kcsync daemon`: keeps the replica in sync with the board until SIGTERM or Ctrl-C.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", abstract: "Houd deze replica in sync met het bestuur (draait tot SIGTERM of Ctrl-C).")
    @OptionGroup var options: ReplicaOptions

    func run() async throws {
        let (replica, url) = try openWithBoard(options)
        var logger = Logger(label: "kcsync.daemon")
        logger.logLevel = .info
        let notifier = ChangeNotifier()
        let status = StatusFile(directory: replica.directory)
        let services: [any Service] = [
            LocalChangeWatcher(replica: replica, notifier: notifier),
            BoardLinkService(replica: replica, url: url, notifier: notifier, status: status, logger: logger),
        ]
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
