import ArgumentParser
import Foundation
import KCReplica
import SyncCore
import SyncStore

extension KCSync {
    /// `kcsync init`: creates the replica of one school.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Maak een nieuwe replica voor een school.")

        @OptionGroup var options: ReplicaOptions

        @Option(help: "The school's BRIN: 2 digits and 2 letters, e.g. 12AB.")
        var school: String

        @Option(help: "The board's number (bevoegd gezag): 5 digits, e.g. 41234.")
        var board: String

        @Option(help: "The board server's address: wss://host:8450 (ws:// only to 127.0.0.1 or localhost).")
        var boardURL: String?

        @Option(help: "The board's public key (64 hex digits, from 'kcsync board key' on the server): only a server with this key is the board. Without it the key is learnt on the first sync and shown by 'kcsync status'.")
        var boardKey: String?

        func validate() throws {
            guard Scope.isValidBRIN(school) else {
                throw ValidationError("--school: '\(school)' is geen geldig BRIN-nummer; verwacht 2 cijfers en 2 letters, bijvoorbeeld 12AB.")
            }
            guard Scope.isValidBoardNumber(board) else {
                throw ValidationError("--board: '\(board)' is geen geldig bestuursnummer; verwacht 5 cijfers, bijvoorbeeld 41234.")
            }
            if let boardURL, !(boardURL.hasPrefix("ws://") || boardURL.hasPrefix("wss://")) {
                throw ValidationError("--board-url: het adres begint met wss:// (of ws:// naar deze machine), bijvoorbeeld wss://bestuur.example.nl:8450.")
            }
            if let boardKey, Hex.decode(boardKey.lowercased())?.count != 32 {
                throw ValidationError("--board-key: de sleutel van het bestuur is 64 hexadecimale tekens, uit 'kcsync board key' op de server.")
            }
        }

        func run() throws {
            try reporting {
                let replica = try KCReplica.create(in: options.directory, school: school, board: board, boardURL: boardURL,
                                                   boardKey: boardKey.flatMap { Hex.decode($0.lowercased()) })
                if options.json {
                    print(try statusJSON(replica, nil))
                } else {
                    print("Replica aangemaakt voor school \(replica.configuration.school) (bestuur \(replica.configuration.board)).")
                    print("Replica-id: \(replica.store.replicaID.hex)")
                    print("Datamap:    \(replica.directory.path)")
                }
            }
        }
    }
}
