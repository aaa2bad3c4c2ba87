import ArgumentParser
import SyncCore
import SyncStore

/// `kcsync note …`: the kc'er's notes.
struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Notities: toevoegen, bekijken, bewerken, delen.",
        subcommands: [Add.self, List.self, Show.self, Edit.self, Delete.self, Redact.self, Share.self, Unshare.self]
    )
}
