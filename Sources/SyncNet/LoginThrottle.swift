public import Foundation
import Synchronization

/// Slows down guessing at a login form, per account and per address: after
/// ``freeAttempts`` failures a key must wait before its next attempt, twice as long after
/// each further failure (from ``firstDelay`` up to ``longestDelay``); a success or
/// ``forgetAfter`` without failures clears it. At most ``maximumKeys`` keys are held (the
/// oldest go first), so a flood of made-up names gets no memory.
public final class LoginThrottle: Sendable {
    /// Failures allowed before waiting starts.
    public let freeAttempts: Int
    /// The first wait.
    public let firstDelay: TimeInterval
    /// The longest wait.
    public let longestDelay: TimeInterval
    /// A key without failures for this long starts over.
    public let forgetAfter: TimeInterval
    /// Keys held at most.
    public let maximumKeys: Int

    struct Entry {
        var failures: Int
        var last: Date
    }
    private let entries = Mutex<[String: Entry]>([:])

    /// A throttle; the defaults allow 5 failures, then wait 30 s, 1 min, 2 min … up to 15 min.
    public init(freeAttempts: Int = 5, firstDelay: TimeInterval = 30, longestDelay: TimeInterval = 900,
                forgetAfter: TimeInterval = 3600, maximumKeys: Int = 10_000) {
        self.freeAttempts = freeAttempts
        self.firstDelay = firstDelay
        self.longestDelay = longestDelay
        self.forgetAfter = forgetAfter
        self.maximumKeys = maximumKeys
    }

    /// How long `keys` must still wait (the longest of them), or nil when they may try now.
    public func wait(_ keys: [String], now: Date = Date()) -> TimeInterval? {
        entries.withLock { entries in
            var longest: TimeInterval = 0
            for key in keys {
                guard let entry = entries[key], entry.failures >= freeAttempts else { continue }
                if now.timeIntervalSince(entry.last) > forgetAfter { continue }
                let delay = min(longestDelay, firstDelay * pow(2, Double(min(entry.failures - freeAttempts, 30))))
                longest = max(longest, delay - now.timeIntervalSince(entry.last))
            }
            return longest > 0 ? longest : nil
        }
    }

    /// A failed attempt of `keys`.
    public func failed(_ keys: [String], now: Date = Date()) {
        entries.withLock { entries in
            for key in keys {
                var entry = entries[key] ?? Entry(failures: 0, last: now)
                if now.timeIntervalSince(entry.last) > forgetAfter { entry.failures = 0 }
                entry.failures += 1
                entry.last = now
                entries[key] = entry
            }
            if entries.count > maximumKeys {
                for (key, _) in entries.sorted(by: { $0.value.last < $1.value.last }).prefix(entries.count - maximumKeys) {
                    entries.removeValue(forKey: key)
                }
            }
        }
    }

    /// A successful attempt: `keys` start over.
    public func succeeded(_ keys: [String]) {
        entries.withLock { entries in for key in keys { entries.removeValue(forKey: key) } }
    }
}
