import Foundation

/// The names and references a school's pupil-level records use (a note's `subjectRef`, the
/// participants of a pupil meeting or a conversation), to check text before it leaves the
/// school: a shared note that says "Sam" when a leerlingbespreking is about "Sam de Vries,
/// groep 5" is refused, with the name it found.
///
/// From each reference it takes the reference itself (up to a comma) and every capitalised
/// word of three letters or more that is not a particle or a common word of a kc's notes
/// (de, van, groep, moeder, juf, …). A match is a whole word (or words), case ignored, so
/// "Sam" does not match "samen".
public struct PupilReferences: Sendable {
    public private(set) var terms: Set<String> = []

    static let notNames: Set<String> = [
        "de", "den", "der", "van", "het", "ten", "ter", "op", "in", "en", "met", "bij", "voor", "uit",
        "groep", "leerling", "leerlingen", "moeder", "vader", "ouder", "ouders", "verzorger", "verzorgers", "opa", "oma",
        "juf", "meester", "leerkracht", "school", "klas", "intern", "begeleider", "kwaliteitscoördinator", "zorg",
        "gesprek", "broer", "zus", "zusje", "broertje", "pleegouder", "pleegouders", "stiefvader", "stiefmoeder",
    ]

    public init() {}

    public init(references: some Sequence<String>) {
        for reference in references { add(reference) }
    }

    /// Adds the terms of one reference.
    public mutating func add(_ reference: String) {
        for segment in reference.split(whereSeparator: { ",;()/\n".contains($0) }) {
            let words = PupilReferences.words(of: String(segment))
            let names = words.filter { word in
                word.count >= 3 && word.first!.isUppercase && !PupilReferences.notNames.contains(word.lowercased())
                    && !word.allSatisfy(\.isNumber)
            }
            guard !names.isEmpty else { continue }
            // The segment as written (from its first name on), and each name in it.
            let from = words.firstIndex(of: names[0])!
            terms.insert(words[from...].joined(separator: " ").lowercased())
            for name in names { terms.insert(name.lowercased()) }
        }
    }

    /// The first term found in `text` as whole words, if any.
    public func find(in text: String) -> String? {
        guard !terms.isEmpty, !text.isEmpty else { return nil }
        let words = PupilReferences.words(of: text).map { $0.lowercased() }
        let joined = " " + words.joined(separator: " ") + " "
        return terms.sorted { ($0.count, $0) > ($1.count, $1) }.first { joined.contains(" " + $0 + " ") }
    }

    /// The words of a text: runs of letters, digits, apostrophes and hyphens inside a word.
    static func words(of text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for character in text {
            if character.isLetter || character.isNumber || ((character == "-" || character == "'") && !current.isEmpty) {
                current.append(character)
            } else if !current.isEmpty {
                out.append(current.trimmingCharacters(in: CharacterSet(charactersIn: "-'")))
                current = ""
            }
        }
        if !current.isEmpty { out.append(current.trimmingCharacters(in: CharacterSet(charactersIn: "-'"))) }
        return out.filter { !$0.isEmpty }
    }
}
