@testable import SyncNet
import Synchronization
import Testing

/// The reader of a session takes a permit per frame and the session gives it back once the
/// frame is handled: with all permits out, no more is read (TCP back-pressure).
struct FrameGateTests {
    @Test func noMoreIsReadUntilAFrameIsHandled() async throws {
        let gate = FrameGate(frames: 2)
        let read = Atomic<Int>(0)
        let reader = Task {
            while await gate.acquire() { read.add(1, ordering: .relaxed) }
        }
        // Wait (as long as a loaded machine needs) for the reader to take both permits, then
        // give it time to run ahead if it could.
        try await FrameGateTests.until { read.load(ordering: .relaxed) >= 2 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(read.load(ordering: .relaxed) == 2, "the reader ran ahead of the session")
        gate.release()
        try await FrameGateTests.until { read.load(ordering: .relaxed) >= 3 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(read.load(ordering: .relaxed) == 3)
        gate.close()
        await reader.value
        #expect(read.load(ordering: .relaxed) == 3, "a closed gate lets the reader go without reading")
        #expect(await gate.acquire() == false)
    }

    /// After Welcome the gate holds more, in frames and in bytes: the reader waits once the bytes
    /// it has read pass the budget, and goes on when a handled frame gives its bytes back.
    @Test func theBudgetGrowsAtWelcomeAndCountsBytes() async throws {
        let gate = FrameGate(frames: 1)
        let read = Atomic<Int>(0)
        let reader = Task {
            while await gate.acquire() {
                read.add(1, ordering: .relaxed)
                gate.charge(60)
            }
        }
        try await FrameGateTests.until { read.load(ordering: .relaxed) >= 1 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(read.load(ordering: .relaxed) == 1, "one frame waits before Welcome")
        // 100 bytes: the second frame (120 bytes read) is read, the third waits.
        gate.markAuthenticated(frames: 16, bytes: 100)
        try await FrameGateTests.until { read.load(ordering: .relaxed) >= 2 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(read.load(ordering: .relaxed) == 2, "the reader ran past the byte budget")
        gate.release(60)
        try await FrameGateTests.until { read.load(ordering: .relaxed) >= 3 }
        try await Task.sleep(for: .milliseconds(200))
        #expect(read.load(ordering: .relaxed) == 3)
        gate.close()
        await reader.value
    }

    /// Polls `condition` every 10 ms for up to 10 s.
    static func until(_ condition: () -> Bool) async throws {
        for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }
}
