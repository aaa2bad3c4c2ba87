import Foundation
import Testing

/// A headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`, which
/// .ci/run installs): it follows links, presses buttons and keeps cookies as a person's browser
/// does. Each call is one WebDriver command, sent with curl.
final class Browser {
    let driver = Process()
    let base: String
    let session: String
    let profile: URL

    init() async throws {
        let binary = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                  "Chromium is not installed: apt-get install chromium chromium-driver (see .ci/run)")
        let chromedriver = try #require(["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                        "chromedriver is not installed: apt-get install chromium-driver (see .ci/run)")
        // chromedriver buffers what it prints, so its port is chosen here and it is asked
        // whether it is ready.
        let port = try Browser.freePort()
        driver.executableURL = URL(fileURLWithPath: chromedriver)
        driver.arguments = ["--port=\(port)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try CLI.launch(driver)
        let status = "http://127.0.0.1:\(port)/status"
        let ready = await EndToEndTests.eventually(20) {
            ((try? Browser.command("GET", status, nil))?["value"] as? [String: Any])?["ready"] as? Bool == true
        }
        if !ready { kill(driver.processIdentifier, SIGKILL) }
        try #require(ready, "chromedriver did not start")
        base = "http://127.0.0.1:\(port)"
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-browser-\(UUID().uuidString)")
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": [
            "binary": binary,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                     "--window-size=1280,1800", "--user-data-dir=\(profile.path)"],
        ]]]]
        let answer = try Browser.command("POST", base + "/session", capabilities)
        let id = (answer["value"] as? [String: Any])?["sessionId"] as? String
        if id == nil { kill(driver.processIdentifier, SIGKILL) }
        session = try #require(id, "no WebDriver session: \(answer)")
    }

    deinit {
        _ = try? Browser.command("DELETE", "\(base)/session/\(session)", nil)
        // chromedriver does not stop on SIGTERM.
        kill(driver.processIdentifier, SIGKILL)
        driver.waitUntilExit()
        try? FileManager.default.removeItem(at: profile)
    }

    /// Opens `url` and waits for its page.
    func open(_ url: String) throws { _ = try Browser.command("POST", "\(base)/session/\(session)/url", ["url": url]) }

    /// Presses the element `selector` (CSS) finds, and waits for what it loads.
    func click(_ selector: String) throws {
        let found = try Browser.command("POST", "\(base)/session/\(session)/element", ["using": "css selector", "value": selector])
        let element = try #require((found["value"] as? [String: Any])?.values.first as? String, "no element \(selector): \(found)")
        _ = try Browser.command("POST", "\(base)/session/\(session)/element/\(element)/click", [:])
    }

    /// The element `selector` (CSS) finds.
    func element(_ selector: String) throws -> String {
        let found = try Browser.command("POST", "\(base)/session/\(session)/element", ["using": "css selector", "value": selector])
        return try #require((found["value"] as? [String: Any])?.values.first as? String, "no element \(selector): \(found)")
    }

    /// Types `text` into the field `selector` finds, after emptying it.
    func type(_ selector: String, _ text: String) throws {
        let element = try element(selector)
        _ = try Browser.command("POST", "\(base)/session/\(session)/element/\(element)/clear", [:])
        _ = try Browser.command("POST", "\(base)/session/\(session)/element/\(element)/value", ["text": text])
    }

    /// Chooses the file at `path` in the file field `selector` finds.
    func attach(_ selector: String, _ path: String) throws {
        _ = try Browser.command("POST", "\(base)/session/\(session)/element/\(try element(selector))/value", ["text": path])
    }

    /// The page's HTML as the browser holds it.
    func source() throws -> String { try #require(try Browser.command("GET", "\(base)/session/\(session)/source", nil)["value"] as? String) }

    /// Waits up to `seconds` until the browser is at `url` with that page loaded: a click on a
    /// form's button may return while the browser is still on the page it is leaving (CI read
    /// the login page's source after the click that left it). False when it never got there.
    func waitForPage(_ url: String, seconds: Double = 30) throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try self.url() == url,
               try Browser.command("POST", "\(base)/session/\(session)/execute/sync", ["script": "return document.readyState", "args": []])["value"]
                as? String == "complete" {
                return true
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// The address the browser is at.
    func url() throws -> String { try #require(try Browser.command("GET", "\(base)/session/\(session)/url", nil)["value"] as? String) }

    /// A PNG of the window.
    func screenshot() throws -> Data {
        let text = try #require(try Browser.command("GET", "\(base)/session/\(session)/screenshot", nil)["value"] as? String)
        return try #require(Data(base64Encoded: text))
    }

    /// A TCP port on loopback that nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound, "no free port")
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func command(_ method: String, _ url: String, _ body: [String: Any]?) throws -> [String: Any] {
        var arguments = ["curl", "--silent", "--show-error", "--max-time", "120", "-X", method, url]
        var file: URL?
        defer { if let file { try? FileManager.default.removeItem(at: file) } }
        if let body {
            // In a file: a script (axe-core) is larger than one argument may be.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("webdriver-\(UUID().uuidString).json")
            try JSONSerialization.data(withJSONObject: body).write(to: path)
            file = path
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@" + path.path]
        }
        let text = try DemoTests.run("/usr/bin/env", arguments)
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? ["raw": text]
    }

    /// axe-core (4.12, from the PyPI package axe-playwright-python, which carries it), fetched
    /// once into .build-axe.
    static let axeSource: String? = {
        let folder = DemoTests.repository.appendingPathComponent(".build-axe")
        let script = folder.appendingPathComponent("axe.min.js")
        if !FileManager.default.fileExists(atPath: script.path) {
            let python = """
                import glob, subprocess, sys, zipfile
                subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "axe-playwright-python==0.1.8", "-d", sys.argv[1]], check=True)
                wheel = glob.glob(sys.argv[1] + "/axe_playwright_python-*.whl")[0]
                open(sys.argv[1] + "/axe.min.js", "wb").write(zipfile.ZipFile(wheel).read("axe_playwright_python/axe.min.js"))
                """
            _ = try? DemoTests.run("/usr/bin/env", ["python3", "-c", python, folder.path])
        }
        return try? String(contentsOf: script, encoding: .utf8)
    }()

    /// The serious and critical accessibility violations axe-core finds on the page, one line
    /// each (rule, impact, where).
    func accessibilityViolations() throws -> [String] {
        let axe = try #require(Browser.axeSource, "axe-core could not be fetched from PyPI (axe-playwright-python)")
        let script = axe + """
            ;var done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ["violations"] }).then(function (result) {
              done(result.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; })
                .map(function (v) { return v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); }).join(", "); }));
            }, function (error) { done(["axe failed: " + error]); });
            """
        let answer = try Browser.command("POST", "\(base)/session/\(session)/execute/async", ["script": script, "args": []])
        return try #require(answer["value"] as? [String], "axe did not answer: \(String(describing: answer).prefix(500))")
    }
}
