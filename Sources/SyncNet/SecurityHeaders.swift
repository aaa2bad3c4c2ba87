public import Hummingbird
import HTTPTypes

/// The headers a security reviewer expects on every response of a kcsync server: no script,
/// no framing, no sniffing, no referrer; HSTS when the server speaks TLS itself.
public struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    let tls: Bool

    public init(tls: Bool) {
        self.tls = tls
    }

    /// The pages are server-rendered, charts as inline SVG; they load only this site's
    /// stylesheet and its one script (the live updates, which read `/live` and the page again).
    static var contentSecurityPolicy: String {
        "default-src 'none'; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = SecurityHeaders.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if tls { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }
}
