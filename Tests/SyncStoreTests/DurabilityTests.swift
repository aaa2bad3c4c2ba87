import Foundation
import SyncCore
import SyncProtocol
import SyncStore
import SyncTestKit
import Testing

/// QUALITY.md 3: a writer killed with SIGKILL at random moments loses nothing it acknowledged,
/// leaves a sound database, and its replica resumes and still syncs.
@Suite struct DurabilityTests {
    static var writer: URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug"),
        ]
        for dir in candidates {
            let url = dir.appendingPathComponent("kcsync-crash-writer")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[2].appendingPathComponent("kcsync-crash-writer")
    }

    @Test func nothingAcknowledgedIsLostWhenTheWriterIsKilled() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("replica.db")
        var acknowledged: [EntityID] = []
        var rng = SeededGenerator(seed: UInt64(Date().timeIntervalSince1970))
        for round in 0..<4 {
            let process = Process()
            process.executableURL = DurabilityTests.writer
            process.arguments = [path, "100000"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try ProcessLauncher.launch(process)
            let killAfter = Int.random(in: 5...60, using: &rng)
            var buffer = Data()
            var acks = 0
            let handle = pipe.fileHandleForReading
            while acks < killAfter {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    if line.hasPrefix("ACK "), let id = EntityID(hex: line.dropFirst(4)) {
                        acknowledged.append(id)
                        acks += 1
                    }
                }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): the writer ended before it was killed")
            #expect(acks >= killAfter, "round \(round)")

            let store = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
            #expect(try store.integrityCheck() == "ok")
            let held = Set(try store.entityIDs(type: "note", in: school))
            let lost = acknowledged.filter { !held.contains($0) }
            #expect(lost.isEmpty, "round \(round): \(lost.count) acknowledged notes lost")
            // Every change is there once, and the log and vector agree.
            let vector = try store.versionVector(school)
            let changes = try store.changeCount(school)
            #expect(vector.total == UInt64(changes))
            #expect(held.count == changes)
        }
        // The replica resumes: it writes again and a fresh replica verifies the whole chain.
        let store = try ReplicaStore.open(path: path, schemas: SampleSchemas.all)
        try writeNote(store, title: "na de crashes")
        let fresh = try ReplicaStore.inMemory(schemas: SampleSchemas.all)
        try fresh.addScope(school)
        try Exchange.push(from: store, to: fresh)
        #expect(try fresh.stateHash() == store.stateHash())
        let notes = try store.entityIDs(type: "note", in: school)
        #expect(try fresh.entityIDs(type: "note", in: school) == notes)
        #expect(notes.count >= acknowledged.count + 1)
    }
}
