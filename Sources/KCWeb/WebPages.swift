public import Hummingbird
public import Mustache
import Foundation
import KCReplica
import NIOCore
import SyncCore

/// What every kcsync web page shares, at school and at the board: one layout template
/// (swift-mustache, with blocks for the title, the header and the main part), one stylesheet
/// (`/stijl.css`), the small live-update script (`/live.js`), and the helpers the pages'
/// handlers use. Templates live in the binary (a copied `kcsync` has them), as strings that
/// ``library(_:)`` registers next to the layout.
public enum WebPages {
    /// The layout every page extends: `{{<layout}}{{$title}}…{{/title}}{{$main}}…{{/main}}{{/layout}}`.
    static let layout = """
        <!doctype html>
        <html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{$title}}kcsync{{/title}}</title><link rel="stylesheet" href="/stijl.css">{{$head}}{{/head}}</head>
        <body><a class="overslaan" href="#inhoud">Naar de inhoud</a>
        {{$header}}{{/header}}
        <main id="inhoud">{{$main}}{{/main}}</main>
        </body></html>
        """

    /// A library with the layout and `templates` (name → template text). The templates are
    /// the project's own, so one that does not parse is a bug: it stops the program at start,
    /// and the tests render every page.
    public static func library(_ templates: [String: String]) -> MustacheLibrary {
        var library = MustacheLibrary()
        do {
            try library.register(layout, named: "layout")
            try library.register(WebInspection.partial, named: "inspectie")
            try library.register(WebTrendViews.partial, named: "weergave")
            for (name, text) in templates { try library.register(text, named: name) }
        } catch {
            fatalError("a page template does not parse: \(error)")
        }
        return library
    }

    /// An HTML response, never cached (every page shows the replica as it is now).
    public static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A redirect after a form (303: the browser follows with a GET).
    public static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// The stylesheet, as `/stijl.css`.
    public static func stylesheetResponse() -> Response {
        Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=300"],
                 body: .init(byteBuffer: ByteBuffer(string: stylesheet)))
    }

    /// The live-update script, as `/live.js`.
    public static func liveScriptResponse() -> Response {
        Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "max-age=300"],
                 body: .init(byteBuffer: ByteBuffer(string: liveScript)))
    }

    /// 32 random hex digits: session CSRF tokens, login cookies.
    public static func randomToken() -> String { BoardReplica.randomHex(16) }

    /// Compares two tokens in time that does not depend on where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool { ConstantTime.equal(a, b) }

    /// A query parameter as a browser's GET form sends it: `+` is a space; empty is absent.
    public static func queryValue(_ request: Request, _ name: String) -> String? {
        guard let raw = request.uri.queryParameters.get(name) else { return nil }
        let value = String(raw).replacingOccurrences(of: "+", with: " ").trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : value
    }

    /// The query parameters the three views read.
    public static func viewQuery(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for name in ["weergave", "vakgebied", "maat", "periode", "groep"] { out[name] = queryValue(request, name).map { String($0.prefix(40)) } }
        return out
    }

    /// The page's part that the live script swaps: everything inside `<main>`. Pages that show
    /// records mark it with `data-live`; the script fetches the page again when the replica
    /// changes and replaces the marked part, so nothing typed in a form on the page is lost.
    static let liveScript = """
        "use strict";
        (function () {
          var live = document.querySelector("[data-live]");
          if (!live || !window.EventSource) { return; }
          var source = new EventSource("/live");
          var busy = false;
          source.onmessage = function () {
            if (busy) { return; }
            busy = true;
            fetch(window.location.href, { credentials: "same-origin" })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (text) {
                busy = false;
                if (!text) { return; }
                var page = new DOMParser().parseFromString(text, "text/html");
                var fresh = page.querySelector("[data-live]");
                if (fresh) { live.innerHTML = fresh.innerHTML; }
                var status = document.getElementById("live-status");
                if (status) { status.textContent = "Bijgewerkt om " + new Date().toLocaleTimeString("nl-NL"); }
              })
              .catch(function () { busy = false; });
          };
        })();
        """
}
