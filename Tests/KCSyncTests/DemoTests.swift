import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncProtocol
import SyncStore
import Testing

/// `kcsync demo` end to end: eight school daemons and a board on loopback, real data, one
/// advice and eight reactions; then the board's database, its merged view, its API and its
/// pages in a real headless browser (Chromium, from Debian's packages).
@Suite(.serialized) struct DemoTests {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-demo-test-\(UUID().uuidString)")
    static let demo: CLI.Result? = {
        let cli = try? CLI()
        return try? cli?.run(["demo", "--once", "--data", root.path, "--port", "0"])
    }()

    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    static func ranDemo() throws -> CLI.Result {
        let result = try #require(demo, "the demo did not run")
        try #require(result.status == 0, "demo failed: \(result.err)\n\(result.out)")
        return result
    }

    /// Every text of the demo that must stay at its school: pupil-level and sensitive notes,
    /// conversations with parents, pupil-level agreements, read from the schools' replicas.
    static func schoolOnlyTexts() throws -> [String] {
        var texts: [String] = []
        for brin in ["03AB", "05CD", "07EF", "09GH", "11JK", "13LM", "15NP", "17RS"] {
            let replica = try KCReplica.open(directory: root.appendingPathComponent(brin))
            for note in try replica.notes() where note.subject == .pupil || note.sensitive || note.category?.staysAtSchool == true {
                texts.append(note.title)
                texts.append(String(note.body.prefix(40)))
                if let marker = note.body.range(of: #"\(\#(brin)-[a-z-]+\)"#, options: .regularExpression) { texts.append(String(note.body[marker])) }
            }
            for agreement in try replica.agreements() where agreement.level == .pupil { texts.append(agreement.title) }
        }
        return texts
    }

    @Test func theDemoSyncsEightSchoolsAndEveryReactionReachesTheBoard() async throws {
        let result = try DemoTests.ranDemo()
        #expect(result.out.contains("8 van 8 scholen binnen bij het bestuur"), "\(result.out)")
        #expect(result.out.contains("1 trendadvies met 8 reacties"))
        #expect(result.out.contains("Gestopt."))
        let view = try CLI().run(["board", "view", "--json", "--data", DemoTests.root.appendingPathComponent("board").path]).object()
        #expect((view["schools"] as? [String])?.count == 8)
        let advice = try #require((view["advice"] as? [[String: Any]])?.first)
        #expect((advice["reactions"] as? [[String: Any]])?.count == 8)
        #expect((advice["waitingFor"] as? [String])?.isEmpty == true)
        let signals = try #require(view["signals"] as? [[String: Any]])
        #expect(signals.contains { ($0["text"] as? String) == "dalende trend begrijpend lezen groep 6–7 (% niveau I–II) bij 4 van 8 scholen" })
        // At a school that took the advice over: the linked local agreements.
        let school = try KCReplica.open(directory: DemoTests.root.appendingPathComponent("03AB"))
        #expect(try school.agreements().filter { $0.originKind == "advice" }.count == 2)
        // Every school's `status` shows the board link and nothing pending.
        let status = try CLI().run(["status", "--json", "--data", DemoTests.root.appendingPathComponent("07EF").path]).object()
        #expect((status["boardLink"] as? [String: Any])?["pending"] as? Int == 0)
    }

    /// Issue 14 in the demo: the board imported the Inspectie's (fictional) file; at every school
    /// kcsync's two indicators equal what the file says of it, and 13LM is below its 1S/2F
    /// value as the Inspectie shows it, at the school and in the board's view.
    @Test func theDemoJudgesItsSchoolsAsTheInspectiesFileDoes() async throws {
        let result = try DemoTests.ranDemo()
        #expect(result.out.contains("het bestand van de inspectie"), "\(result.out)")
        #expect(result.out.contains("% 1S/2F 42,67% onder de signaleringswaarde (45,5%)"), "\(result.out)")
        for school in ["03AB", "05CD", "07EF", "09GH", "11JK", "13LM", "15NP", "17RS"] {
            let indicators = try CLI().run(["trend", "inspectie", "--json", "--data", DemoTests.root.appendingPathComponent(school).path]).array()
            #expect(indicators.count == 2, "\(school)")
            for indicator in indicators {
                #expect(indicator["value"] as? Double == indicator["inspectiePublished"] as? Double, "\(school): \(indicator)")
                #expect(indicator["years"] as? [String] == ["2023-2024", "2024-2025", "2025-2026"])
            }
        }
        let view = try CLI().run(["board", "view", "--json", "--data", DemoTests.root.appendingPathComponent("board").path]).object()
        let inspection = try #require(view["inspection"] as? [[String: Any]])
        #expect(inspection.count == 8)
        let below = inspection.filter { school in
            (school["indicators"] as? [[String: Any]] ?? []).contains { $0["indicator"] as? String == "1S/2F" && $0["outcome"] as? String == "onder de signaleringswaarde" }
        }.compactMap { $0["school"] as? String }
        #expect(below == ["13LM"])
        // No board signal calls a subject's own series "onder de signaleringswaarde".
        let signals = try #require(view["signals"] as? [[String: Any]])
        #expect(!signals.contains { ($0["text"] as? String ?? "").contains("signaleringswaarde") })
    }

    @Test func noPupilLevelDemoNoteIsAnywhereInTheBoardsFiles() async throws {
        _ = try DemoTests.ranDemo()
        let texts = try DemoTests.schoolOnlyTexts()
        #expect(texts.count >= 8 * 7, "too few school-only texts to check: \(texts.count)")
        let board = DemoTests.root.appendingPathComponent("board")
        var bytes = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: board.path) {
            bytes += (try? Data(contentsOf: board.appendingPathComponent(name))) ?? Data()
        }
        // The check can see text: what the schools shared is there.
        #expect(bytes.range(of: Data("Leerteam 6-7: lesbezoeken begrijpend lezen".utf8)) != nil)
        for text in texts where !text.isEmpty {
            #expect(bytes.range(of: Data(text.utf8)) == nil, "found at the board: \(text)")
        }
    }

    /// The files of every place but 17RS: the board's and the other schools'.
    static func filesAwayFrom(_ school: String) throws -> Data {
        var bytes = Data()
        for place in try FileManager.default.contentsOfDirectory(atPath: root.path) where place != school {
            let directory = root.appendingPathComponent(place)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
                bytes += (try? Data(contentsOf: directory.appendingPathComponent(name))) ?? Data()
            }
        }
        return bytes
    }

    /// Both byte orders of a double: protobuf stores it little-endian, SQLite big-endian.
    static func encodings(_ value: Double) -> [Data] {
        let bits = value.bitPattern
        return [withUnsafeBytes(of: bits.littleEndian) { Data($0) }, withUnsafeBytes(of: bits.bigEndian) { Data($0) }]
    }

    @Test func aSmallCellsValueIsInNoFileBeyondItsSchool() async throws {
        _ = try DemoTests.ranDemo()
        let school = try KCReplica.open(directory: DemoTests.root.appendingPathComponent("17RS"))
        let figures = try school.trends()
        let small = figures.filter { $0.group == "7" }
        #expect(small.count == 16 && small.allSatisfy { $0.boardCopy != nil })
        let away = try DemoTests.filesAwayFrom("17RS")
        // The scan sees values: 17RS's shared groep 6 figures are at the board.
        let shared = figures.filter { $0.group == "6" }.compactMap(\.value)
        #expect(!shared.isEmpty && shared.allSatisfy { value in DemoTests.encodings(value).contains { away.range(of: $0) != nil } })
        // Values are rounded to a tenth, so some equal a figure another school shared: check
        // those that no shared figure has.
        let board = try BoardReplica.open(directory: DemoTests.root.appendingPathComponent("board"))
        // (and those the Inspectie's file and the schools' indicators put in the board scope)
        let book = InspectionBook(store: board.store, scope: board.scope)
        let inspection = try book.profiles().values.flatMap { [$0.schoolWeight, $0.threshold1S2F, $0.published1F, $0.published1S2F, $0.similar1F, $0.similar1S2F] }
            + (try book.shared().values.flatMap { $0.values.map(\.value) })
        let boardFigures = try BoardReport.figures(store: board.store, scope: board.scope)
        let sharedValues = Set(boardFigures.flatMap { [$0.value, $0.ambition, $0.inspectionThreshold, $0.nationalAverage] }.compactMap { $0 }
                               + inspection.compactMap { $0 })
        let distinct = small.filter { !sharedValues.contains($0.value!) }
        #expect(distinct.count >= 2, "too few distinct small-cell values to check: \(distinct.count)")
        for figure in distinct {
            for bytes in DemoTests.encodings(figure.value!) {
                #expect(away.range(of: bytes) == nil, "the value \(figure.value!) (\(figure.subjectArea) \(figure.period)) of a cell of 8 pupils left 17RS")
            }
        }
        // And no op anywhere at the board carries a number of pupils.
        for bytes in try board.store.changes(in: board.scope, missingFrom: VersionVector()) {
            let change = try SignedChange(serialized: bytes)
            for case .operations(let group) in change.groups {
                let ops = try EntityOperations(serialized: group)
                #expect(!ops.operations.contains { $0.field == "pupils" }, "a board change carries n")
            }
        }
    }

    @Test func figuresOverFewerThanTenPupilsAreSuppressedInTheBoardView() async throws {
        _ = try DemoTests.ranDemo()
        let view = try CLI().run(["board", "view", "--json", "--data", DemoTests.root.appendingPathComponent("board").path]).object()
        var suppressed = 0
        for subject in try #require(view["subjects"] as? [[String: Any]]) {
            for series in try #require(subject["series"] as? [[String: Any]]) {
                for point in try #require(series["points"] as? [[String: Any]]) {
                    if point["suppressed"] as? Bool == true {
                        suppressed += 1
                        #expect(point["value"] == nil && point["pupils"] == nil)
                        #expect(point["display"] as? String == "< 10" && point["pupilsBand"] as? String == "< 10")
                    } else {
                        // n is a band, never the number.
                        #expect(point["pupils"] == nil)
                        #expect(["10–19", "20–29", "30–49"].contains(point["pupilsBand"] as? String ?? ""))
                    }
                }
            }
        }
        // De Linde's groep 7 has 8 pupils: 4 subjects × 4 periods.
        #expect(suppressed == 16)
        // At the school itself the figures are there in full.
        let school = try KCReplica.open(directory: DemoTests.root.appendingPathComponent("17RS"))
        #expect(try school.trends().filter { $0.group == "7" }.allSatisfy { $0.pupils == 8 })
        let text = try CLI().run(["board", "view", "--data", DemoTests.root.appendingPathComponent("board").path, "--subject-area", "spelling"])
        #expect(text.out.contains("17RS  groep 7  % niveau I–II: < 10 → < 10 → < 10 → < 10"), "\(text.out)")
    }

    @Test func thePagesAndTheAPINeedABoardAccountAndShowTheBoardInABrowser() async throws {
        _ = try DemoTests.ranDemo()
        let boardDirectory = DemoTests.root.appendingPathComponent("board")
        let log = DemoTests.root.appendingPathComponent("serve.log")
        let (server, base) = try await EndToEndTests.serveBoard(boardDirectory, log: log)
        defer { server.kill(SIGTERM) }
        let secret = try String(contentsOf: DemoTests.root.appendingPathComponent("demo-login.txt"), encoding: .utf8).split(separator: "\n")[1]

        // Nothing without an account.
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", base + "/"]) == "302 \(base)/login")
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/api/v1/view"]) == "401")
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer wrong-secret", base + "/api/v1/view"]) == "401")
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", "-u", "demo:wrong-secret-123", base + "/api/v1/view"]) == "401")
        let jar = DemoTests.root.appendingPathComponent("cookies-\(UUID().uuidString)")
        #expect(try DemoTests.login(base, "naam=demo&wachtwoord=fout", jar: jar) == "401 ")
        // A login form posted without the form's token (from another site) is refused.
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", "--data", "naam=demo&wachtwoord=\(secret)", base + "/login"]) == "403")
        // /metrics too needs an account.
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", base + "/metrics"]) == "401")
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(secret)", base + "/metrics"]) == "200")
        // Every response carries the security headers.
        for path in ["/login", "/api/v1/view", "/health"] {
            let headers = try DemoTests.curl(["-D", "-", "-o", "/dev/null", base + path]).lowercased()
            #expect(headers.contains("content-security-policy: default-src 'none'") && headers.contains("frame-ancestors 'none'"), "\(path): \(headers)")
            #expect(headers.contains("x-content-type-options: nosniff") && headers.contains("x-frame-options: deny"), "\(path)")
            #expect(headers.contains("referrer-policy: no-referrer"), "\(path)")
        }
        // A login sends the browser only to a path of this site: not to //host or /\host.
        for evil in ["/%5Cevil.example", "//evil.example", "https://evil.example", "/%0D%0ALocation:%20x"] {
            let to = try DemoTests.login(base, "naam=demo&wachtwoord=\(secret)&next=\(evil)", jar: jar)
            #expect(to == "302 \(base)/", "next=\(evil) went to \(to)")
        }
        #expect(try DemoTests.login(base, "naam=demo&wachtwoord=\(secret)&next=/?vakgebied=rekenen", jar: jar) == "302 \(base)/?vakgebied=rekenen")

        // Every path of the OpenAPI document answers a board account with JSON.
        let openAPI = try String(contentsOf: DemoTests.repository.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)
        let paths = openAPI.split(separator: "\n").filter { $0.hasPrefix("  /api/") }.map { String($0.dropFirst(2).dropLast()) }
        #expect(paths.count >= 3)
        for path in paths {
            let body = try DemoTests.curl(["--fail", "-H", "Authorization: Bearer \(secret)", base + path])
            #expect((try? JSONSerialization.jsonObject(with: Data(body.utf8))) != nil, "\(path): \(body.prefix(200))")
        }
        let view = try DemoTests.curl(["--fail", "-u", "demo:\(secret)", base + "/api/v1/view?subjectArea=rekenen"])
        #expect(view.contains("\"board\":\"41234\""))
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(secret)", base + "/api/v1/view?period=gisteren"]) == "400")
        // '+' for a space, as most HTTP clients encode it; a parameter given empty is an error.
        let plus = try DemoTests.curl(["--fail", "-H", "Authorization: Bearer \(secret)", base + "/api/v1/view?period=2025-2026+E&subjectArea=begrijpend+lezen"])
        #expect(plus.contains("\"period\":\"2025-2026 E\"") && plus.contains("\"subjectArea\":\"begrijpend lezen\""), "\(plus.prefix(300))")
        for empty in ["period=", "subjectArea="] {
            #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(secret)", base + "/api/v1/view?\(empty)"]) == "400", "\(empty)")
        }
        // What the generated server refuses gets the document's Error body and the right status.
        let auth = ["-H", "Authorization: Bearer \(secret)"]
        let subject = try DemoTests.curl(auth + ["-w", " %{http_code}", base + "/api/v1/signals?subjectArea=gym"])
        #expect(subject.hasPrefix(#"{"error":"invalid_subject_area""#) && subject.hasSuffix(" 400"), "\(subject)")
        let html = try DemoTests.curl(auth + ["-H", "Accept: text/html", "-w", " %{http_code}", base + "/api/v1/advice"])
        #expect(html.hasPrefix(#"{"error":"not_acceptable""#) && html.hasSuffix(" 406"), "\(html)")
        // A method the document does not name: 405 with Allow for an account, 401 for anyone else.
        for method in ["POST", "PUT", "DELETE", "PATCH", "TRACE"] {
            let refused = try DemoTests.curl(auth + ["-X", method, "-D", "-", "-o", "/dev/null", base + "/api/v1/view"]).lowercased()
            #expect(refused.hasPrefix("http/1.1 405") && refused.contains("allow: get"), "\(method): \(refused.prefix(200))")
            #expect(try DemoTests.curl(["-X", method, "-o", "/dev/null", "-w", "%{http_code}", base + "/api/v1/view"]) == "401", "\(method)")
        }
        // HEAD is the GET's head: same status and length, no body.
        let full = try DemoTests.curl(auth + [base + "/api/v1/view"])
        let head = try DemoTests.curl(auth + ["-I", base + "/api/v1/view"]).lowercased()
        #expect(head.hasPrefix("http/1.1 200") && head.contains("content-length: \(full.utf8.count)"), "\(head.prefix(300))")

        // A real browser, logged in with a one-time link, sees what a board member would.
        let link = try #require(try CLI().run(["board", "login-link", "demo", "--json", "--url", base, "--data", boardDirectory.path]).object()["url"] as? String)
        // Opening the link (as a mail scanner would) spends nothing: it shows a button.
        for _ in 0..<2 {
            let shown = try DemoTests.curl(["-w", "\n%{http_code}", link])
            #expect(shown.hasSuffix("200") && shown.contains("Inloggen als demo"), "\(shown.suffix(300))")
        }
        let browser = try await Browser()
        try browser.open(link)
        try browser.click("#inloggen")
        #expect(try browser.waitForPage(base + "/"))
        let dom = try browser.source()
        #expect(dom.contains("Trendoverzicht bestuur 41234"), "\(dom.prefix(500))")
        #expect(dom.contains("ingelogd als demo"))
        #expect(dom.contains("dalende trend begrijpend lezen groep 6–7 (% niveau I–II) bij 4 van 8 scholen"))
        #expect(dom.contains("overgenomen") && dom.contains("niet van toepassing"))
        #expect(dom.contains("Wacht nog op") == false)
        #expect(dom.contains("class=\"onderdrukt\""))
        #expect(dom.contains("&lt; 10"))
        #expect(dom.components(separatedBy: "<svg").count > 100, "charts missing")
        #expect(dom.contains("Collegiale lesbezoeken begrijpend lezen in groep 6 en 7"))
        let violations = try browser.accessibilityViolations()
        #expect(violations.isEmpty, "the board's overview: \(violations.joined(separator: "; "))")
        for text in try DemoTests.schoolOnlyTexts() where !text.isEmpty {
            #expect(!dom.contains(DemoTests.escape(text)), "a school-only text on the board's page: \(text)")
        }
        // A space written as '+' in the page's query (as form encoding does) picks that period.
        let form = try DemoTests.curl(["--fail", "-u", "demo:\(secret)", base + "/?periode=2024-2025+E&vakgebied=begrijpend+lezen"])
        #expect(form.contains("class=\"actief\">2024-2025 E<") && form.contains("class=\"actief\">begrijpend lezen<"), "the page ignored the '+'")
        // The link worked once only.
        let reused = try DemoTests.curl(["-w", "\n%{http_code}", link])
        #expect(reused.hasSuffix("401") && reused.contains("verlopen of al gebruikt"))
        // And the screenshot for the README comes from the same browser.
        let shot = DemoTests.root.appendingPathComponent("board.png")
        let png = try browser.screenshot()
        try png.write(to: shot)
        #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]) && png.count > 50_000)
    }

    @Test func aSecondRunServesTheSameDataUntilCtrlC() async throws {
        _ = try DemoTests.ranDemo()
        let log = DemoTests.root.appendingPathComponent("again.log")
        let demo = try EndToEndTests.Background(["demo", "--data", DemoTests.root.path, "--port", "0"], log: log)
        defer { demo.kill(SIGKILL) }
        let serving = await EndToEndTests.eventually(60) {
            ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("De demo draait; stop met Ctrl-C.")
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(serving, "\(text)")
        #expect(text.contains("Bestaande demodata"))
        #expect(text.contains("1 trendadvies met 8 reacties"), "the second run wrote a second advice or lost reactions: \(text)")

        // Each school's pages, with the login link the demo printed: a kc'er of 03AB sees the
        // school's notes and the board's advice, and nothing of another school.
        let link = try #require(text.range(of: #"03AB .*(http://127\.0\.0\.1:\d+/login\?code=[0-9a-f]+)"#, options: .regularExpression)
            .map { String(text[$0]).split(separator: " ").last.map(String.init) ?? "" }, "no link for 03AB: \(text)")
        let browser = try await Browser()
        try browser.open(link)
        try browser.click("#inloggen")
        #expect(try await EndToEndTests.eventually(30) { try browser.source().contains("Trendadvies zonder reactie") })
        let violations = try browser.accessibilityViolations()
        #expect(violations.isEmpty, "Vandaag of 03AB with the demo's data: \(violations.joined(separator: "; "))")
        let today = try browser.source()
        #expect(today.contains("school 03AB") && today.contains("Nieuwste notities"), "\(today.prefix(1500))")
        try browser.screenshot().write(to: DemoTests.root.appendingPathComponent("school-vandaag.png"))
        let pagesBase = String(link.prefix { $0 != "?" }.dropLast("/login".count))
        try browser.open(pagesBase + "/notities")
        let notes = try browser.source()
        let own = try KCReplica.open(directory: DemoTests.root.appendingPathComponent("03AB")).notes()
        #expect(!own.isEmpty && own.allSatisfy { notes.contains(DemoTests.escape($0.title)) }, "every note of 03AB is listed")
        let other = try KCReplica.open(directory: DemoTests.root.appendingPathComponent("05CD")).notes().filter { $0.boardCopy == nil }
        #expect(!other.contains { notes.contains(DemoTests.escape($0.title)) }, "no school-only note of 05CD")
        try browser.open(pagesBase + "/advies")
        #expect(try browser.source().contains("Uw reactie:"))
        // The school's series with the other schools' range beside them, from what they shared.
        try browser.open(pagesBase + "/trends")
        let trends = try browser.source()
        #expect(trends.contains("<svg") && trends.contains("andere scholen") && trends.contains("begrijpend lezen"),
                "\(trends.suffix(2000))")
        // The Inspectie's judgment of the school, each indicator per school year with the similar schools as a line.
        #expect(trends.contains("Zoals de inspectie oordeelt") && trends.contains("60,36%") && trends.contains("grijs: vergelijkbare scholen"),
                "\(trends.prefix(6000))")
        try browser.screenshot().write(to: DemoTests.root.appendingPathComponent("school-trends.png"))

        Foundation.kill(demo.process.processIdentifier, SIGINT)
        #expect(await EndToEndTests.eventually(20) { !demo.process.isRunning }, "the demo did not stop on Ctrl-C")
        #expect(demo.process.terminationStatus == 0)
        #expect(((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("Stoppen"))
        // Stopped cleanly: no control socket left behind, every school's status says stopped.
        #expect(!FileManager.default.fileExists(atPath: DemoTests.root.appendingPathComponent("03AB/control.sock").path))
        let status = try CLI().run(["status", "--json", "--data", DemoTests.root.appendingPathComponent("03AB").path]).object()
        #expect((status["boardLink"] as? [String: Any])?["state"] as? String == "stopped")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Logs in through the form as a browser does (the form's page first, for its token and
    /// cookie); returns the status and where it sent the browser.
    static func login(_ base: String, _ form: String, jar: URL) throws -> String {
        let page = try curl(["-c", jar.path, "-b", jar.path, base + "/login"])
        let token = try #require(page.range(of: #"name="token" value="[0-9a-f]+""#, options: .regularExpression)
            .map { page[$0].split(separator: "\"").last.map(String.init) ?? "" }, "no token in the login form")
        return try curl(["-c", jar.path, "-b", jar.path, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                         "--data", form + "&token=" + token, base + "/login"])
    }

    static func curl(_ arguments: [String]) throws -> String {
        try run("/usr/bin/env", ["curl", "--silent", "--show-error"] + arguments)
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try CLI.launch(process)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
