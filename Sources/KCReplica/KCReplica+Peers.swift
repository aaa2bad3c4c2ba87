public import Foundation
public import SyncCore
import SyncProtocol

/// Another replica of the same school that this one syncs with directly (`peers.json`).
public struct PeerEntry: Codable, Sendable, Equatable {
    /// Its public key, 64 hex digits (from `kcsync key` on that replica).
    public var publicKey: String
    /// Its replica id (the hash of the key), hex.
    public var replica: String
    /// Where it listens (`ws://host:8451`), if this replica is to connect to it; nil when it
    /// only connects here.
    public var url: String?

    /// The key as bytes.
    public var publicKeyBytes: [UInt8] { Hex.decode(publicKey) ?? [] }
}

extension KCReplica {
    private var peersURL: URL { directory.appendingPathComponent("peers.json") }

    /// The registered peers.
    public func peers() -> [PeerEntry] {
        guard let data = try? Data(contentsOf: peersURL),
              let peers = try? JSONDecoder().decode([PeerEntry].self, from: data) else { return [] }
        return peers
    }

    private func savePeers(_ peers: [PeerEntry]) throws(KCError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try encoder.encode(peers).write(to: peersURL, options: .atomic) } catch {
            throw KCError(.storage, "De lijst van peers (peers.json) kon niet worden opgeslagen.")
        }
    }

    /// Registers a replica of this school by its public key, and where it listens if this
    /// replica should connect to it. Only registered keys get in, in both directions: a
    /// listening daemon admits them, and a connecting one accepts only the key it was given.
    /// Adding a key again updates its address.
    @discardableResult
    public func addPeer(publicKey: String, url: String?) throws(KCError) -> PeerEntry {
        let key = publicKey.lowercased()
        guard key.count == 64, let bytes = Hex.decode(key), bytes.count == 32 else {
            throw KCError(.invalidInput, "Een sleutel is 64 hexadecimale tekens; kopieer hem uit 'kcsync key' op de andere replica.")
        }
        guard key != publicKeyHex else {
            throw KCError(.invalidInput, "Dat is de sleutel van deze replica zelf; geef de sleutel van de andere replica.")
        }
        if let url, !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) || URL(string: url)?.host == nil {
            throw KCError(.invalidInput, "Het adres van een peer begint met ws:// of wss:// en noemt een host, bijvoorbeeld ws://laptop-ib.local:8451.")
        }
        if let url { try KCReplica.checkTLSHost(url) }
        let entry = PeerEntry(publicKey: key, replica: ReplicaKey.replicaID(forPublicKey: bytes).hex, url: url)
        var peers = peers().filter { $0.publicKey != key }
        peers.append(entry)
        try savePeers(peers)
        return entry
    }

    /// Removes a peer, named by its key, replica id (or a unique start of either) or address.
    @discardableResult
    public func removePeer(_ name: String) throws(KCError) -> PeerEntry {
        let wanted = name.lowercased()
        var peers = peers()
        let matches = peers.filter { $0.url == name || $0.publicKey.hasPrefix(wanted) || $0.replica.hasPrefix(wanted) }
        guard matches.count == 1, let match = matches.first else {
            throw KCError(matches.isEmpty ? .notFound : .ambiguous,
                          matches.isEmpty ? "Geen peer gevonden bij '\(name)'. Zie: kcsync peer list" : "'\(name)' past bij \(matches.count) peers; geef meer tekens van de sleutel.")
        }
        peers.removeAll { $0.publicKey == match.publicKey }
        try savePeers(peers)
        return match
    }

    /// The scopes a replica with `publicKey` of `school` and `board` may sync with this one: the
    /// school scope and the board scope when it is a registered peer of this same school;
    /// nil (refused) otherwise.
    public func peerScopes(publicKey: [UInt8], school: String, board: String) -> [Scope]? {
        guard school.uppercased() == configuration.school, board == configuration.board else { return nil }
        let hex = Hex.encode(publicKey)
        guard peers().contains(where: { $0.publicKey == hex }) else { return nil }
        return [schoolScope, boardScope]
    }
}
