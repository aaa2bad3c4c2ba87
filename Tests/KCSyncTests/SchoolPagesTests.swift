import Foundation
import KCReplica
import SyncCore
import SyncStore
import Testing

/// The kc'er's own pages (issue 12), as a kc'er uses them: a real headless Chromium against a
/// school daemon with a board and a second replica of the school (a laptop peer), all real
/// processes on loopback.
@Suite(.serialized) struct SchoolPagesTests {
    typealias Background = EndToEndTests.Background

    @Test func aKcerWorksInTheBrowserAndSeesWhatArrivesWithoutReloading() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-pages-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let cli = try CLI()
        @discardableResult func kc(_ arguments: String...) throws -> CLI.Result {
            let result = try cli.run(arguments)
            #expect(result.status == 0, "kcsync \(arguments.joined(separator: " ")): \(result.err)")
            return result
        }
        let (boardPort, peerPort, webPort) = (try Browser.freePort(), try Browser.freePort(), try Browser.freePort())
        let boardDir = root.appendingPathComponent("board").path
        let desk = root.appendingPathComponent("desk").path
        let laptop = root.appendingPathComponent("laptop").path
        try kc("board", "init", "--board", "41234", "--data", boardDir)
        try kc("init", "--school", "12AB", "--board", "41234", "--board-url", "ws://127.0.0.1:\(boardPort)", "--data", desk)
        try kc("init", "--school", "12AB", "--board", "41234", "--data", laptop)
        try kc("board", "add-school", "12AB", "--key", try kc("key", "--data", desk).out.trimmed, "--data", boardDir)
        try kc("peer", "add", "ws://127.0.0.1:\(peerPort)", "--key", try kc("key", "--data", desk).out.trimmed, "--data", laptop)
        try kc("peer", "add", "--key", try kc("key", "--data", laptop).out.trimmed, "--data", desk)
        // What the school has already: a note about a pupil, and an advice of the board.
        let pupil = try kc("note", "add", "--json", "--data", desk, "--role", "zorgregisseur", "--category", "leerlingbespreking",
                           "--subject", "pupil", "--title", "Bespreking Daan", "--body", "Daan leest nog moeizaam.")
        let pupilID = try #require(try pupil.object()["id"] as? String)
        try kc("advice", "add", "--data", boardDir, "--period", "2025-2026 M", "--subject-area", "begrijpend lezen",
               "--signal", "dalende trend begrijpend lezen groep 6", "--advice", "Plan een leerteam over begrijpend lezen.",
               "--suggest", "Leerteam begrijpend lezen plannen", "--suggest", "Methode evalueren", "--author", "bestuur")

        let board = try Background(["board", "serve", "--port", "\(boardPort)", "--data", boardDir], log: root.appendingPathComponent("board.log"))
        defer { board.kill(SIGTERM) }
        let daemon = try Background(["daemon", "--listen", "127.0.0.1:\(peerPort)", "--web", "127.0.0.1:\(webPort)", "--data", desk],
                                    log: root.appendingPathComponent("desk.log"))
        defer { daemon.kill(SIGTERM) }
        let base = "http://127.0.0.1:\(webPort)"
        func log() -> String { ((try? String(contentsOf: root.appendingPathComponent("desk.log"), encoding: .utf8)) ?? "").suffix(3000).description }
        #expect(await EndToEndTests.eventually(20) { ((try? DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/login"])) ?? "") == "200" }, "\(log())")

        // Nothing without a login; a form without its token is refused.
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", base + "/notities"]) == "303 \(base)/login")
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/live"]) == "401")
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", "--data", "titel=x", base + "/notities"]) == "303")
        let jar = root.appendingPathComponent("jar").path
        let viaCurl = try #require(try kc("open", "--json", "--no-browser", "--name", "Curl", "--data", desk).object()["url"] as? String)
        let button = try DemoTests.curl(["-c", jar, "-b", jar, viaCurl])
        let loginToken = try #require(button.range(of: #"name="token" value="[0-9a-f]+""#, options: .regularExpression).map { String(button[$0].dropLast().suffix(32)) })
        let code = String(viaCurl.split(separator: "=").last!)
        #expect(try DemoTests.curl(["-c", jar, "-b", jar, "-o", "/dev/null", "-w", "%{http_code}", "--data", "code=\(code)&token=\(loginToken)", base + "/login"]) == "303")
        #expect(try DemoTests.curl(["-c", jar, "-b", jar, "-o", "/dev/null", "-w", "%{http_code}", "--data",
                                    "titel=Zonder+token&rol=trendAnalyst&categorie=overig", base + "/notities"]) == "403")
        #expect(try !kc("note", "list", "--json", "--data", desk).out.contains("Zonder token"))
        // The CSV upload checks the token too (it is multipart, read apart from the other forms).
        let upload = root.appendingPathComponent("upload.csv")
        try Data(contentsOf: DemoTests.repository.appendingPathComponent("Examples/trends.csv")).write(to: upload)
        #expect(try DemoTests.curl(["-c", jar, "-b", jar, "-o", "/dev/null", "-w", "%{http_code}", "-F", "token=0000", "-F", "bestand=@\(upload.path)",
                                    base + "/trends"]) == "403")
        #expect(try kc("trend", "list", "--json", "--data", desk).array().isEmpty)

        // The kc'er logs in with a one-time link.
        let link = try #require(try kc("open", "--json", "--no-browser", "--name", "Anne de Vries", "--data", desk).object()["url"] as? String)
        let browser = try await Browser()
        // axe-core on every page: no serious or critical violation.
        func accessible(_ page: String) throws {
            let violations = try browser.accessibilityViolations()
            #expect(violations.isEmpty, "\(page): \(violations.joined(separator: "; "))")
        }
        try browser.open(link)
        try accessible("the login link's page")
        try browser.click("#inloggen")
        #expect(try browser.waitForPage(base + "/"))
        var page = try browser.source()
        #expect(page.contains("Ingelogd als Anne de Vries") && page.contains("Vandaag"), "\(page.prefix(500))")
        try accessible("Vandaag")
        #expect(await EndToEndTests.eventually(20) { (try? browser.open(base + "/")) != nil && ((try? browser.source()) ?? "").contains("dalende trend begrijpend lezen groep 6") },
                "the board's advice reaches the start page")
        // The link does not work twice.
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", link]) == "401")

        // A new note, written in the form; then shared with the board.
        try browser.open(base + "/notities/nieuw")
        try accessible("the new note's form")
        try browser.type("#titel", "Leerteam begrijpend lezen")
        try browser.click("#rol option[value=learningCoordinator]")
        try browser.click("#categorie option[value=leerteamoverleg]")
        try browser.click("#onderwerp option[value=leerteam]")
        try browser.type("#tekst", "Het leerteam kiest voor modelen met hardop denken.")
        try browser.click("#opslaan")
        #expect(try await EndToEndTests.eventually(30) {
            let shown = try browser.source()
            return shown.contains("<h2>Leerteam begrijpend lezen</h2>") && shown.contains("modelen met hardop denken")
        }, "\(((try? browser.source()) ?? "").suffix(1500))")
        let noteURL = try browser.url()
        try accessible("a note")
        try browser.click("form[action$=delen] button")
        // (On a loaded machine the click may return before the answer is in.)
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("Gedeeld met het bestuur.") }, "\(((try? browser.source()) ?? "").suffix(1500))")
        #expect(try await EndToEndTests.eventually(60) {
            let shared = try BoardReplica.open(directory: URL(fileURLWithPath: boardDir))
            return try shared.store.entityIDs(type: KCReplica.noteType, in: shared.scope).contains {
                try shared.store.entityState($0, type: KCReplica.noteType, in: shared.scope)?.value(of: "title")?.text == "Leerteam begrijpend lezen"
            }
        }, "the shared note reaches the board")
        // …and the board's page shows it to a board account.
        let secret = try #require(try kc("board", "add-user", "bestuurder", "--json", "--data", boardDir).object()["secret"] as? String)
        #expect(try await EndToEndTests.eventually(30) {
            try DemoTests.curl(["-u", "bestuurder:\(secret)", "http://127.0.0.1:\(boardPort)/"]).contains("modelen met hardop denken")
        }, "the board's page shows the shared note")

        // Search finds it; the pupil note says why it cannot be shared, and has no share button.
        try browser.open(base + "/notities?zoek=hardop")
        page = try browser.source()
        #expect(page.contains("Leerteam begrijpend lezen") && !page.contains("Bespreking Daan"))
        try accessible("Notities with a search")
        try browser.open(base + "/notities/\(pupilID)")
        page = try browser.source()
        #expect(page.contains("kan niet worden gedeeld") && !page.contains("Delen met het bestuur</button>"), "\(page.suffix(1500))")
        try accessible("a pupil note")

        // The editor: a change made at the laptop while the form is open survives the save.
        try browser.open(noteURL + "/bewerken")
        let opened = try browser.url()
        try accessible("the editor")
        try kc("sync", "--data", laptop)
        let onLaptop = try #require(try kc("note", "list", "--json", "--data", laptop).array().first { $0["title"] as? String == "Leerteam begrijpend lezen" }?["id"] as? String)
        try kc("note", "edit", onLaptop, "--body", "Het leerteam kiest voor modelen met hardop denken. Evaluatie in juni.", "--data", laptop)
        try kc("sync", "--data", laptop)
        try browser.type("#tekst", "Het team kiest voor modelen met hardop denken.")
        try browser.click("#opslaan")
        #expect(try await EndToEndTests.eventually(30) { try browser.url() == noteURL }, "saved from \(opened): \(((try? browser.source()) ?? "").suffix(1500))")
        let merged = try kc("note", "show", onLaptop, "--json", "--data", desk).object()["body"] as? String
        #expect(merged == "Het team kiest voor modelen met hardop denken. Evaluatie in juni.")

        // An advice answered with overgenomen, its afspraken edited first.
        try browser.open(base + "/advies")
        try accessible("Trendadvies")
        try browser.click("input[name=reactie][value=overgenomen]")
        try browser.type("textarea[name=afspraken]", "Leerteam begrijpend lezen plannen in maart\nMethode evalueren")
        try browser.type("input[name=eigenaar]", "Anne")
        try browser.click("form[action^='/advies/'] button[type=submit]")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("met 2 afspraken") }, "\(((try? browser.source()) ?? "").suffix(2000))")
        try browser.open(base + "/afspraken")
        page = try browser.source()
        #expect(page.contains("Leerteam begrijpend lezen plannen in maart") && page.contains("trendadvies: dalende trend"), "\(page.suffix(2000))")
        try accessible("Afspraken")
        // An afspraak's status, changed on the page.
        let methode = try #require(try kc("agreement", "list", "--json", "--data", desk).array().first { $0["title"] as? String == "Methode evalueren" }?["id"] as? String)
        try browser.click("#status-\(methode) option[value=lopend]")
        try browser.click("button[aria-label='Status van Methode evalueren opslaan']")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("Methode evalueren: lopend.") }, "\(((try? browser.source()) ?? "").suffix(2000))")
        #expect(try kc("agreement", "list", "--json", "--data", desk).array().first { $0["id"] as? String == methode }?["status"] as? String == "lopend")

        // Trends: a file with a bad line is refused with its line number and writes nothing;
        // the leerteams' file (as Excel saves it) then gives the charts and the falling signal.
        let example = try String(contentsOf: DemoTests.repository.appendingPathComponent("Examples/trends.csv"), encoding: .utf8)
        let bad = root.appendingPathComponent("fout.csv")
        try (example + "rekenen;2025-2026 M;6;pct-niveau-I-II;veel;27;;;;;\n").write(to: bad, atomically: true, encoding: .utf8)
        try browser.open(base + "/trends")
        try accessible("Trends, empty")
        try browser.attach("#bestand", bad.path)
        try browser.click("#inlezen")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("regel 12") }, "\(((try? browser.source()) ?? "").suffix(2000))")
        #expect(try kc("trend", "list", "--json", "--data", desk).array().isEmpty)
        let good = root.appendingPathComponent("trends.csv")
        try Data(example.replacingOccurrences(of: "\n", with: "\r\n").utf8).write(to: good)
        try browser.attach("#bestand", good.path)
        try browser.click("#inlezen")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("10 trendcijfers ingelezen") }, "\(((try? browser.source()) ?? "").suffix(2000))")
        page = try browser.source()
        #expect(page.contains("<svg") && page.contains("dalende trend") && page.contains("47,1%"), "\(page.suffix(3000))")
        try accessible("Trends with charts")

        // An LVS export (Boom-like, XLSX, by date): the first time the page asks which column
        // is what, with a preview; then it is read, and the next upload of that source is not asked.
        let export = DemoTests.repository.appendingPathComponent("Examples/lvs-boom-datum.xlsx").path
        try browser.attach("#bestand", export)
        try browser.click("#inlezen")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("Welke kolom is wat?") }, "\(((try? browser.source()) ?? "").suffix(2000))")
        page = try browser.source()
        #expect(page.contains("88 leerlingrijen worden deze groepscijfers") && page.contains("groep 7 · vaardigheidsgroei"), "\(page.suffix(3000))")
        try accessible("the export's column mapping")
        #expect(try kc("trend", "list", "--json", "--data", desk).array().count == 10, "the mapping page writes nothing")
        try browser.attach("#bestand", export)
        try browser.click("#inlezen-export")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("trendcijfers ingelezen") }, "\(((try? browser.source()) ?? "").suffix(2000))")
        let afterExport = try kc("trend", "list", "--json", "--data", desk).array().count
        #expect(afterExport > 10)
        try browser.open(base + "/trends")
        #expect(try !browser.source().contains("trendcijfers ingelezen"))
        try browser.attach("#bestand", export)
        try browser.click("#inlezen")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("trendcijfers ingelezen") }, "the source's mapping was not kept")
        #expect(try !browser.source().contains("Welke kolom"))

        // The three views, each at its own address.
        try browser.open(base + "/trends?weergave=dwarsdoorsnede&vakgebied=spelling&periode=2025-2026+E")
        page = try browser.source()
        #expect(page.contains("Dwarsdoorsnede: spelling, alle groepen in 2025-2026 E") && page.contains("gemiddelde vaardigheidsscore"), "\(page.suffix(3000))")
        try accessible("Trends, dwarsdoorsnede")
        try browser.open(base + "/trends?weergave=leergroei&vakgebied=spelling&maat=abilityGrowth&groep=7")
        page = try browser.source()
        #expect(page.contains("Leergroei: spelling, vaardigheidsgroei, het cohort dat in 2025-2026 E in groep 7 zit") && page.contains("groep 7 · 2025-2026 E"),
                "\(page.suffix(3000))")
        try browser.open(base + "/trends?weergave=trendanalyse&vakgebied=begrijpend+lezen")
        #expect(try browser.source().contains("Trendanalyse: begrijpend lezen"))

        // Live: a note written at the laptop appears on the open list without a reload.
        try browser.open(base + "/notities")
        try kc("note", "add", "--data", laptop, "--role", "leercoordinator", "--category", "observatie", "--title", "Klassenbezoek vanaf de laptop")
        try kc("sync", "--data", laptop)
        #expect(try await EndToEndTests.eventually(15) { try browser.source().contains("Klassenbezoek vanaf de laptop") }, "\(log())")
        #expect(try browser.url() == base + "/notities")

        // A conflict: Bram at the laptop and Anne at the desk retitle the same note at the same
        // time; the page shows each value with who wrote it, where and when.
        #expect(try cli.run(["note", "edit", onLaptop, "--title", "Titel van de laptop", "--data", laptop],
                            environment: ["KCSYNC_AUTHOR": "Bram Jansen"]).status == 0)
        try kc("note", "edit", onLaptop, "--title", "Titel van het bureau", "--data", desk)
        try kc("sync", "--data", laptop)
        try browser.open(base + "/conflicten")
        page = try browser.source()
        #expect(page.contains("Titel van de laptop") && page.contains("Titel van het bureau"), "\(page.suffix(2000))")
        let rows = page.components(separatedBy: "<tr>")
        #expect(rows.contains { $0.contains("Titel van de laptop") && $0.contains("Bram Jansen") && $0.contains("replica …") }, "\(page.suffix(2000))")
        #expect(rows.contains { $0.contains("Titel van het bureau") && $0.contains("Anne de Vries") && $0.contains("deze replica") }, "\(page.suffix(2000))")
        try accessible("Conflicten")
        try browser.click("button[aria-label='Kies Titel van de laptop']")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("Opgelost:") }, "\(((try? browser.source()) ?? "").suffix(2000))")
        try kc("sync", "--data", laptop)
        for dir in [desk, laptop] {
            let shown = try kc("note", "show", onLaptop, "--json", "--data", dir).object()
            #expect(shown["title"] as? String == "Titel van de laptop", "\(dir)")
            #expect((shown["conflicts"] as? [String] ?? ["?"]).isEmpty, "\(dir): \(shown)")
        }

        // AVG: erased after the confirmation, with a reason, here and at the laptop.
        try browser.open(noteURL + "/wissen")
        try accessible("the erasure's confirmation")
        try browser.type("#reden", "verzoek van de leerkracht")
        try browser.click("#wissen")
        #expect(try await EndToEndTests.eventually(30) { try browser.url() == base + "/notities?gewist=1" })
        #expect(try browser.source().contains("De notitie is gewist"))
        try kc("sync", "--data", laptop)
        for dir in [desk, laptop] {
            #expect(try !kc("note", "list", "--json", "--data", dir).out.contains("Titel van de laptop"), "\(dir)")
        }
    }
}
