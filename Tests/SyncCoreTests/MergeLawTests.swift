import PropertyBased
import SyncCore
import SyncTestKit
import Testing

/// Random histories of ops on one entity, written by three replicas that see each other's ops
/// late and in random order. Every op is stamped as its writer would stamp it.
struct History {
    var ops: [(RecordOperation, OpID)] = []

    init(seed: UInt64, length: Int) {
        var rng = SeededGenerator(seed: seed)
        let replicas = (1...3).map { ReplicaID(high: $0 &* 0x1234_5678, low: $0) }
        var states = Array(repeating: EntityState(), count: 3)
        var clocks = Array(repeating: HybridLogicalClock(), count: 3)
        var seen = Array(repeating: Set<OpID>(), count: 3)
        var wall: UInt64 = 1_000_000
        let words = ["a", "bc", "def", "1F", "é", "🙂"]
        for _ in 0..<length {
            let r = Int.random(in: 0..<3, using: &rng)
            // Deliver a few random ops from the others first.
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                guard let (op, id) = ops.randomElement(using: &rng), !seen[r].contains(id) else { continue }
                states[r].apply(op, stamp: id)
                seen[r].insert(id)
            }
            wall += UInt64.random(in: 0...3, using: &rng)
            let id = OpID(timestamp: clocks[r].tick(wallMillis: wall), replica: replicas[r], index: 0)
            let state = states[r]
            let op: RecordOperation
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<25:
                let field = ["title", "score"].randomElement(using: &rng)!
                let value: Value = field == "title" ? .text(words.randomElement(using: &rng)!) : .real(Double.random(in: -1...1, using: &rng))
                op = RecordOperation(field: field, kind: .assign(value, pred: state.registers[field]?.pred ?? []))
            case 25..<40:
                op = RecordOperation(field: "tags", kind: .add(.text(words.randomElement(using: &rng)!)))
            case 40..<50:
                let element = Value.text(words.randomElement(using: &rng)!)
                op = RecordOperation(field: "tags", kind: .remove(element, observed: state.sets["tags"]?.liveTags(of: element) ?? []))
            case 50..<80:
                let text = state.texts["body"] ?? TextSequence()
                let at = Int.random(in: 0...text.text.unicodeScalars.count, using: &rng)
                op = RecordOperation(field: "body", kind: .insertText(text.insertion(at: at, text: words.randomElement(using: &rng)!)))
            case 80..<95:
                let text = state.texts["body"] ?? TextSequence()
                let count = text.text.unicodeScalars.count
                guard count > 0 else { continue }
                let start = Int.random(in: 0..<count, using: &rng)
                let end = min(count, start + Int.random(in: 1...3, using: &rng))
                op = RecordOperation(field: "body", kind: .deleteText(text.deletion(of: start..<end)))
            case 95..<99:
                op = RecordOperation(field: "", kind: .delete(seen: state.newestStamp))
            default:
                op = RecordOperation(field: "", kind: .erase)
            }
            states[r].apply(op, stamp: id)
            seen[r].insert(id)
            ops.append((op, id))
        }
    }

    static func apply(_ ops: some Sequence<(RecordOperation, OpID)>) -> EntityState {
        var state = EntityState()
        for (op, id) in ops { state.apply(op, stamp: id) }
        return state
    }
}

@Suite struct MergeLawTests {
    @Test func anyOrderOfArrivalWithDuplicatesGivesTheSameState() async {
        await propertyCheck(count: 150, input: Gen.uint64(in: 0 ... .max)) { seed in
            let history = History(seed: seed, length: 40)
            let reference = History.apply(history.ops)
            var rng = SeededGenerator(seed: seed ^ 0xABCD)
            for _ in 0..<3 {
                var shuffled = history.ops.shuffled(using: &rng)
                shuffled += shuffled.prefix(Int.random(in: 0...10, using: &rng))   // duplicates
                shuffled.shuffle(using: &rng)
                let state = History.apply(shuffled)
                #expect(state == reference, "seed \(seed)")
                #expect(state.text(of: "body") == reference.text(of: "body"), "seed \(seed)")
            }
        }
    }

    @Test func mergeIsCommutativeAssociativeAndIdempotent() async {
        await propertyCheck(count: 150, input: Gen.uint64(in: 0 ... .max)) { seed in
            let history = History(seed: seed, length: 30)
            var rng = SeededGenerator(seed: seed ^ 0x5EED)
            var parts: [[(RecordOperation, OpID)]] = [[], [], []]
            for op in history.ops { parts[Int.random(in: 0..<3, using: &rng)].append(op) }
            let a = History.apply(parts[0]), b = History.apply(parts[1]), c = History.apply(parts[2])
            #expect(a.merged(with: b) == b.merged(with: a), "seed \(seed)")
            #expect(a.merged(with: b).merged(with: c) == a.merged(with: b.merged(with: c)), "seed \(seed)")
            #expect(a.merged(with: a) == a, "seed \(seed)")
            #expect(a.merged(with: b).merged(with: c) == History.apply(history.ops), "seed \(seed)")
        }
    }

    @Test func concurrentRegisterWritesAreBothKeptUntilAWriteResolvesThem() {
        let r1 = ReplicaID(high: 1, low: 1), r2 = ReplicaID(high: 2, low: 2)
        let base = OpID(timestamp: Timestamp(millis: 1, counter: 0), replica: r1, index: 0)
        let x = OpID(timestamp: Timestamp(millis: 2, counter: 0), replica: r1, index: 0)
        let y = OpID(timestamp: Timestamp(millis: 2, counter: 0), replica: r2, index: 0)
        var state = EntityState()
        state.apply(.assign("title", .text("Start")), stamp: base)
        let events1 = state.apply(.assign("title", .text("Versie A"), pred: [base]), stamp: x)
        let events2 = state.apply(.assign("title", .text("Versie B"), pred: [base]), stamp: y)
        #expect(events1.isEmpty)
        #expect(events2.count == 1 && events2[0].loserValue == .text("Versie A") && events2[0].winnerValue == .text("Versie B"))
        #expect(state.value(of: "title") == .text("Versie B"))     // same clock: the greater replica wins
        #expect(state.conflictedFields == ["title"])
        let fix = OpID(timestamp: Timestamp(millis: 3, counter: 0), replica: r1, index: 0)
        state.apply(.assign("title", .text("Samen"), pred: state.registers["title"]!.pred), stamp: fix)
        #expect(state.conflictedFields.isEmpty)
        #expect(state.value(of: "title") == .text("Samen"))
    }

    @Test func anAddConcurrentWithARemoveWins() {
        let r1 = ReplicaID(high: 1, low: 1), r2 = ReplicaID(high: 2, low: 2)
        let add1 = OpID(timestamp: Timestamp(millis: 1, counter: 0), replica: r1, index: 0)
        let add2 = OpID(timestamp: Timestamp(millis: 2, counter: 0), replica: r2, index: 0)
        let remove = OpID(timestamp: Timestamp(millis: 3, counter: 0), replica: r1, index: 0)
        var state = EntityState()
        state.apply(RecordOperation(field: "tags", kind: .add(.text("rekenen"))), stamp: add1)
        state.apply(RecordOperation(field: "tags", kind: .remove(.text("rekenen"), observed: [add1])), stamp: remove)
        #expect(state.elements(of: "tags").isEmpty)
        state.apply(RecordOperation(field: "tags", kind: .add(.text("rekenen"))), stamp: add2)
        #expect(state.elements(of: "tags") == [.text("rekenen")])
    }

    @Test func anEditTheDeleterDidNotSeeIsAConflictAndTheDeleteStands() {
        let r1 = ReplicaID(high: 1, low: 1), r2 = ReplicaID(high: 2, low: 2)
        let create = OpID(timestamp: Timestamp(millis: 1, counter: 0), replica: r1, index: 0)
        let delete = OpID(timestamp: Timestamp(millis: 2, counter: 0), replica: r1, index: 0)
        let edit = OpID(timestamp: Timestamp(millis: 3, counter: 0), replica: r2, index: 0)
        var early = EntityState(), late = EntityState()
        early.apply(.assign("title", .text("x")), stamp: create)
        late.apply(.assign("title", .text("x")), stamp: create)
        // One replica gets the delete first, the other the edit first.
        _ = early.apply(RecordOperation(field: "", kind: .delete(seen: create)), stamp: delete)
        let e1 = early.apply(.assign("title", .text("y"), pred: [create]), stamp: edit)
        _ = late.apply(.assign("title", .text("y"), pred: [create]), stamp: edit)
        let e2 = late.apply(RecordOperation(field: "", kind: .delete(seen: create)), stamp: delete)
        #expect(early == late)
        #expect(early.isDeleted)
        #expect(e1.map(\.kind) == [.editAfterDelete] && e1[0].loser == edit)
        #expect(e2.map(\.kind) == [.editAfterDelete] && e2[0].loser == edit)
    }

    @Test func eraseLeavesNoContentAndAbsorbsLaterOps() {
        let r1 = ReplicaID(high: 1, low: 1)
        func id(_ n: UInt64) -> OpID { OpID(timestamp: Timestamp(millis: n, counter: 0), replica: r1, index: 0) }
        var state = EntityState()
        state.apply(.assign("title", .text("geheim")), stamp: id(1))
        state.apply(RecordOperation(field: "", kind: .erase), stamp: id(2))
        state.apply(.assign("title", .text("nog geheimer")), stamp: id(3))
        #expect(state.erased)
        #expect(state.registers.isEmpty && state.texts.isEmpty && state.sets.isEmpty)
    }
}
