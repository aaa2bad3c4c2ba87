import Foundation
import Testing

/// Issue 11's web promises, against the real `kcsync board serve` with curl as the browser and
/// the attacker: sessions survive a restart, a removed account's cookie is refused at once,
/// logins are throttled per account and address and every attempt is in the log with both
/// (and cannot forge a line of it), a login form needs its CSRF token, and a login link's GET
/// only shows a button while its POST spends it.
@Suite(.serialized) struct BoardLoginTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-login-\(UUID().uuidString)")
    var board: URL { root.appendingPathComponent("board") }

    /// Starts `board serve` on a free port; returns the process and its base URL.
    func serve(_ name: String) async throws -> (EndToEndTests.Background, String, URL) {
        let log = root.appendingPathComponent("\(name).log")
        let (server, base) = try await EndToEndTests.serveBoard(board, log: log)
        return (server, base, log)
    }

    func status(_ arguments: [String]) throws -> String {
        try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}"] + arguments)
    }

    @Test func sessionsThrottlingCSRFAndLinksHold() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let cli = try CLI()
        #expect(try cli.run(["board", "init", "--board", "41234", "--data", board.path]).status == 0)
        let anne = try #require(try cli.run(["board", "add-user", "anne", "--json", "--data", board.path]).object()["secret"] as? String)
        let bram = try #require(try cli.run(["board", "add-user", "bram", "--json", "--data", board.path]).object()["secret"] as? String)
        let jar = root.appendingPathComponent("anne.cookies")

        var (server, base, firstLog) = try await serve("first")
        #expect(try DemoTests.login(base, "naam=anne&wachtwoord=\(anne)", jar: jar) == "302 \(base)/")
        #expect(try DemoTests.curl(["-b", jar.path, base + "/"]).contains("ingelogd als anne"))

        // A restart keeps the session: it lives in the board's database.
        server.kill(SIGTERM)
        let log: URL
        (server, base, log) = try await serve("second")
        defer { server.kill(SIGTERM) }
        #expect(try DemoTests.curl(["-b", jar.path, base + "/"]).contains("ingelogd als anne"), "the session did not survive the restart")

        // Removing the account ends its session at once, on the running server.
        #expect(try cli.run(["board", "remove-user", "anne", "--data", board.path]).status == 0)
        #expect(try status(["-b", jar.path, base + "/"]) == "302 \(base)/login")
        #expect(try status(["-b", jar.path, base + "/api/v1/view"]).hasPrefix("401"))

        // Login CSRF: the form's token must match the login cookie.
        let stranger = root.appendingPathComponent("stranger.cookies")
        #expect(try status(["-c", stranger.path, "--data", "naam=bram&wachtwoord=\(bram)&token=0123456789abcdef0123456789abcdef", base + "/login"]) == "403 ")
        #expect(try DemoTests.curl(["-b", stranger.path, base + "/"]).contains("ingelogd als") == false)

        // A login link: its GET shows a button and spends nothing; its POST needs the form's
        // token; the POST spends it, once.
        let link = try #require(try cli.run(["board", "login-link", "bram", "--json", "--url", base, "--data", board.path]).object()["url"] as? String)
        let code = try #require(link.split(separator: "=").last.map(String.init))
        let linkJar = root.appendingPathComponent("link.cookies")
        for _ in 0..<2 { #expect(try DemoTests.curl(["-c", linkJar.path, "-b", linkJar.path, link]).contains("Inloggen als bram")) }
        #expect(try status(["--data", "code=\(code)", base + "/login/link"]) == "403 ", "a POST without the page's token")
        let page = try DemoTests.curl(["-c", linkJar.path, "-b", linkJar.path, link])
        let token = try #require(page.range(of: #"name="token" value="[0-9a-f]+""#, options: .regularExpression).map { page[$0].split(separator: "\"").last! })
        #expect(try status(["-c", linkJar.path, "-b", linkJar.path, "--data", "code=\(code)&token=\(token)", base + "/login/link"]) == "302 \(base)/")
        #expect(try DemoTests.curl(["-b", linkJar.path, base + "/"]).contains("ingelogd als bram"))
        #expect(try status(["-c", linkJar.path, "-b", linkJar.path, "--data", "code=\(code)&token=\(token)", base + "/login/link"]).hasPrefix("401"))
        #expect(try status([link]).hasPrefix("401"), "a spent link shows that it is spent")

        // Throttling: five wrong secrets for bram, then even the right one waits; so does
        // another account from the same address. A name with a line break forges no log line.
        let guesser = root.appendingPathComponent("guesser.cookies")
        for attempt in 0..<5 {
            #expect(try DemoTests.login(base, "naam=bram&wachtwoord=fout-\(attempt)", jar: guesser) == "401 ")
        }
        #expect(try DemoTests.login(base, "naam=bram&wachtwoord=\(bram)", jar: guesser) == "429 ")
        #expect(try DemoTests.login(base, "naam=iemand%0Aforged%20line&wachtwoord=x", jar: guesser) == "429 ")

        #expect(await EndToEndTests.eventually(5) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("throttled") })
        let lines = try (String(contentsOf: firstLog, encoding: .utf8) + String(contentsOf: log, encoding: .utf8)).split(separator: "\n")
        let refused = lines.filter { $0.contains("board login refused") && $0.contains("account=bram") && $0.contains("address=127.0.0.1") }
        #expect(refused.filter { $0.contains("outcome=wrong") }.count == 5, "\(lines.joined(separator: "\n"))")
        #expect(refused.contains { $0.contains("outcome=throttled") })
        #expect(lines.contains { $0.contains("board login") && $0.contains("account=anne") && $0.contains("outcome=ok") })
        #expect(lines.contains { $0.contains("outcome=link") && $0.contains("account=bram") })
        #expect(!lines.contains { $0.hasPrefix("forged") }, "a login name wrote a line of its own into the log")
        #expect(lines.contains { $0.contains("account=iemand forged line") })
    }
}
