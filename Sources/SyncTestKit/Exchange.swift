public import SyncCore
public import SyncStore

/// In-process sync between two stores: what the network layer will do, without a network.
public enum Exchange {
    /// Sends `source` everything of the scopes both hold that `target` lacks. Returns the
    /// number of changes applied at `target`.
    @discardableResult
    public static func push(from source: ReplicaStore, to target: ReplicaStore) throws(SyncError) -> Int {
        var applied = 0
        let targetScopes = Set(try target.scopes())
        for scope in try source.scopes() where targetScopes.contains(scope) {
            let missing = try source.changes(in: scope, missingFrom: try target.versionVector(scope))
            if !missing.isEmpty { applied += try target.apply(missing).applied }
        }
        return applied
    }

    /// Pushes both ways.
    public static func sync(_ a: ReplicaStore, _ b: ReplicaStore) throws(SyncError) {
        try push(from: a, to: b)
        try push(from: b, to: a)
    }
}
