/// Comparisons of secrets (tokens, password digests) that take the same time wherever the
/// two differ, so the time an answer takes tells nothing about how much of a guess was right.
public enum ConstantTime {
    /// `a == b`, byte for byte, in time that depends only on the lengths.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
