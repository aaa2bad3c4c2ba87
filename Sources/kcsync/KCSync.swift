import ArgumentParser
import Foundation
import KCReplica
import SchoolDaemon
import SyncCore
import SyncStore
import Synchronization

/// `kcsync`: the kc'er's command. Every subcommand works on the local replica (local-first);
/// sync with the board and with peers comes with the daemon.
@main
struct KCSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kcsync",
        abstract: "Local-first notities, afspraken en trendadviezen voor kwaliteitscoördinatoren.",
        discussion: """
            Data lives in --data DIR, else $KCSYNC_HOME, else $XDG_DATA_HOME/kcsync (~/.local/share/kcsync).
            Exit codes: 0 done, 1 refused or failed (message on stderr), 64 usage error.
            """,
        subcommands: [Init.self, NoteCommand.self, AgreementCommand.self, TrendCommand.self, AdviceCommand.self, Conflicts.self, Erase.self, RetentionCommand.self, Status.self,
                      KeyCommand.self, ConfigCommand.self, SyncCommand.self, DaemonCommand.self, OpenCommand.self, UsersCommand.self, PeerCommand.self, BoardCommand.self, Demo.self]
    )

    /// Runs the command; when it wrote to the replica and a daemon runs, tells the daemon
    /// over its control socket, so the write goes out at once.
    static func main() async {
        // Everything kcsync makes (databases, keys, config, logs of erasures) is its owner's
        // alone, whatever the shell's umask.
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            await OpenedReplica.notifyIfWritten()
        } catch {
            await OpenedReplica.notifyIfWritten()
            exit(withError: error)
        }
    }
}

/// The replica a command opened and its version vectors then, to tell whether it wrote.
enum OpenedReplica {
    static let opened = Mutex<(KCReplica, [VersionVector])?>(nil)

    static func vectors(_ replica: KCReplica) -> [VersionVector] {
        [replica.schoolScope, replica.boardScope].map { (try? replica.store.versionVector($0)) ?? VersionVector() }
    }

    static func record(_ replica: KCReplica) {
        opened.withLock { if $0 == nil { $0 = (replica, vectors(replica)) } }
    }

    static func notifyIfWritten() async {
        guard let (replica, before) = opened.withLock({ $0 }), vectors(replica) != before else { return }
        _ = await ControlClient.request("changed", directory: replica.directory)
    }
}
