import SyncCore
import Testing

/// A replica's view of one text field, for tests: it stamps its own ops.
struct TextEditor {
    let replica: ReplicaID
    var clock = HybridLogicalClock()
    var wall: UInt64 = 1_000
    var sequence = TextSequence()
    var log: [(RecordOperation.Kind, OpID)] = []

    init(_ n: UInt64) { replica = ReplicaID(high: n, low: n) }

    mutating func stamp() -> OpID {
        wall += 1
        return OpID(timestamp: clock.tick(wallMillis: wall), replica: replica, index: 0)
    }

    /// Types `text` one character at a time, as a person does.
    mutating func type(_ text: String, at index: Int) {
        for (i, scalar) in text.unicodeScalars.enumerated() {
            let insertion = sequence.insertion(at: index + i, text: String(scalar))
            let id = stamp()
            sequence.insert(insertion, id: id)
            log.append((.insertText(insertion), id))
        }
    }

    mutating func delete(_ range: Range<Int>) {
        let ranges = sequence.deletion(of: range)
        sequence.delete(ranges)
        log.append((.deleteText(ranges), stamp()))
    }

    mutating func receive(_ ops: [(RecordOperation.Kind, OpID)]) {
        for (kind, id) in ops {
            switch kind {
            case .insertText(let insertion): sequence.insert(insertion, id: id)
            case .deleteText(let ranges): sequence.delete(ranges)
            default: break
            }
        }
    }
}

@Suite struct TextSequenceTests {
    @Test func typingAndDeletingGivesTheExpectedText() {
        var a = TextEditor(1)
        a.type("Hallo wereld", at: 0)
        #expect(a.sequence.text == "Hallo wereld")
        a.type("mooie ", at: 6)
        #expect(a.sequence.text == "Hallo mooie wereld")
        a.delete(0..<6)
        #expect(a.sequence.text == "mooie wereld")
        a.type("Een ", at: 0)
        #expect(a.sequence.text == "Een mooie wereld")
    }

    /// Two kc'ers type a sentence at the same place while offline: after the merge each
    /// sentence is whole (no interleaving), and both replicas show the same text.
    @Test(arguments: [(1 as UInt64, 2 as UInt64), (2, 1)])
    func concurrentRunsAtTheSamePlaceDoNotInterleave(first: UInt64, second: UInt64) {
        var base = TextEditor(9)
        base.type("Duiding: .", at: 0)
        var a = TextEditor(first), b = TextEditor(second)
        a.receive(base.log); b.receive(base.log)
        a.wall = 5_000; b.wall = 5_000
        a.type("rekenen daalt in groep 6", at: 9)
        b.type("begrijpend lezen stijgt", at: 9)
        let fromA = a.log, fromB = b.log
        a.receive(fromB)
        b.receive(fromA)
        #expect(a.sequence.text == b.sequence.text)
        let merged = a.sequence.text
        #expect(merged.contains("rekenen daalt in groep 6"))
        #expect(merged.contains("begrijpend lezen stijgt"))
        #expect(merged.hasPrefix("Duiding: ") && merged.hasSuffix("."))
    }

    /// The same for typing backwards (each character inserted before the previous one).
    @Test func reverseTypedRunsDoNotInterleaveEither() {
        var a = TextEditor(1), b = TextEditor(2)
        for ch in "abc".reversed() { a.type(String(ch), at: 0) }
        for ch in "xyz".reversed() { b.type(String(ch), at: 0) }
        let fromA = a.log, fromB = b.log
        a.receive(fromB); b.receive(fromA)
        #expect(a.sequence.text == b.sequence.text)
        #expect(a.sequence.text.contains("abc") && a.sequence.text.contains("xyz"))
    }

    @Test func aRunWhoseParentArrivesLaterWaitsAndThenAppears() {
        var a = TextEditor(1)
        a.type("ab", at: 0)
        var b = TextEditor(2)
        b.receive(a.log)
        b.type("c", at: 2)
        var c = TextEditor(3)
        c.receive(b.log.suffix(1))          // only b's insert, hanging from a's "b"
        #expect(c.sequence.text == "")
        c.receive(a.log)
        #expect(c.sequence.text == "abc")
    }

    @Test func deletesOfCharactersNotYetSeenApplyWhenTheyArrive() {
        var a = TextEditor(1)
        a.type("abcd", at: 0)
        var b = TextEditor(2)
        b.receive(a.log)
        b.delete(1..<3)
        var c = TextEditor(3)
        c.receive(b.log)                    // b's log holds only the delete
        c.receive(a.log)
        #expect(c.sequence.text == "ad")
    }

    @Test func editsFromOldToNewTextTouchOnlyTheChangedMiddle() {
        var a = TextEditor(1)
        a.type("Het team evalueert in maart.", at: 0)
        let (deletions, insertion) = a.sequence.edits(to: "Het team evalueert in april.")
        #expect(deletions.reduce(0) { $0 + Int($1.length) } == 5)
        #expect(insertion?.text == "april")
        #expect(insertion?.index == 22)
    }
}
