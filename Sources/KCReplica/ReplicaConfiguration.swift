import Foundation

/// What a replica's data directory says about it, besides the database: its school and board.
/// Stored as `config.json` beside `replica.db`.
public struct ReplicaConfiguration: Codable, Sendable, Equatable {
    /// The school's BRIN, e.g. `12AB`.
    public var school: String
    /// The board's number (bevoegd-gezagnummer), e.g. `41234`.
    public var board: String
    /// The board server's address (`ws://` or `wss://`), once configured.
    public var boardURL: String?
    /// A PEM file of the CA certificates that `wss://` links trust instead of the system's
    /// (a board with its own CA); nil: the system's trust roots.
    public var boardCA: String?
    /// The Inspectorate's floor (signaleringswaarde) for 2F/1S that holds for this school's
    /// weging, in percent; new 2F/1S trend figures carry it.
    public var floor2F1S: Double?
    /// The school's own retention terms in months, per note category or `afspraak` /
    /// `afspraak-leerling`, over the defaults (``Retention``).
    public var retention: [String: Int]?

    /// Creates a configuration.
    public init(school: String, board: String, boardURL: String? = nil) {
        self.school = school
        self.board = board
        self.boardURL = boardURL
    }

    /// Reads `config.json` in `directory`.
    static func load(from directory: URL) throws -> ReplicaConfiguration {
        let data = try Data(contentsOf: directory.appendingPathComponent("config.json"))
        return try JSONDecoder().decode(ReplicaConfiguration.self, from: data)
    }

    /// Writes `config.json` atomically (temporary file, then rename).
    func save(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try DataDirectory.writePrivately(encoder.encode(self), to: directory.appendingPathComponent("config.json"))
    }
}
