public import Foundation
public import SyncCore
import SyncProtocol
import SyncStore

/// Another replica of the same school that this one syncs with directly.
public struct PeerEntry: Codable, Sendable, Equatable {
    /// Its public key, 64 hex digits (from `kcsync key` on that replica).
    public var publicKey: String
    /// Its replica id (the hash of the key), hex.
    public var replica: String
    /// Where it listens (`wss://host:8451`), if this replica is to connect to it; nil when it
    /// only connects here.
    public var url: String?

    /// The key as bytes.
    public var publicKeyBytes: [UInt8] { Hex.decode(publicKey) ?? [] }
}

extension KCReplica {
    /// The registered peers (kept in the replica database, beside the changes).
    public func peers() -> [PeerEntry] {
        ((try? store.peers()) ?? []).map { record in
            PeerEntry(publicKey: Hex.encode(record.publicKey), replica: ReplicaKey.replicaID(forPublicKey: record.publicKey).hex, url: record.url)
        }
    }

    /// Registers a replica of this school by its public key, and where it listens if this
    /// replica should connect to it. This replica also signs a membership statement for the
    /// key: once this replica is itself a member (certified by the board), the other replica
    /// is one too, for the board and every school, whether its changes come directly or are
    /// relayed. So `peer add` at the desktop is all it takes to admit the laptop. Adding a key
    /// again updates its address.
    @discardableResult
    public func addPeer(publicKey: String, url: String?) throws(KCError) -> PeerEntry {
        let key = publicKey.lowercased()
        guard key.count == 64, let bytes = Hex.decode(key), bytes.count == 32 else {
            throw KCError(.invalidInput, "Een sleutel is 64 hexadecimale tekens; kopieer hem uit 'kcsync key' op de andere replica.")
        }
        guard key != publicKeyHex else {
            throw KCError(.invalidInput, "Dat is de sleutel van deze replica zelf; geef de sleutel van de andere replica.")
        }
        // Peer links between machines get TLS with the replica keys (the privacy issue); until
        // then a peer may be dialled over ws:// on the school's network.
        if let url { try KCReplica.checkLinkURL(url, what: "Het adres van een peer", peer: true) }
        if let boardKey = try? store.trust()?.boardKey, boardKey == bytes {
            throw KCError(.invalidInput, "Dat is de sleutel van het bestuur; een peer is een andere replica van deze school.")
        }
        try perform("de peer te registreren") { () throws(SyncError) in
            try store.addPeer(publicKey: bytes, url: url)
            try store.issueMembership(school: configuration.school, memberKey: bytes)
        }
        return PeerEntry(publicKey: key, replica: ReplicaKey.replicaID(forPublicKey: bytes).hex, url: url)
    }

    /// Removes a peer, named by its key, replica id (or a unique start of either) or address,
    /// and revokes the membership this replica gave it.
    @discardableResult
    public func removePeer(_ name: String) throws(KCError) -> PeerEntry {
        let wanted = name.lowercased()
        let matches = peers().filter { $0.url == name || $0.publicKey.hasPrefix(wanted) || $0.replica.hasPrefix(wanted) }
        guard matches.count == 1, let match = matches.first else {
            throw KCError(matches.isEmpty ? .notFound : .ambiguous,
                          matches.isEmpty ? "Geen peer gevonden bij '\(name)'. Zie: kcsync peer list" : "'\(name)' past bij \(matches.count) peers; geef meer tekens van de sleutel.")
        }
        try perform("de peer te verwijderen") { () throws(SyncError) in
            try store.removePeer(publicKey: match.publicKeyBytes)
            try store.issueMembership(school: configuration.school, memberKey: match.publicKeyBytes, revoked: true)
        }
        return match
    }

    /// The scopes a replica may sync with this one: the school scope and the board scope when
    /// it is a member of this same school (by the membership statements, or registered here as
    /// a peer); nil (refused) otherwise. What it says of itself in `Hello` does not count.
    public func peerScopes(replica: ReplicaID) -> [Scope]? {
        guard let trust = try? store.trust(), trust.authority(of: replica) == .school(configuration.school),
              replica != store.replicaID else { return nil }
        return [schoolScope, boardScope]
    }

    /// Moves a `peers.json` of an older kcsync into the database, then removes the file.
    func importPeersFile() throws(KCError) {
        let url = directory.appendingPathComponent("peers.json")
        guard let data = try? Data(contentsOf: url) else { return }
        guard let old = try? JSONDecoder().decode([PeerEntry].self, from: data) else {
            throw KCError(.storage, "peers.json in \(directory.path) is onleesbaar; herstel of verwijder het bestand.")
        }
        for peer in old where peer.publicKeyBytes.count == 32 {
            try perform("peers.json over te nemen") { () throws(SyncError) in
                try store.addPeer(publicKey: peer.publicKeyBytes, url: peer.url)
                try store.issueMembership(school: configuration.school, memberKey: peer.publicKeyBytes)
            }
        }
        try? FileManager.default.removeItem(at: url)
    }

    /// Checks a link address: `wss://` with a host name, or `ws://` only to this machine
    /// (loopback), since a link between machines must be encrypted; `cleartextOffLoopback`
    /// lets a peer link use `ws://` on the school's network.
    static func checkLinkURL(_ url: String, what: String, peer: Bool = false) throws(KCError) {
        guard url.hasPrefix("ws://") || url.hasPrefix("wss://"), let host = URL(string: url)?.host, !host.isEmpty else {
            throw KCError(.invalidInput, "\(what) begint met wss:// en noemt een host, bijvoorbeeld \(peer ? "wss://192.168.1.20:8451" : "wss://bestuur.example.nl:8450").")
        }
        if url.hasPrefix("ws://") && !isLoopback(host) {
            throw KCError(.invalidInput, "\(what) gebruikt ws:// naar een andere machine. Dat is onversleuteld; gebruik wss:// (ws:// mag alleen naar 127.0.0.1 of localhost).")
        }
        // A peer is known by its key, not by a name in a certificate: an IP address will do.
        if !peer { try checkTLSHost(url) }
    }

    /// True for 127.0.0.0/8, ::1 and localhost.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
