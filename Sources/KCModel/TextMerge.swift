/// Merging a text that a kc'er edited in a form with what arrived meanwhile. The form carries
/// the text as it was when it was opened (`base`); `mine` is what was sent, `theirs` what the
/// replica holds now. Each side's change is the one stretch of `base` it replaced (common
/// start and end taken off); when the two stretches do not touch, both changes are kept.
public enum TextMerge {
    /// The merged text, or nil when both sides changed the same stretch (the caller then
    /// shows both and keeps the kc'er's text in the form: nothing is lost).
    public static func threeWay(base: String, mine: String, theirs: String) -> String? {
        if mine == base || mine == theirs { return theirs }
        if theirs == base { return mine }
        let b = Array(base), m = Array(mine), t = Array(theirs)
        let mineEdit = edit(from: b, to: m), theirEdit = edit(from: b, to: t)
        // Disjoint stretches of base; touching ones (an insert at the other's edge) count as
        // the same place, since their order would be a guess.
        if mineEdit.end < theirEdit.start {
            return String(b[..<mineEdit.start] + mineEdit.replacement + b[mineEdit.end..<theirEdit.start] + theirEdit.replacement + b[theirEdit.end...])
        }
        if theirEdit.end < mineEdit.start {
            return String(b[..<theirEdit.start] + theirEdit.replacement + b[theirEdit.end..<mineEdit.start] + mineEdit.replacement + b[mineEdit.end...])
        }
        return nil
    }

    /// The stretch `start..<end` of `base` that `new` replaced, and what with.
    static func edit(from base: [Character], to new: [Character]) -> (start: Int, end: Int, replacement: ArraySlice<Character>) {
        var prefix = 0
        while prefix < base.count, prefix < new.count, base[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < base.count - prefix, suffix < new.count - prefix, base[base.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        return (prefix, base.count - suffix, new[prefix..<(new.count - suffix)])
    }
}
