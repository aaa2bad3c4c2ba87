public import SyncCore
public import SyncStore

/// Random local edits on every field kind, for convergence tests and benchmarks.
public enum RandomEdits {
    static let words = ["rekenen", "begrijpend", "lezen", "groep", "zes", "trend", "daalt", "afspraak", "leerteam",
                        "ouders", "PLG", "ambitie", "1F", "2F", "evaluatie", "week", "🙂", "é"]

    /// Writes one change of 1 to 3 random edits in `scope`: new notes, title and tag edits,
    /// body edits at random places, deletes. Existing entities are picked from `known`.
    public static func change(
        on store: ReplicaStore, scope: Scope, known: inout [EntityID], using rng: inout SeededGenerator
    ) throws(SyncError) {
        let type = SampleSchemas.note.name
        var created: [EntityID] = []
        let snapshot = known
        try store.write(in: scope) { b throws(SyncError) in
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let pick = snapshot.isEmpty ? nil : snapshot.randomElement(using: &rng)
                let roll = Int.random(in: 0..<100, using: &rng)
                if pick == nil || roll < 20 {
                    let id = b.newEntity(type: type)
                    try b.assign(.text(words.randomElement(using: &rng)!), to: "title", of: id, type: type)
                    try b.assign(.day(Int32.random(in: 20_000...20_500, using: &rng)), to: "meetingDate", of: id, type: type)
                    try b.setText("Notitie " + words.randomElement(using: &rng)!, field: "body", of: id, type: type)
                    created.append(id)
                    continue
                }
                let id = pick!
                if (try? b.state(of: id, type: type)) == nil { continue }
                switch roll {
                case 20..<40:
                    try b.assign(.text(words.randomElement(using: &rng)! + " \(roll)"), to: "title", of: id, type: type)
                case 40..<50:
                    try b.assign(.real(Double(roll) / 7), to: "score", of: id, type: type)
                case 50..<60:
                    try b.add(.text(words.randomElement(using: &rng)!), to: "tags", of: id, type: type)
                case 60..<68:
                    let tags = (try b.state(of: id, type: type))?.elements(of: "tags") ?? []
                    if let tag = tags.randomElement(using: &rng) { try b.remove(tag, from: "tags", of: id, type: type) }
                case 68..<90:
                    let text = (try b.state(of: id, type: type))?.text(of: "body") ?? ""
                    var scalars = Array(text.unicodeScalars)
                    let at = Int.random(in: 0...scalars.count, using: &rng)
                    if Bool.random(using: &rng) || scalars.isEmpty {
                        scalars.insert(contentsOf: (" " + words.randomElement(using: &rng)!).unicodeScalars, at: at)
                    } else {
                        let end = min(scalars.count, at + Int.random(in: 1...4, using: &rng))
                        scalars.removeSubrange(min(at, scalars.count - 1)..<end)
                    }
                    try b.setText(String(String.UnicodeScalarView(scalars)), field: "body", of: id, type: type)
                default:
                    try b.delete(id, type: type)
                }
            }
        }
        known.append(contentsOf: created)
    }
}
