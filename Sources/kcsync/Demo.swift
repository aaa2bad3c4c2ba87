import ArgumentParser
import BoardServer
import Foundation
import KCModel
import KCReplica
import Logging
import SchoolDaemon
import ServiceLifecycle
import SyncCore
import SyncNet
import SyncStore
import Synchronization
import UnixSignals

/// `kcsync demo`: the main job on an embedded default. A board server and eight school
/// daemons on loopback, filled with a realistic board, synced; one trend advice at the board
/// and a reaction from every school; then the status of each school and the board's pages.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start een bestuur met acht scholen op deze computer, met realistische data, en toon het trendoverzicht.",
        discussion: """
            Everything runs in this process on 127.0.0.1: the board server (sync, pages, API) and one daemon per school, each with \
            its own SQLite replica. With --data DIR the data stays: DIR/board and DIR/<BRIN>, so every kcsync command works on it \
            afterwards (kcsync status --data DIR/03AB, kcsync board view --data DIR/board). A second run on the same DIR serves it again.
            """)

    @Option(help: "Keep the data here (default: a temporary directory, removed afterwards).") var data: String?
    @Option(help: "The board server's port on 127.0.0.1 (0: any free port).") var port = 8450
    @Flag(help: "Do everything, print the result and exit, instead of serving until Ctrl-C.") var once = false

    func run() async throws {
        try await reporting { try await demo() }
    }

    static func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    func demo() async throws {
        let temporary = data == nil
        let root = data.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-demo-\(BoardReplica.randomHex(4))")
        defer { if temporary { try? FileManager.default.removeItem(at: root) } }
        let boardDirectory = root.appendingPathComponent("board")
        let loginFile = root.appendingPathComponent("demo-login.txt")
        var logger = Logger(label: "kcsync.demo")
        logger.logLevel = .warning
        let today = KCReplica.systemToday()

        // 1. The data: a board, its schools, their keys registered, figures and notes.
        let fresh = !BoardReplica.isBoardDirectory(boardDirectory)
        let board: BoardReplica
        var schools: [(DemoData.School, KCReplica)] = []
        if fresh {
            if let contents = try? FileManager.default.contentsOfDirectory(atPath: root.path), !contents.isEmpty {
                throw KCError(.refused, "\(root.path) bestaat al en is geen demomap. Kies een lege of nieuwe map met --data.")
            }
            Demo.say("1/5 Demodata maken in \(root.path) …")
            board = try BoardReplica.create(in: boardDirectory, board: DemoData.board)
            for (index, school) in DemoData.schools.enumerated() {
                let replica = try KCReplica.create(in: root.appendingPathComponent(school.brin), school: school.brin, board: DemoData.board)
                let reopened = try KCReplica.open(directory: replica.directory)
                try reopened.addTrends(DemoData.figures(for: school))
                try DemoData.fillNotes(reopened, school: school, index: index, today: today)
                try board.register(school: school.brin, key: reopened.publicKeyHex)
                schools.append((school, reopened))
                Demo.say("    \(school.brin) \(school.name): trendcijfers, notities en afspraken in de drie rollen")
            }
            // The Inspectie's yearly file (fictional), as a board's IT person would import it.
            let file = root.appendingPathComponent("inspectie-referentieniveaus-fictief.ods")
            try? Data(base64Encoded: DemoData.inspectieFile.filter { !$0.isWhitespace })?.write(to: file)
            let imported = try board.importInspectie((try? Data(contentsOf: file)) ?? Data())
            Demo.say("    het bestand van de inspectie (\(file.lastPathComponent), fictief): \(imported.matched.count) van de \(schools.count) scholen gevonden, schoolweging en signaleringswaarde 1S/2F gaan naar de scholen")
            let secret = try board.addAccount(name: "demo")
            try? Data("demo\n\(secret)\n".utf8).write(to: loginFile)
            try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: loginFile.path)
        } else {
            Demo.say("1/5 Bestaande demodata in \(root.path) gebruiken …")
            board = try BoardReplica.open(directory: boardDirectory)
            for school in DemoData.schools {
                schools.append((school, try KCReplica.open(directory: root.appendingPathComponent(school.brin))))
            }
        }
        let login = (try? String(contentsOf: loginFile, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        let password = login.count > 1 ? login[1] : try board.addAccount(name: "demo")

        // 2. The board server, then the school daemons pointed at it.
        Demo.say("2/5 Bestuursserver en \(schools.count) schooldaemons starten op 127.0.0.1 …")
        let notifier = ChangeNotifier()
        let (ports, portSink) = AsyncStream<Int?>.makeStream()
        let app = try buildBoardApplication(board: board, host: "127.0.0.1", port: port, notifier: notifier, logger: logger) { port in
            portSink.yield(port)
            portSink.finish()
        }
        let boardGroup = ServiceGroup(configuration: .init(
            services: [app, StoreWatcher(store: board.store, scopes: [board.scope], notifier: notifier)], logger: logger))
        let boardTask = Task { try await boardGroup.run() }
        var boardPort: Int?
        for await value in ports { boardPort = value }
        guard let boardPort else {
            await boardGroup.triggerGracefulShutdown()
            _ = try? await boardTask.value
            throw KCError(.refused, "De bestuursserver kon niet starten op poort \(port); is die al in gebruik? Kies een andere met --port.")
        }
        var services: [any Service] = []
        var opened: [(DemoData.School, KCReplica)] = []
        // Each school's pages, on a free port of loopback.
        let pages = Mutex<[String: String]>([:])
        for (school, replica) in schools {
            _ = try replica.setBoardURL("ws://127.0.0.1:\(boardPort)")
            let current = try KCReplica.open(directory: replica.directory)
            opened.append((school, current))
            let brin = school.brin
            services += try SchoolDaemon.services(replica: current, listen: nil, web: SchoolDaemon.Listen("127.0.0.1:0"), logger: logger,
                                                  onWeb: { url in pages.withLock { $0[brin] = url } })
        }
        schools = opened
        let schoolGroup = ServiceGroup(configuration: .init(services: services, logger: logger))
        let schoolTask = Task { try await schoolGroup.run() }
        func stop() async {
            await schoolGroup.triggerGracefulShutdown()
            _ = try? await schoolTask.value
            for (_, replica) in schools { StatusFile(directory: replica.directory).stopAll() }
            await boardGroup.triggerGracefulShutdown()
            _ = try? await boardTask.value
        }

        do {
            // 3. Sync: every school's shared records reach the board.
            Demo.say("3/5 Synchroniseren met het bestuur …")
            var reported = -1
            try await Demo.waitUntil("alle scholen bij het bestuur binnen zijn") {
                let boardVector = try board.store.versionVector(board.scope)
                let done = try schools.filter { _, replica in
                    let own = try replica.store.versionVector(replica.boardScope)[replica.store.replicaID]
                    return boardVector[replica.store.replicaID] >= own
                }.count
                if done != reported { Demo.say("    \(done) van \(schools.count) scholen binnen bij het bestuur"); reported = done }
                return done == schools.count
            }

            // 4. One trend advice at the board, down to every school, and each school's reaction up.
            var advice = try board.adviceBook.all().first
            if advice == nil {
                let report = try board.report()
                let signal = report.signals.first { $0.kind == BoardSignal.Kind.falling.rawValue && $0.subjectArea == SubjectArea.readingComprehension.rawValue }
                    ?? report.signals.first
                let text = signal?.text ?? "dalende trend begrijpend lezen groep 6–7"
                Demo.say("4/5 Het bestuur ziet: \(text); het schrijft een trendadvies en de scholen reageren …")
                advice = try board.adviceBook.add(DemoData.advice(for: text))
                notifier.notify(board.scope)
            } else {
                Demo.say("4/5 Het trendadvies en de reacties staan er al …")
            }
            let adviceID = advice!.id
            try await Demo.waitUntil("het advies bij alle scholen is") {
                try schools.allSatisfy { _, replica in try replica.store.entityState(adviceID, type: KCSchemas.trendAdvice.name, in: replica.boardScope) != nil }
            }
            let answered = Set((try board.adviceBook.responses()[adviceID] ?? []).map(\.school))
            for (school, replica) in schools where !answered.contains(school.brin) {
                let (reaction, comment) = DemoData.reactions[school.brin] ?? (.seen, "")
                let (_, agreements) = try replica.respond(to: adviceID, reaction: reaction, comment: comment, owner: "Leerteam 6-7", due: today + 42)
                Demo.say("    \(school.brin) \(school.name): \(reaction.label)\(agreements.isEmpty ? "" : ", \(agreements.count) afspraken gemaakt")")
            }
            try await Demo.waitUntil("alle reacties bij het bestuur zijn") {
                (try board.adviceBook.responses()[adviceID]?.count ?? 0) >= schools.count
            }
            try await Demo.waitUntil("het bestand van de inspectie bij alle scholen is") {
                schools.allSatisfy { _, replica in replica.inspectionProfile() != nil }
            }

            // 5. What each school and the board now see.
            Demo.say("5/5 Klaar. De scholen:")
            for (school, replica) in schools {
                let status = try replica.status()
                let link = boardLink(replica, StatusFile.read(directory: replica.directory))
                let figures = try replica.trends().count
                Demo.say("    \(school.brin) \(school.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(status.notes) notities, \(status.agreements) afspraken, \(figures) trendcijfers; bestuur: \(link["state"] as? String ?? "-"), \(link["pending"] as? Int ?? 0) nog te bevestigen")
                // The Inspectie's indicators, as the Inspectie judges them.
                let judged = try replica.inspectionIndicators().compactMap { result -> String? in
                    guard let value = result.value, let outcome = result.outcome, let threshold = result.threshold else { return nil }
                    return "\(result.indicator.label) \(InspectionModel.percent(value)) \(outcome.rawValue) (\(InspectionModel.percent(threshold)))"
                }
                if !judged.isEmpty { Demo.say("         inspectie: " + judged.joined(separator: "; ")) }
            }
            let report = try board.report()
            Demo.say("")
            Demo.say("Bestuur \(DemoData.board) (\(DemoData.boardName)): \(report.schools.count) scholen, \(report.signals.count) signalen, \(report.advice.count) trendadvies met \(report.advice.first?.reactions.count ?? 0) reacties.")
            for signal in report.signals.prefix(4) { Demo.say("    - \(signal.text)") }
            Demo.say("")
            Demo.say("Trendoverzicht: http://127.0.0.1:\(boardPort)/   (inloggen als demo, wachtwoord \(password))")
            if let code = try? board.makeLoginCode(account: "demo") {
                Demo.say("Of direct:      http://127.0.0.1:\(boardPort)/login?code=\(code)   (één keer te gebruiken, tien minuten geldig)")
            }
            Demo.say("API:            curl -H 'Authorization: Bearer \(password)' http://127.0.0.1:\(boardPort)/api/v1/view")
            Demo.say("De pagina's van elke school (inloglink: één keer te gebruiken, tien minuten geldig; later: kcsync open --data MAP):")
            for (school, replica) in schools {
                guard let url = pages.withLock({ $0[school.brin] }), let code = try? replica.makeLoginCode(for: "kc'er \(school.name)") else { continue }
                Demo.say("    \(school.brin) \(school.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(url)/login?code=\(code)")
            }
            if temporary {
                Demo.say("Data:           \(root.path) (tijdelijk; met --data MAP blijft hij bewaard)")
            } else {
                Demo.say("Data:           \(root.path); bijvoorbeeld: kcsync status --data \(root.appendingPathComponent(schools[0].0.brin).path)")
            }
        } catch {
            await stop()
            throw error
        }
        if !once {
            Demo.say("De demo draait; stop met Ctrl-C.")
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
            Demo.say("Stoppen …")
        }
        await stop()
        if once { Demo.say("Gestopt.") }
    }

    /// Polls `done` every 100 ms for up to 60 s.
    static func waitUntil(_ what: String, _ done: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try done() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw KCError(.refused, "De demo wachtte een minuut tot \(what), tevergeefs. Draait er iets anders op deze poort?")
    }
}
