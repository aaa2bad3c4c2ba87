/// Text that came from another replica (a refusal's reason, an error frame's message), made
/// safe for a log line or a terminal: control characters (escape sequences that could forge
/// a log line or rewrite the terminal) become spaces, and it is cut to `limit` characters.
public enum RemoteText {
    /// `text` without control characters, at most `limit` Unicode scalars long.
    public static func safe(_ text: String, limit: Int = .max) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit).map { $0.properties.generalCategory == .control ? " " : $0 }))
    }
}
