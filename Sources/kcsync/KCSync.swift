import ArgumentParser
import SyncCore
import SyncStore

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
        subcommands: [Init.self, NoteCommand.self, AgreementCommand.self, Conflicts.self, Erase.self, Status.self,
                      KeyCommand.self, ConfigCommand.self, SyncCommand.self, DaemonCommand.self, BoardCommand.self]
    )
}
