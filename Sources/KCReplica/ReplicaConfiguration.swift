import Foundation

/// What a replica's data directory says about it, besides the database: its school and board.
/// Stored as `config.json` beside `replica.db`.
public struct ReplicaConfiguration: Codable, Sendable, Equatable {
    /// The school's BRIN, e.g. `12AB`.
    public var school: String
    /// The board's number (bevoegd-gezagnummer), e.g. `41234`.
    public var board: String
    /// The board server's address, once configured (sync comes later).
    public var boardURL: String?

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
        try encoder.encode(self).write(to: directory.appendingPathComponent("config.json"), options: .atomic)
    }
}
