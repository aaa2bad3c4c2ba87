import ArgumentParser
import Foundation
import KCReplica

/// `kcsync users`: the kc'ers' accounts for this replica's pages, needed when the pages are
/// served beyond this machine (`kcsync daemon --web HOST:PORT --web-cert … --web-key …`).
/// Kept in the replica's own database, never synced.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "De accounts voor de pagina's van deze replica (nodig buiten dit apparaat).",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Maak een account (of geef het een nieuw wachtwoord); het wachtwoord wordt één keer getoond.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The kc'er's name, as author of what they write on the pages.") var name: String

        func run() throws {
            try reporting {
                let replica = try options.open()
                let secret = try replica.addSchoolAccount(name: name)
                let stored = replica.schoolAccount(name)?.name ?? name
                if options.json { try printJSON(["name": stored, "secret": secret]); return }
                print("Account \(stored) gemaakt. Wachtwoord:")
                print(secret)
                print("Bewaar het nu; het wordt niet opgeslagen en kan niet opnieuw worden getoond.")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Toon de accounts.")
        @OptionGroup var options: ReplicaOptions

        func run() throws {
            try reporting {
                let accounts = try options.open().schoolAccounts()
                if options.json { try printJSON(accounts.map { ["name": $0.name, "created": $0.created] }); return }
                if accounts.isEmpty { print("Nog geen accounts; maak er een met: kcsync users add NAAM") }
                for account in accounts { print("\(account.name)  (sinds \(account.created))") }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Verwijder een account; wie ermee is ingelogd, is meteen uitgelogd.")
        @OptionGroup var options: ReplicaOptions
        @Argument(help: "The account's name.") var name: String

        func run() throws {
            try reporting {
                try options.open().removeSchoolAccount(name: name)
                print("Account \(name) verwijderd; de sessies ervan zijn beëindigd.")
            }
        }
    }
}
