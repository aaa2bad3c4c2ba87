import Foundation
import Testing

/// `kcsync trend` and `kcsync advice` through the real executable.
struct TrendCLITests {
    static func school() throws -> CLI {
        let cli = try CLI()
        #expect(try cli.run("init", "--school", "12AB", "--board", "41234").status == 0)
        return cli
    }

    @Test func aTrendFigureIsSharedWithItsFloorAndReplacedNotDoubled() throws {
        let cli = try TrendCLITests.school()
        let add = try cli.run("trend", "add", "--json", "--subject-area", "rekenen", "--period", "2025-2026 E", "--group", "8",
                              "--metric", "pct-1F", "--value", "87,5", "--n", "48", "--ambition", "90", "--duiding", "Op koers")
        #expect(add.status == 0, "\(add.err)")
        let figure = try add.object()
        #expect(figure["floor"] as? Double == 85)
        #expect(figure["shared"] as? Bool == true)
        #expect(figure["value"] as? Double == 87.5)
        // The same school × subject × period × group × metric again: updated in place.
        let again = try cli.run("trend", "add", "--json", "--subject-area", "rekenen", "--period", "2025-2026 E", "--group", "8",
                                "--metric", "pct-1F", "--value", "86", "--n", "48")
        #expect(try again.object()["id"] as? String == figure["id"] as? String)
        let list = try cli.run("trend", "list", "--json").array()
        #expect(list.count == 1)
        #expect(list.first?["value"] as? Double == 86)
        // 2F/1S needs the school's floor first; refused without writing anything.
        let before = try cli.stateHash()
        let refused = try cli.run("trend", "add", "--subject-area", "rekenen", "--period", "2025-2026 E", "--group", "8",
                                  "--metric", "pct-2F1S", "--value", "50", "--n", "48")
        #expect(refused.status == 1)
        #expect(refused.err.contains("floor-2f1s"))
        #expect(try cli.stateHash() == before)
        #expect(try cli.run("config", "floor-2f1s", "52,5").status == 0)
        let twoF = try cli.run("trend", "add", "--json", "--subject-area", "rekenen", "--period", "2025-2026 E", "--group", "8",
                               "--metric", "pct-2F1S", "--value", "50", "--n", "48").object()
        #expect(twoF["floor"] as? Double == 52.5)
        let status = try cli.run("status", "--json").object()
        let scopes = try #require(status["scopes"] as? [String: [String: Any]])
        #expect((scopes["board/41234"]?["changes"] as? Int ?? 0) >= 2)
    }

    @Test func aFileWithOneBadRowWritesNothingAndNamesTheLine() throws {
        let cli = try TrendCLITests.school()
        let file = cli.home.appendingPathComponent("trends.csv")
        try FileManager.default.createDirectory(at: cli.home, withIntermediateDirectories: true)
        try """
            vakgebied;periode;groep;maat;waarde;n;ambitie
            begrijpend lezen;2024-2025 M;6;pct-niveau-I-II;55;30;50
            begrijpend lezen;2024-2025 E;6;pct-niveau-I-II;52,5;30;50
            begrijpend lezen;2025-2026 M;6;pct-niveau-I-II;veel;30;50
            """.write(to: file, atomically: true, encoding: .utf8)
        let before = try cli.stateHash()
        let bad = try cli.run("trend", "import", file.path)
        #expect(bad.status == 1)
        #expect(bad.err.contains("regel 4: waarde 'veel' is geen getal"), "\(bad.err)")
        #expect(bad.err.contains("niets opgeslagen"))
        #expect(try cli.stateHash() == before)
        #expect(try cli.run("trend", "list", "--json").array().isEmpty)

        try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "veel", with: "48").write(to: file, atomically: true, encoding: .utf8)
        let good = try cli.run("trend", "import", "--json", file.path)
        #expect(good.status == 0, "\(good.err)")
        #expect(try good.array().count == 3)
        let list = try cli.run("trend", "list")
        #expect(list.out.contains("begrijpend lezen, groep 6, % niveau I–II: dalend, onder ambitie"), "\(list.out)")
    }

    @Test func adoptingAnAdviceMakesLinkedLocalAgreementsAndOneReaction() throws {
        let cli = try TrendCLITests.school()
        let add = try cli.run("advice", "add", "--json", "--period", "2025-2026 E", "--subject-area", "begrijpend-lezen",
                              "--signal", "dalende trend begrijpend lezen groep 6–7 bij 4 van 11 scholen",
                              "--advice", "Geef begrijpend lezen vaste instructietijd.",
                              "--suggest", "Leerteam 6-7 roostert begrijpend lezen", "--suggest", "Kc'er bezoekt twee lessen")
        #expect(add.status == 0, "\(add.err)")
        let advice = try #require(try add.object()["id"] as? String)
        #expect(try cli.run("status", "--json").object()["adviceUnanswered"] as? Int == 1)
        let adopted = try cli.run("advice", "respond", String(advice.suffix(8)), "overgenomen", "--comment", "Past bij ons plan",
                                  "--owner", "Leerteam 6-7", "--json")
        #expect(adopted.status == 0, "\(adopted.err)")
        let agreements = try #require(try adopted.object()["agreements"] as? [String])
        #expect(agreements.count == 2)
        let status = try cli.run("status", "--json").object()
        #expect(status["adviceUnanswered"] as? Int == 0)
        #expect(status["advice"] as? Int == 1)
        for id in agreements {
            let shown = try cli.run("agreement", "show", id)
            #expect(shown.out.contains("Herkomst:     trendadvies \(advice.suffix(8))"), "\(shown.out)")
            let agreement = try cli.run("agreement", "show", id, "--json").object()
            #expect(agreement["owner"] as? String == "Leerteam 6-7")
            #expect(agreement["shared"] as? Bool == false)   // stays at school
        }
        // A second answer replaces the first: still one reaction of this school.
        #expect(try cli.run("advice", "respond", advice, "gezien").status == 0)
        let shown = try cli.run("advice", "show", advice, "--json").object()
        let reactions = try #require(shown["reactions"] as? [[String: Any]])
        #expect(reactions.count == 1)
        #expect(reactions.first?["reaction"] as? String == "gezien")
        // Unknown reaction: a usage error naming the choices.
        let wrong = try cli.run("advice", "respond", advice, "misschien")
        #expect(wrong.status == 64)
        #expect(wrong.err.contains("gezien, overgenomen of niet-van-toepassing"))
    }
}
