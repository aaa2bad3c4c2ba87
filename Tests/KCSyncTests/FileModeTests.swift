import Foundation
import KCModel
import KCReplica
import SyncProtocol
import SyncStore
import Testing

/// A data directory holds the replica's private key and every note (../shared/DOMAIN.md,
/// Privacy): under a umask of 022 and in a directory that existed before `init` (as after
/// `useradd --create-home` or `mkdir -p`), the directory ends up 0700 and every file in it
/// 0600, for a school and for the board, also after the board rewrites its account file.
struct FileModeTests {
    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    /// Runs `kcsync ARGS` from a shell whose umask is 022.
    static func underUmask022(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask 022 && exec \"$0\" \"$@\"", CLI.executable.path] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try CLI.launch(process)
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func theDataDirectoryIsTheOwnersAloneWhateverTheUmask() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-modes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let school = root.appendingPathComponent("12AB"), board = root.appendingPathComponent("board")
        for dir in [school, board] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        #expect(try FileModeTests.mode(school.path) == 0o755)
        let run = FileModeTests.underUmask022
        #expect(try run(["init", "--school", "12AB", "--board", "41234", "--data", school.path]) == 0)
        #expect(try run(["note", "add", "--data", school.path, "--role", "trendanalist", "--category", "trendanalyse", "--title", "Trend"]) == 0)
        #expect(try run(["board", "init", "--board", "41234", "--data", board.path]) == 0)
        #expect(try run(["board", "add-user", "anne", "--data", board.path]) == 0)
        #expect(try run(["board", "add-user", "bert", "--data", board.path]) == 0)
        #expect(try run(["board", "remove-user", "bert", "--data", board.path]) == 0)
        for dir in [school, board] {
            #expect(try FileModeTests.mode(dir.path) == 0o700, "\(dir.lastPathComponent)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            #expect(files.contains("replica.db") && files.contains("config.json"))
            for file in files {
                #expect(try FileModeTests.mode(dir.appendingPathComponent(file).path) == 0o600, "\(dir.lastPathComponent)/\(file)")
            }
        }
        #expect(FileManager.default.fileExists(atPath: board.appendingPathComponent("users.json").path))

        // A directory an older kcsync left open to others is closed when the replica is opened.
        _ = chmod(school.path, 0o755)
        _ = chmod(school.appendingPathComponent("replica.db").path, 0o644)
        #expect(try run(["status", "--data", school.path]) == 0)
        #expect(try FileModeTests.mode(school.path) == 0o700)
        #expect(try FileModeTests.mode(school.appendingPathComponent("replica.db").path) == 0o600)
    }

    /// The private key lives in its own owner-only file, not in the database that gets copied
    /// and backed up: the database holds no byte of it, and a copy of the database alone
    /// cannot write as the replica (it gets a key and an identity of its own).
    @Test func thePrivateKeyLivesInItsOwnFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("12AB")
        let replica = try KCReplica.create(in: dir, school: "12AB", board: "41234")
        _ = try replica.addNote(NoteDraft(author: "a", role: .trendAnalyst, category: .trendAnalysis, title: "Trend"))
        let keyFile = dir.appendingPathComponent("replica.key")
        let key = try #require(FileManager.default.contents(atPath: keyFile.path))
        #expect(key.count == 32 && key == replica.store.key.rawRepresentation)
        #expect(try FileModeTests.mode(keyFile.path) == 0o600)
        replica.store.truncateLog()
        let database = try Data(contentsOf: dir.appendingPathComponent("replica.db"))
        #expect(database.range(of: key) == nil, "the database holds no byte of the key")
        #expect(try KCReplica.open(directory: dir).store.replicaID == replica.store.replicaID)

        let copy = root.appendingPathComponent("copy")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for name in ["replica.db", "config.json"] {
            try FileManager.default.copyItem(at: dir.appendingPathComponent(name), to: copy.appendingPathComponent(name))
        }
        let restored = try KCReplica.open(directory: copy)
        #expect(restored.store.replicaID != replica.store.replicaID)
        #expect(try restored.store.formerIdentities().map(\.replica) == [replica.store.replicaID])
        #expect(try restored.notes().map(\.title) == ["Trend"], "its data stays")
    }
}
