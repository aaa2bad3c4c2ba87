public import Foundation
public import Hummingbird
public import SyncStore

/// Hummingbird's key-value storage (what hummingbird-auth keeps its sessions in) on a
/// replica's local state: sessions of the board's pages live in the board's database, so they
/// survive a restart and go with its backup, and nothing syncs them. Values are JSON.
public struct ReplicaPersistDriver: PersistDriver {
    let store: ReplicaStore

    /// Storage in `store`'s local state.
    public init(store: ReplicaStore) {
        self.store = store
    }

    static func expiry(_ expires: Duration?) -> Date? {
        expires.map { Date().addingTimeInterval(Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18) }
    }

    public func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        guard try store.setLocalValue(key, try JSONEncoder().encode(value), expires: ReplicaPersistDriver.expiry(expires), onlyIfAbsent: true) else {
            throw PersistError.duplicate
        }
    }

    public func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        // An update without an expiry keeps the one the value had.
        let until = try expires.map { ReplicaPersistDriver.expiry($0) } ?? store.localValue(key)?.expires
        try store.setLocalValue(key, try JSONEncoder().encode(value), expires: until)
    }

    public func get<Object: Codable & Sendable>(key: String, as object: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: object)?.object
    }

    public func getWithTTL<Object: Codable & Sendable>(key: String, as object: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        guard let (data, expires) = try store.localValue(key) else { return nil }
        guard let value = try? JSONDecoder().decode(object, from: data) else { throw PersistError.invalidConversion }
        return (value, expires.map { .seconds(max(0, $0.timeIntervalSinceNow)) })
    }

    public func remove(key: String) async throws {
        try store.removeLocalValue(key)
    }
}
