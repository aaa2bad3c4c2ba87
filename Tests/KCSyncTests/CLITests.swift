import Foundation
import Testing

/// The `kcsync` command as a kc'er uses it: the real executable, a real data directory.
@Suite struct CLITests {
    @Test func initCreatesAReplicaAndStatusReportsItInJSON() throws {
        let cli = try CLI()
        let created = try cli.run("init", "--school", "12AB", "--board", "41234")
        #expect(created.status == 0)
        #expect(created.out.contains("Replica aangemaakt voor school 12AB"))
        let status = try cli.run("status", "--json").object()
        #expect(status["school"] as? String == "12AB")
        #expect(status["board"] as? String == "41234")
        #expect((status["replica"] as? String)?.count == 32)
        #expect((status["stateHash"] as? String)?.count == 64)
        let scopes = try #require(status["scopes"] as? [String: [String: Any]])
        #expect(Set(scopes.keys) == ["school/12AB", "board/41234"])
        #expect(scopes["school/12AB"]?["changes"] as? Int == 0)
        #expect(scopes["school/12AB"]?["versionVector"] is [String: Any])

        // A second init is refused and changes nothing.
        let hash = try cli.stateHash()
        let again = try cli.run("init", "--school", "34CD", "--board", "41234")
        #expect(again.status == 1)
        #expect(again.err.contains("staat al een replica"))
        #expect(try cli.stateHash() == hash)
        #expect(try cli.run("status", "--json").object()["school"] as? String == "12AB")
    }

    @Test(arguments: [["--school", "1234", "--board", "41234"], ["--school", "12AB", "--board", "4123"], ["--school", "12A"]])
    func invalidInitArgumentsAreAUsageError(arguments: [String]) throws {
        let cli = try CLI()
        let result = try cli.run(["init"] + arguments)
        #expect(result.status == 64)
        #expect(!FileManager.default.fileExists(atPath: cli.home.appendingPathComponent("replica.db").path))
        if arguments[1] == "1234" { #expect(result.err.contains("geen geldig BRIN-nummer")) }
    }

    /// Beyond this machine the pages are served only over TLS: an address another machine could
    /// reach without --web-cert is refused before anything listens, and so is one that is no address.
    @Test(arguments: ["0.0.0.0:8452", "192.168.1.20:8452", "[::]:8452", "geen-adres"])
    func thePagesRefuseAnAddressBeyondThisMachineWithoutTLS(address: String) throws {
        let cli = try CLI()
        #expect(try cli.run("init", "--school", "12AB", "--board", "41234").status == 0)
        let result = try cli.run("daemon", "--web", address)
        #expect(result.status == 1, "\(result.out) \(result.err)")
        #expect(result.err.contains(address == "geen-adres" ? "geen adres" : "alleen versleuteld"), "\(result.err)")
    }

    @Test func aMissingReplicaIsReportedInDutch() throws {
        let cli = try CLI()
        let result = try cli.run("note", "list")
        #expect(result.status == 1)
        #expect(result.err.contains("Er is geen replica"))
        #expect(result.err.contains("kcsync init"))
    }

    @Test func notesAreAddedListedFilteredShownAndEdited() throws {
        let cli = try CLI()
        try cli.run("init", "--school", "12AB", "--board", "41234")
        let rekenen = try cli.addNote("--subject-area", "rekenen", "--period", "2025-2026 M", "--title", "Rekenen groep 6 daalt",
                                      "--body", "De leerteams zien een daling in groep 6.", "--tag", "groep 6", "--tag", "trend")
        _ = try cli.run(["note", "add", "--role", "leercoördinator", "--category", "leerteamoverleg", "--title", "PLG spelling",
                         "--subject", "leerteam", "--period", "2025-2026 E"])
        let all = try cli.run("note", "list", "--json").array()
        #expect(all.count == 2)
        #expect(try cli.run("note", "list", "--json", "--role", "trendanalist").array().map { $0["id"] as? String } == [rekenen])
        #expect(try cli.run("note", "list", "--json", "--period", "2025-2026 E").array().count == 1)
        #expect(try cli.run("note", "list", "--json", "--subject-area", "rekenen").array().count == 1)
        #expect(try cli.run("note", "list", "--json", "--tag", "trend").array().count == 1)
        #expect(try cli.run("note", "list", "--json", "--visibility", "board").array().isEmpty)
        let text = try cli.run("note", "list")
        #expect(text.out.contains(String(rekenen.suffix(8))) && text.out.contains("trendanalist"))

        // Shown by its short id and by a prefix of the full id.
        let shown = try cli.run("note", "show", String(rekenen.suffix(8)), "--json").object()
        #expect(shown["title"] as? String == "Rekenen groep 6 daalt")
        #expect(shown["tags"] as? [String] == ["groep 6", "trend"])
        #expect(shown["role"] as? String == "trendAnalyst")
        #expect(try cli.run("note", "show", rekenen).out.contains("Rol:          trendanalist"))

        let edited = try cli.run("note", "edit", String(rekenen.suffix(8)), "--json", "--body",
                                 "De leerteams zien een sterke daling in groep 6.", "--add-tag", "actie", "--remove-tag", "trend").object()
        #expect(edited["body"] as? String == "De leerteams zien een sterke daling in groep 6.")
        #expect(edited["tags"] as? [String] == ["actie", "groep 6"])

        let deleted = try cli.run("note", "delete", String(rekenen.suffix(8)))
        #expect(deleted.status == 0)
        #expect(try cli.run("note", "list", "--json").array().count == 1)
        #expect(try cli.run("note", "list", "--json", "--all").array().count == 2)
    }

    @Test func unknownAndAmbiguousIdsAreRefusedAndChangeNothing() throws {
        let cli = try CLI()
        try cli.run("init", "--school", "12AB", "--board", "41234")
        let a = try cli.addNote("--title", "een")
        _ = try cli.addNote("--title", "twee")
        let hash = try cli.stateHash()
        let unknown = try cli.run("note", "edit", "ffffffff", "--title", "x")
        #expect(unknown.status == 1)
        #expect(unknown.err.contains("Geen notitie gevonden met id ffffffff"))
        let ambiguous = try cli.run("note", "show", String(a.prefix(6)))   // both share the time-ordered start
        #expect(ambiguous.status == 1)
        #expect(ambiguous.err.contains("past bij 2 records"))
        let garbage = try cli.run("note", "share", "xyz!")
        #expect(garbage.status == 1)
        #expect(garbage.err.contains("geen geldig id"))
        #expect(try cli.stateHash() == hash)
    }

    @Test(arguments: [["--subject", "pupil"], ["--sensitive"], ["--category", "oudergesprek"]])
    func sharingWhatMustStayAtSchoolIsRefusedAndChangesNothing(extra: [String]) throws {
        let cli = try CLI()
        try cli.run("init", "--school", "12AB", "--board", "41234")
        var arguments = ["note", "add", "--json", "--role", "zorgregisseur", "--title", "Bespreking Sam"]
        if !extra.contains("--category") { arguments += ["--category", "leerlingbespreking"] }
        let id = try #require(try cli.run(arguments + extra).object()["id"] as? String)
        let hash = try cli.stateHash()
        let refused = try cli.run("note", "share", String(id.suffix(8)))
        #expect(refused.status == 1)
        #expect(refused.err.contains("AVG"))
        #expect(refused.err.contains("Er is niets gedeeld"))
        #expect(try cli.stateHash() == hash)
        let scopes = try #require(try cli.run("status", "--json").object()["scopes"] as? [String: [String: Any]])
        #expect(scopes["board/41234"]?["changes"] as? Int == 0)
    }

    @Test func aSharedNoteMirrorsItsEditsToTheBoardUntilItIsUnshared() throws {
        let cli = try CLI()
        try cli.run("init", "--school", "12AB", "--board", "41234")
        let id = String(try cli.addNote("--title", "Trend begrijpend lezen", "--body", "Daling in groep 7.").suffix(8))
        func boardChanges() throws -> Int? {
            (try cli.run("status", "--json").object()["scopes"] as? [String: [String: Any]])?["board/41234"]?["changes"] as? Int
        }
        let shared = try cli.run("note", "share", id, "--json").object()
        #expect(shared["shared"] as? Bool == true)
        #expect(shared["visibility"] as? String == "board")
        #expect(try boardChanges() == 1)
        #expect(try cli.run("note", "list", "--json", "--visibility", "board").array().count == 1)
        try cli.run("note", "edit", id, "--body", "Daling in groep 7 en 8.")
        #expect(try boardChanges() == 2)

        // Making a shared note pupil-level is refused and changes nothing.
        let hash = try cli.stateHash()
        let refused = try cli.run("note", "edit", id, "--subject", "pupil")
        #expect(refused.status == 1)
        #expect(refused.err.contains("unshare"))
        #expect(try cli.stateHash() == hash)

        let again = try cli.run("note", "share", id)
        #expect(again.status == 1 && again.err.contains("al gedeeld"))
        let unshared = try cli.run("note", "unshare", id, "--json").object()
        #expect(unshared["shared"] as? Bool == false)
        #expect(try boardChanges() == 3)
        // The board copy is erased: its content is gone from the database file.
        let bytes = try Data(contentsOf: cli.home.appendingPathComponent("replica.db"))
        let occurrences = bytes.ranges(of: Data("Daling in groep 7 en 8.".utf8)).count
        #expect(occurrences >= 1)            // the school's own note keeps it
        let edit = try cli.run("note", "edit", id, "--subject", "pupil")
        #expect(edit.status == 0)            // no longer shared: a pupil-level note may stay at school
    }

    @Test func agreementsHaveAnOwnerADeadlineAndAStatus() throws {
        let cli = try CLI()
        try cli.run("init", "--school", "12AB", "--board", "41234")
        let note = String(try cli.addNote("--title", "Leerteamoverleg rekenen").suffix(8))
        let added = try cli.run("agreement", "add", "--json", "--title", "Verlengde instructie rekenen", "--owner", "leerteam midden",
                                "--due", "2030-03-01", "--evaluate", "2030-04-15", "--from-note", note)
        #expect(added.status == 0, "\(added.err)")
        let agreement = try added.object()
        #expect(agreement["status"] as? String == "open")
        #expect(agreement["dueDate"] as? String == "2030-03-01")
        #expect(agreement["evaluationDate"] as? String == "2030-04-15")
        let id = String(try #require(agreement["id"] as? String).suffix(8))
        let linked = try cli.run("note", "show", note, "--json").object()
        #expect((linked["linkedAgreements"] as? [String])?.first == agreement["id"] as? String)

        try cli.run("agreement", "add", "--title", "Oude afspraak", "--owner", "kc'er", "--due", "2020-01-01")
        let overdue = try cli.run("agreement", "list", "--overdue", "--json").array()
        #expect(overdue.map { $0["title"] as? String } == ["Oude afspraak"])
        #expect(overdue.first?["overdue"] as? Bool == true)
        #expect(try cli.run("agreement", "list").out.contains("(te laat)"))

        let updated = try cli.run("agreement", "update", id, "--status", "afgerond", "--outcome", "Groei zichtbaar", "--json").object()
        #expect(updated["status"] as? String == "afgerond")
        #expect(updated["outcome"] as? String == "Groei zichtbaar")
        #expect(try cli.run("agreement", "list", "--status", "afgerond", "--json").array().count == 1)
        #expect(try cli.run("agreement", "share", id, "--json").object()["shared"] as? Bool == true)

        let hash = try cli.stateHash()
        let badDate = try cli.run("agreement", "add", "--title", "x", "--owner", "y", "--due", "2026-02-30")
        #expect(badDate.status == 64)
        #expect(badDate.err.contains("geen geldige datum"))
        let badStatus = try cli.run("agreement", "update", id, "--status", "klaar")
        #expect(badStatus.status == 64)
        let pupil = try cli.run("agreement", "add", "--json", "--title", "Extra begeleiding Sam", "--owner", "juf Ria",
                                "--due", "2026-05-01", "--level", "pupil")
        let pupilID = String(try #require(try pupil.object()["id"] as? String).suffix(8))
        let hashWithPupil = try cli.stateHash()
        #expect(hashWithPupil != hash)
        let refused = try cli.run("agreement", "share", pupilID)
        #expect(refused.status == 1 && refused.err.contains("leerling"))
        #expect(try cli.stateHash() == hashWithPupil)
    }

    @Test func eraseRemovesTheContentFromTheReplica() throws {
        let cli = try CLI()
        try cli.run("init", "--school", "12AB", "--board", "41234")
        let canary = "CANARY-\(UUID().uuidString)"
        let id = try #require(try cli.run("note", "add", "--json", "--role", "zorgregisseur", "--category", "leerlingbespreking",
                                          "--subject", "pupil", "--title", "Gesprek \(canary)", "--body", "Diagnose \(canary)")
                                .object()["id"] as? String)
        let noReason = try cli.run("erase", String(id.suffix(8)))
        #expect(noReason.status == 64)
        let erased = try cli.run("erase", String(id.suffix(8)), "--reason", "verzoek ouders", "--json")
        #expect(erased.status == 0, "\(erased.err)")
        #expect(try erased.object()["reason"] as? String == "verzoek ouders")
        for file in ["replica.db", "replica.db-wal"] {
            let bytes = (try? Data(contentsOf: cli.home.appendingPathComponent(file))) ?? Data()
            #expect(bytes.range(of: Data(canary.utf8)) == nil, "\(file) still holds the erased content")
        }
        let log = try cli.run("erase", "--list", "--json").out
        #expect(log.contains(id) && log.contains("verzoek ouders") && !log.contains(canary))
        let shown = try cli.run("note", "show", String(id.suffix(8)))
        #expect(shown.status == 1 && shown.err.contains("Geen notitie gevonden"))
    }
}
