import Foundation
import KCModel
import KCReplica
import SyncCore
import SyncStore
import Testing

/// Issue 14: an LVS export in, group figures out. Pupil rows are counted and never stored;
/// the kc'er says once which column is what; a bad row names its line and writes nothing.
struct LVSImportTests {
    static func rows(_ text: String) throws -> [[String]] { try Spreadsheet.rows(Data(text.utf8)) }

    /// Ten pupils of groep 5 and six of groep 8, rekenen, with niveaus, scores and (groep 8) referentieniveaus.
    static let pupils = """
        Leerlingnummer;Naam;Groep;Schooljaar;Toets;Toetsmoment;Vaardigheidsscore;Niveau;Referentieniveau
        1;Anna Aalders;5;2025-2026;Rekenen-Wiskunde;M5;180;I;
        2;Bob Bakker;5;2025-2026;Rekenen-Wiskunde;M5;170;II;
        3;Cas Claassen;5;2025-2026;Rekenen-Wiskunde;M5;160;III;
        4;Dirk Dekker;5;2025-2026;Rekenen-Wiskunde;M5;150;IV;
        1;Anna Aalders;5;2025-2026;Rekenen-Wiskunde;E5;190;I;
        2;Bob Bakker;5;2025-2026;Rekenen-Wiskunde;E5;174;II;
        3;Cas Claassen;5;2025-2026;Rekenen-Wiskunde;E5;168;II;
        4;Dirk Dekker;5;2025-2026;Rekenen-Wiskunde;E5;150;V;
        5;Eva Evers;5;2025-2026;Rekenen-Wiskunde;E5;155;IV;
        11;Kees Kok;8;2025-2026;Rekenen-Wiskunde;E8;230;I;1S
        12;Lies Lam;8;2025-2026;Rekenen-Wiskunde;E8;220;II;1F
        13;Mo Mulder;8;2025-2026;Rekenen-Wiskunde;E8;210;III;1F
        14;Nel Nijs;8;2025-2026;Rekenen-Wiskunde;E8;190;V;<1F
        """

    static func value(_ drafts: [TrendDraft], _ period: String, _ group: String, _ metric: TrendMetric) -> (Double, Int)? {
        drafts.first { $0.period.description == period && $0.group == group && $0.metric == metric }.map { ($0.value, $0.pupils) }
    }

    @Test func pupilRowsBecomeGroupFiguresWithGrowth() throws {
        let rows = try Self.rows(Self.pupils)
        let mapping = LVSExport.propose(rows[0])
        #expect(mapping.column(.pupil) == "Leerlingnummer" && mapping.column(.moment) == "Toetsmoment" && mapping.column(.level) == "Niveau")
        #expect(mapping.column(.reference) == "Referentieniveau" && mapping.column(.subject) == "Toets" && mapping.columns["Naam"] == .ignore)
        let summary = try LVSExport.read(rows, mapping: mapping).get()
        #expect(summary.pupilRows == 13)
        let d = summary.drafts
        #expect(Self.value(d, "2025-2026 M", "5", .percentLevelIandII)! == (50, 4))
        #expect(Self.value(d, "2025-2026 E", "5", .percentLevelIandII)! == (60, 5))
        #expect(Self.value(d, "2025-2026 M", "5", .meanAbility)! == (165, 4))
        // Growth over the four pupils measured at M5 and E5: (10 + 4 + 8 + 0) / 4.
        #expect(Self.value(d, "2025-2026 E", "5", .abilityGrowth)! == (5.5, 4))
        #expect(Self.value(d, "2025-2026 M", "5", .abilityGrowth) == nil)
        // Groep 8: 3 of 4 at 1F or above, 1 of 4 at the streefniveau.
        #expect(Self.value(d, "2025-2026 E", "8", .percent1F)! == (75, 4))
        #expect(Self.value(d, "2025-2026 E", "8", .percent2F1S)! == (25, 4))
        #expect(d.allSatisfy { $0.subjectArea == .arithmetic && $0.problem() == nil })
    }

    @Test func aBadRowNamesItsLineNotThePupilAndNothingIsWritten() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kcsync-lvs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let replica = try KCReplica.create(in: root, school: "12AB", board: "41234")
        let bad = Self.pupils.replacingOccurrences(of: "3;Cas Claassen;5;2025-2026;Rekenen-Wiskunde;E5;168;II;", with: "3;Cas Claassen;5;2025-2026;Rekenen-Wiskunde;E5;168;VI;")
            .replacingOccurrences(of: "5;Eva Evers;5;2025-2026;Rekenen-Wiskunde;E5", with: "5;Eva Evers;5;2025-2026;Rekenen-Wiskunde;B5")
        let rows = try Self.rows(bad)
        let before = try replica.store.stateHash()
        do {
            try replica.importExport(rows, mapping: LVSExport.propose(rows[0]))
            Issue.record("a bad export was written")
        } catch {
            #expect(error.message.contains("regel 8: niveau 'VI'"), "\(error.message)")
            #expect(error.message.contains("regel 10: toetsmoment 'B5'"), "\(error.message)")
            #expect(!error.message.contains("Claassen") && !error.message.contains("Evers"))
        }
        #expect(try replica.store.stateHash() == before)
        #expect(try replica.trends().isEmpty)
    }

    @Test(arguments: ["lvs-cito-leerlingen.csv", "lvs-boom-datum.xlsx", "lvs-groepen.csv"])
    func theExamplesReadWithTheProposedMapping(file: String) throws {
        let data = try Data(contentsOf: InspectionTests.examples.appendingPathComponent(file))
        guard case .export(let rows, let header, _) = try TrendFile.read(data) else { Issue.record("\(file) read as kcsync's own format"); return }
        let summary = try LVSExport.read(rows, mapping: LVSExport.propose(header)).get()
        let periods = Set(summary.drafts.map(\.period.description))
        switch file {
        case "lvs-cito-leerlingen.csv":
            #expect(summary.pupilRows == 296)
            #expect(periods == ["2025-2026 M", "2025-2026 E"])
            #expect(Set(summary.drafts.map(\.group)) == ["5", "6", "8"])
            #expect(summary.drafts.contains { $0.group == "8" && $0.metric == .percent2F1S && $0.subjectArea == .readingComprehension && $0.pupils == 26 })
        case "lvs-boom-datum.xlsx":
            #expect(summary.pupilRows == 88)
            #expect(periods == ["2025-2026 M", "2025-2026 E"], "the dates 27-01 and 09-06 are midden and eind")
            #expect(summary.drafts.allSatisfy { $0.subjectArea == .spelling })
            #expect(summary.drafts.contains { $0.group == "7" && $0.metric == .abilityGrowth && $0.pupils == 22 })
        default:
            #expect(summary.pupilRows == 0)
            #expect(summary.drafts.count == 60 * 3)
            #expect(periods.count == 4)
        }
    }

    /// The command, as the trendanalist uses it: the first time it proposes and asks (without
    /// a terminal it writes nothing and says how to answer), then it remembers; and no pupil's
    /// name is anywhere in the replica's files afterwards.
    @Test func theCommandAsksOnceRemembersAndKeepsNoPupil() throws {
        let cli = try CLI()
        #expect(try cli.run("init", "--school", "12AB", "--board", "41234").status == 0)
        _ = try cli.run("config", "floor-2f1s", "45,5")
        let file = InspectionTests.examples.appendingPathComponent("lvs-cito-leerlingen.csv").path
        let first = try cli.run("trend", "import", file)
        #expect(first.status == 1 && first.out.contains("Toetsmoment → toetsmoment") && first.err.contains("--yes"), "\(first.out)\(first.err)")
        #expect(try cli.run("trend", "list", "--json").array().isEmpty)
        let preview = try cli.run("trend", "import", file, "--preview")
        #expect(preview.status == 0 && preview.out.contains("296 leerlingrijen"), "\(preview.out)")
        #expect(try cli.run("trend", "list", "--json").array().isEmpty, "a preview writes nothing")
        let accepted = try cli.run("trend", "import", file, "--yes")
        #expect(accepted.status == 0 && accepted.out.contains("geteld uit 296 leerlingrijen"), "\(accepted.out)\(accepted.err)")
        let written = try cli.run("trend", "list", "--json").array().count
        #expect(written > 20)
        // Remembered: the same source goes in without a question.
        let again = try cli.run("trend", "import", file)
        #expect(again.status == 0 && !again.out.contains("voorstel"), "\(again.out)\(again.err)")
        #expect(try cli.run("trend", "list", "--json").array().count == written, "the same figures are updated, not doubled")
        // Canary: every surname and first name of the export is in no file of the replica.
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let names = Set(text.components(separatedBy: .newlines).dropFirst().flatMap { line in line.split(separator: ";").dropFirst().prefix(2).map(String.init) })
        #expect(names.count > 20)
        var stored = Data()
        for name in try FileManager.default.contentsOfDirectory(atPath: cli.home.path) {
            stored.append((try? Data(contentsOf: cli.home.appendingPathComponent(name))) ?? Data())
        }
        #expect(stored.count > 10_000)
        // (Names of five letters or more: shorter ones could occur by chance in keys and signatures.)
        for name in names where name.utf8.count >= 5 { #expect(stored.range(of: Data(name.utf8)) == nil, "'\(name)' is in the replica's files") }
    }
}
