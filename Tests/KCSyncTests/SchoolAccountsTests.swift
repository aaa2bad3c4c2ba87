import Foundation
import KCReplica
import Testing

/// The school's pages beyond this machine (issue 12): served over TLS only, and only to a kc'er
/// with an account. Against the real `kcsync daemon` with curl as the browser and as the
/// attacker: no page without a login, plain HTTP gets nothing, a link made for a name without
/// an account opens nothing, a removed account's cookie is refused at once, and guessing is
/// throttled per account and address and logged.
@Suite(.serialized) struct SchoolAccountsTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-accounts-\(UUID().uuidString)")
    var school: String { root.appendingPathComponent("school").path }

    /// A self-signed certificate for 127.0.0.1 (openssl), which curl is told to trust.
    func certificate() throws -> (cert: String, key: String) {
        let cert = root.appendingPathComponent("web.pem").path, key = root.appendingPathComponent("web.key").path
        _ = try DemoTests.run("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                               "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                                               "-addext", "subjectAltName=IP:127.0.0.1"])
        try #require(FileManager.default.fileExists(atPath: key), "openssl made no key")
        return (cert, key)
    }

    @Test func beyondThisMachineOnlyAccountsGetInAndOnlyOverTLS() async throws {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let cli = try CLI()
        #expect(try cli.run(["init", "--school", "12AB", "--board", "41234", "--data", school]).status == 0)
        let (cert, key) = try certificate()
        let port = try Browser.freePort()

        // No account yet: nobody could log in, so the daemon refuses before anything listens.
        let none = try cli.run(["daemon", "--web", "127.0.0.1:\(port)", "--web-cert", cert, "--web-key", key, "--data", school])
        #expect(none.status == 1 && none.err.contains("kcsync users add"), "\(none.err)")

        let anne = try #require(try cli.run(["users", "add", "Anne", "--json", "--data", school]).object()["secret"] as? String)
        let bram = try #require(try cli.run(["users", "add", "Bram", "--json", "--data", school]).object()["secret"] as? String)
        #expect(try cli.run(["users", "list", "--json", "--data", school]).array().compactMap { $0["name"] as? String } == ["Anne", "Bram"])
        // Nothing of a secret is kept in the clear.
        let database = try Data(contentsOf: URL(fileURLWithPath: school).appendingPathComponent("replica.db"))
        #expect(database.range(of: Data(anne.utf8)) == nil)

        let log = root.appendingPathComponent("daemon.log")
        let daemon = try EndToEndTests.Background(["daemon", "--web", "127.0.0.1:\(port)", "--web-cert", cert, "--web-key", key, "--data", school], log: log)
        defer { daemon.kill(SIGTERM) }
        let base = "https://127.0.0.1:\(port)"
        func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        try #require(await EndToEndTests.eventually(20) { logText().contains("Pagina's op \(base)/") }, "\(logText())")

        func curl(_ arguments: [String]) throws -> String { try DemoTests.curl(["--cacert", cert] + arguments) }
        func status(_ arguments: [String]) throws -> String { try curl(["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}"] + arguments) }
        func login(_ form: String, jar: URL) throws -> String {
            let page = try curl(["-c", jar.path, "-b", jar.path, base + "/login"])
            let token = try #require(page.range(of: #"name="token" value="[0-9a-f]+""#, options: .regularExpression)
                .map { page[$0].split(separator: "\"").last.map(String.init) ?? "" }, "no token in the login form: \(page)")
            return try status(["-c", jar.path, "-b", jar.path, "--data", form + "&token=" + token, base + "/login/wachtwoord"])
        }

        // Plain HTTP on the same port gets no page.
        #expect(try DemoTests.curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/login"]).hasPrefix("000"))
        // No page without a login; the login page asks for name and secret.
        #expect(try status([base + "/"]) == "303 \(base)/login")
        #expect(try status([base + "/notities"]) == "303 \(base)/login")
        #expect(try curl([base + "/login"]).contains("name=\"wachtwoord\""))

        // Anne logs in; her cookies are Secure and the browser is told to keep to HTTPS.
        let anneJar = root.appendingPathComponent("anne.cookies")
        #expect(try login("naam=Anne&wachtwoord=\(anne)", jar: anneJar) == "303 \(base)/")
        let headers = try curl(["-D", "-", "-o", "/dev/null", "-b", anneJar.path, base + "/"])
        #expect(headers.lowercased().contains("strict-transport-security"), "\(headers)")
        #expect(try String(contentsOf: anneJar, encoding: .utf8).split(separator: "\n").filter { $0.contains("kcsync_school_session") }
            .allSatisfy { $0.split(separator: "\t").dropFirst(3).first == "TRUE" }, "the session cookie is not Secure")
        #expect(try curl(["-b", anneJar.path, base + "/"]).contains("Ingelogd als Anne"))

        // `kcsync open` makes links for accounts only here, and a link for another name made
        // anyway (by a replica that served loopback before) opens nothing.
        let stranger = try cli.run(["open", "--name", "Mallory", "--no-browser", "--data", school])
        #expect(stranger.status == 1 && stranger.err.contains("users add"), "\(stranger.err)")
        let link = try #require(try cli.run(["open", "--name", "bram", "--json", "--data", school]).object()["url"] as? String)
        #expect(link.hasPrefix(base + "/login?code="))
        #expect(try curl([link]).contains("Inloggen als Bram"))
        let replica = try KCReplica.open(directory: URL(fileURLWithPath: school))
        let forged = try replica.makeLoginCode(for: "Mallory")
        #expect(try status([base + "/login?code=\(forged)"]).hasPrefix("401"))
        let malloryJar = root.appendingPathComponent("mallory.cookies")
        let page = try curl(["-c", malloryJar.path, base + "/login?code=\(forged)"])
        let token = try #require(page.range(of: #"name="token" value="[0-9a-f]+""#, options: .regularExpression).map { page[$0].split(separator: "\"").last! })
        #expect(try status(["-c", malloryJar.path, "-b", malloryJar.path, "--data", "code=\(forged)&token=\(token)", base + "/login"]).hasPrefix("401"))
        #expect(try status(["-b", malloryJar.path, base + "/"]) == "303 \(base)/login")

        // Removing Anne's account logs her out at once, on the running daemon.
        #expect(try cli.run(["users", "remove", "anne", "--data", school]).status == 0)
        #expect(try status(["-b", anneJar.path, base + "/"]) == "303 \(base)/login")
        #expect(try login("naam=Anne&wachtwoord=\(anne)", jar: root.appendingPathComponent("again.cookies")).hasPrefix("401"))

        // Guessing: after five wrong secrets even the right one waits, with Retry-After; a name
        // with a line break forges no log line.
        let guesser = root.appendingPathComponent("guesser.cookies")
        for attempt in 0..<3 { #expect(try login("naam=Bram&wachtwoord=fout-\(attempt)", jar: guesser).hasPrefix("401")) }
        #expect(try login("naam=Bram&wachtwoord=\(bram)", jar: guesser) == "303 \(base)/", "four failures from this address cost nothing yet")
        for attempt in 0..<5 { #expect(try login("naam=Bram&wachtwoord=fout-\(attempt)", jar: guesser).hasPrefix("401")) }
        #expect(try login("naam=Bram&wachtwoord=\(bram)", jar: guesser).hasPrefix("429"))
        #expect(try login("naam=iemand%0Aforged%20line&wachtwoord=x", jar: guesser).hasPrefix("429"))
        let lines = logText().split(separator: "\n")
        #expect(lines.filter { $0.contains("school login refused") && $0.contains("account=Bram") && $0.contains("outcome=wrong") }.count >= 5)
        #expect(lines.contains { $0.contains("outcome=throttled") })
        #expect(!lines.contains { $0.hasPrefix("forged line") }, "a login name forged a log line")
    }
}
