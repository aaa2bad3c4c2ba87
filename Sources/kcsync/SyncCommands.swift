import ArgumentParser
import Foundation
import Metrics
import Prometheus
import KCModel
import KCReplica
import SchoolWeb
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
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Stel het bestuursadres, de sleutel van het bestuur, de CA voor wss:// of de signaleringswaarde 2F/1S in.",
                                                    subcommands: [BoardURL.self, BoardKey.self, BoardCA.self, Floor2F1S.self])

    struct BoardKey: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "board-key", abstract: "Leg de sleutel van het bestuur vast (uit 'kcsync board key' op de server): alleen een server met die sleutel is het bestuur.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The board's public key, 64 hex digits.") var key: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                try replica.setBoardKey(key)
                if options.json { try printJSON(["boardKey": key.lowercased()]) } else { print("Sleutel van het bestuur vastgelegd: \(key.lowercased())") }
            }
        }
    }

    struct Floor2F1S: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "floor-2f1s", abstract: "De signaleringswaarde 2F/1S van de inspectie voor de schoolweging van deze school (percentage), of 'geen'.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "Percent, e.g. 52.5 (from the Inspectorate's table for the school's weging), or 'geen' to clear.") var percent: String

        func run() throws {
            let value: Double?
            if percent.lowercased() == "geen" { value = nil } else {
                guard let number = TrendCSV.number(percent) else {
                    throw ValidationError("'\(percent)' is geen getal; geef een percentage zoals 52,5.")
                }
                value = number
            }
            try reporting {
                let configuration = try options.open().setFloor2F1S(value)
                if options.json { try printJSON(configuration) } else {
                    print("Signaleringswaarde 2F/1S: \(configuration.floor2F1S.map { TrendMetric.percent2F1S.format($0) } ?? "niet ingesteld")")
                }
            }
        }
    }

    struct BoardURL: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "board-url", abstract: "Het adres van de bestuursserver, bijvoorbeeld wss://bestuur.example.nl:8450.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "wss:// address of the board server (ws:// only to 127.0.0.1 or localhost).") var url: String

        func run() throws {
            try reporting {
                let configuration = try options.open().setBoardURL(url)
                if options.json { try printJSON(configuration) } else { print("Bestuursadres ingesteld: \(url)") }
            }
        }
    }

    struct BoardCA: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "board-ca", abstract: "Vertrouw voor wss:// alleen de CA-certificaten in dit PEM-bestand (of 'system' voor de certificaten van het systeem).")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "A PEM file of CA certificates, or 'system'.") var file: String

        func run() throws {
            try reporting {
                let configuration = try options.open().setBoardCA(file == "system" ? nil : file)
                if options.json { try printJSON(configuration) } else { print("CA voor wss:// ingesteld: \(configuration.boardCA ?? "systeem")") }
            }
        }
    }
}

/// `kcsync sync`: one sync with the board and the peers now.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Synchroniseer nu één keer met het bestuur en de peers en meld wat er is verplaatst.")
    @OptionGroup var options: ReplicaOptions

    func run() async throws {
        try await reporting { try await sync() }
    }

    func sync() async throws {
        let replica = try options.open()
        let peers = replica.peers().filter { $0.url != nil }
        guard replica.configuration.boardURL != nil || !peers.isEmpty else {
            throw KCError(.invalidInput, "Er is geen bestuursserver en geen peer om mee te synchroniseren. Stel het bestuur in met: kcsync config board-url ws://HOST:8450")
        }
        var links: [[String: Any]]
        if let answer = await ControlClient.request("sync", directory: replica.directory), let reported = answer["links"] as? [[String: Any]] {
            // A daemon runs: it syncs, so that one process owns the links and the status file.
            links = reported
        } else {
            var logger = Logger(label: "kcsync.sync")
            logger.logLevel = .warning
            let terminal = isatty(STDERR_FILENO) == 1 && !options.json
            let outcomes = await SchoolDaemon.syncAll(replica: replica, notifier: ChangeNotifier(), status: StatusFile(directory: replica.directory),
                                                      logger: logger) { target, event in
                if terminal, case .progress(_, let received, let total) = event {
                    FileHandle.standardError.write(Data("\r\(target.name): \(received) van \(total) wijzigingen ontvangen".utf8))
                }
            }
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            links = outcomes.map(SchoolDaemon.describe)
        }
        let failed = links.filter { $0["error"] != nil }
        if options.json {
            let data = try JSONSerialization.data(withJSONObject: ["links": links,
                                                                   "received": links.reduce(0) { $0 + ($1["received"] as? Int ?? 0) },
                                                                   "sent": links.reduce(0) { $0 + ($1["sent"] as? Int ?? 0) }],
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for link in links {
                let name = link["link"] as? String ?? "?"
                if let error = link["error"] as? String {
                    print("\(name) (\(link["url"] as? String ?? "")): synchroniseren lukte niet (\(RemoteText.safe(error))).")
                } else {
                    let refused = link["refused"] as? Int ?? 0
                    print("\(name): \(link["received"] as? Int ?? 0) wijzigingen ontvangen, \(link["sent"] as? Int ?? 0) verzonden"
                          + (refused > 0 ? ", \(refused) geweigerd (zie kcsync status)." : "."))
                }
            }
        }
        if !failed.isEmpty {
            FileHandle.standardError.write(Data("kcsync: Niet elke synchronisatie lukte. Wat lokaal is opgeslagen blijft bewaard; probeer het later opnieuw.\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `kcsync daemon`: keeps the replica in sync with the board and the peers until SIGTERM or Ctrl-C.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "daemon", abstract: "Houd deze replica in sync met het bestuur en de peers (draait tot SIGTERM of Ctrl-C).")
    @OptionGroup var options: ReplicaOptions
    @Option(help: "Accept sessions from peers of this school on HOST:PORT, e.g. 192.168.1.20:8451 (TLS 1.3, peers authenticated by their keys; they connect with wss://); a bare PORT listens on 127.0.0.1 only.") var listen: String?
    @Flag(help: "Serve TLS on a loopback listener too (always on for any other address).") var tls = false
    @Option(help: "Serve the kc'er's pages on HOST:PORT ('uit' for none). On loopback log in with 'kcsync open'; any other address needs --web-cert and --web-key and accounts ('kcsync users add').") var web = "127.0.0.1:8452"
    @Option(help: "Serve the pages over HTTPS with this PEM certificate chain (with --web-key); required beyond loopback.") var webCert: String?
    @Option(help: "The PEM private key for --web-cert.") var webKey: String?

    func run() async throws {
        try await reporting { try await serve() }
    }

    func serve() async throws {
        let replica = try options.open()
        var listenAddress: SchoolDaemon.Listen?
        if let listen {
            guard let parsed = SchoolDaemon.Listen(listen) else {
                throw KCError(.invalidInput, "'\(listen)' is geen geldig adres om op te luisteren; gebruik HOST:POORT, bijvoorbeeld 192.168.1.20:8451, of alleen een poort voor 127.0.0.1.")
            }
            listenAddress = parsed
            if tls { listenAddress?.tls = true }
        }
        var webAddress: SchoolDaemon.Listen?
        let webTLS = try serverTLS(certificate: webCert, key: webKey, options: ("--web-cert", "--web-key"))
        if !["uit", "off", "none"].contains(web.lowercased()) {
            guard let parsed = SchoolDaemon.Listen(web) else {
                throw KCError(.invalidInput, "'\(web)' is geen adres voor de pagina's; gebruik HOST:POORT, bijvoorbeeld --web 127.0.0.1:8452 (of --web uit).")
            }
            // Checked before anything listens: beyond this machine only over TLS, with accounts.
            guard webTLS != nil || KCReplica.isLoopback(parsed.host) else { throw SchoolWeb.needsTLS }
            if webTLS != nil && replica.schoolAccounts().isEmpty {
                throw KCError(.invalidInput, "Buiten dit apparaat logt een kc'er in met een eigen account, en deze replica heeft er nog geen. Maak er een met: kcsync users add NAAM")
            }
            webAddress = parsed
        }
        if replica.configuration.boardURL == nil && replica.peers().isEmpty && listenAddress == nil && webAddress == nil {
            throw KCError(.invalidInput, "Er is geen bestuursserver, geen peer, geen --listen en geen --web. Stel het bestuur in met: kcsync config board-url ws://HOST:8450")
        }
        var logger = Logger(label: "kcsync.daemon")
        logger.logLevel = .info
        let registry = bootstrapMetrics()
        let services = try SchoolDaemon.services(replica: replica, listen: listenAddress, web: webAddress, webTLS: webTLS, logger: logger, metrics: registry, onListening: { port in
            if let port { FileHandle.standardOutput.write(Data("Luistert naar peers op poort \(port)\n".utf8)) }
        }, onWeb: { url in
            FileHandle.standardOutput.write(Data("Pagina's op \(url)/ (inloggen: \(webTLS == nil ? "kcsync open" : "met een account, of kcsync open --name ACCOUNT"))\n".utf8))
        })
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        StatusFile(directory: replica.directory).stopAll()
    }
}

/// `kcsync peer add|remove|list`: replicas of this school to sync with directly.
struct PeerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "peer", abstract: "Beheer andere replica's van deze school om direct mee te synchroniseren.",
                                                    subcommands: [Add.self, Remove.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Voeg een replica van deze school toe (met zijn sleutel uit 'kcsync key'; met een adres om er zelf mee te verbinden).")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "Where the peer's daemon listens (ws://host:8451); leave out for a peer that only connects here.") var url: String?
        @Option(help: "The peer's public key, 64 hex digits, from 'kcsync key' on that replica.") var key: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let peer = try replica.addPeer(publicKey: key, url: url)
                if options.json { try printJSON(peer) } else {
                    print("Peer \(peer.replica.prefix(8)) toegevoegd\(peer.url.map { " (\($0))" } ?? ""). Geef deze replica ook bij de peer op: kcsync peer add --key \(replica.publicKeyHex)")
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verwijder een peer (op sleutel, replica-id of adres).")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The peer's key, replica id (or their start) or address.") var peer: String

        func run() throws {
            try reporting {
                let removed = try options.open().removePeer(peer)
                if options.json { try printJSON(removed) } else { print("Peer \(removed.replica.prefix(8)) verwijderd.") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Toon de peers.")
        @OptionGroup var options: ReplicaOptions

        func run() async throws {
            try await reporting {
                let replica = try options.open()
                let saved = await daemonStatus(replica)
                if options.json { print(try peersJSON(replica, saved)); return }
                let peers = replica.peers()
                if peers.isEmpty { print("Geen peers."); return }
                for peer in peerLinks(replica, saved) {
                    print("\(peer["replica"] as? String ?? "")  \(peer["url"] as? String ?? "(verbindt zelf)")  \(peer["state"] as? String ?? "")  laatst \(peer["lastSync"] as? String ?? "nooit")")
                }
            }
        }
    }
}

/// Sends swift-metrics to a Prometheus registry, which `/metrics` serves.
func bootstrapMetrics() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}

/// `kcsync open`: a one-time login link for the kc'er's pages of this replica, printed and,
/// where a desktop is present, opened in the browser.
struct OpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open", abstract: "Maak een inloglink voor de pagina's van deze replica (één keer bruikbaar, tien minuten geldig).")
    @OptionGroup var options: ReplicaOptions
    @Option(help: "Your name, as author of what you write on the pages (default: $KCSYNC_AUTHOR or the login name).") var name: String?
    @Flag(help: "Only print the link; do not open a browser.") var noBrowser = false

    func run() throws {
        try reporting {
            let replica = try options.open()
            let saved = StatusFile.read(directory: replica.directory)
            let running = saved.map { !$0.writerIsGone && $0.pid != nil && $0.web != nil } ?? false
            let author = defaultAuthor(name)
            // Pages served beyond this machine let in accounts only: a link for another name
            // would not work there, so it is not made.
            if running, saved!.web!.hasPrefix("https:"), replica.schoolAccount(author) == nil {
                throw KCError(.notFound, "De pagina's staan open voor het netwerk, en daar logt alleen een account in; '\(author)' is er geen. Kies --name ACCOUNT (zie kcsync users list) of maak het met: kcsync users add \(author)")
            }
            let code = try replica.makeLoginCode(for: replica.schoolAccount(author)?.name ?? author)
            let base = running ? saved!.web! : "http://127.0.0.1:8452"
            let link = "\(base)/login?code=\(code)"
            if options.json {
                try printJSON(["url": link, "daemonServing": running ? "yes" : "no"])
                return
            }
            print(link)
            if !running {
                print("De daemon serveert de pagina's nu niet; start hem met: kcsync daemon --data \(replica.directory.path)")
            } else if !noBrowser, let opener = OpenCommand.desktopOpener() {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: opener)
                process.arguments = [link]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try? process.run()
            }
        }
    }

    /// xdg-open, when this session has a desktop.
    static func desktopOpener() -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil else { return nil }
        return ["/usr/bin/xdg-open", "/usr/local/bin/xdg-open"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
