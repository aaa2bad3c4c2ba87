import Foundation
import KCModel
import KCReplica
import SyncCore

/// The demo's board: eight fictional schools of one fictional board, with two school years of
/// M and E figures for rekenen, begrijpend lezen, technisch lezen and spelling, and notes and
/// agreements in all three kc roles. The values are made up but shaped like real ones (shares
/// of niveau I–II around 40–60%, 1F in the nineties, 2F/1S around 50–65%), with a few real
/// declines: begrijpend lezen in groep 6–7 at four schools. Every value comes from a fixed
/// seed, so every demo shows the same board.
enum DemoData {
    struct School {
        var brin: String
        var name: String
        var ambition: Double
        var base: Double
    }

    static let board = "41234"
    static let boardName = "Stichting Primair Onderwijs Rivierenland (fictief)"
    static let schools: [School] = [
        School(brin: "03AB", name: "De Regenboog", ambition: 48, base: 52),
        School(brin: "05CD", name: "Het Kompas", ambition: 43, base: 47),
        School(brin: "07EF", name: "De Wilgen", ambition: 55, base: 58),
        School(brin: "09GH", name: "Klavertje Vier", ambition: 40, base: 41),
        School(brin: "11JK", name: "De Zonnewijzer", ambition: 47, base: 50),
        School(brin: "13LM", name: "Het Palet", ambition: 43, base: 45),
        School(brin: "15NP", name: "De Fontein", ambition: 51, base: 54),
        School(brin: "17RS", name: "De Linde", ambition: 47, base: 49),
    ]
    static let periods = ["2024-2025 M", "2024-2025 E", "2025-2026 M", "2025-2026 E"].compactMap(Period.init)
    static let areas: [SubjectArea] = [.arithmetic, .readingComprehension, .technicalReading, .spelling]
    /// Where begrijpend lezen in groep 6 and 7 falls three times in a row.
    static let declining: Set<String> = ["03AB", "07EF", "11JK", "15NP"]

    /// A small deterministic generator (SplitMix64), so the demo is the same every time.
    struct Seeded {
        var state: UInt64
        init(_ text: String) { state = text.utf8.reduce(0xcbf29ce484222325) { ($0 ^ UInt64($1)) &* 0x100000001b3 } }
        mutating func next() -> UInt64 {
            state &+= 0x9e3779b97f4a7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
            z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
            return z ^ (z >> 31)
        }
        mutating func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + Double(next() % 10_000) / 10_000 * (range.upperBound - range.lowerBound)
        }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    }

    static func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    /// The trend figures of one school.
    static func figures(for school: School) -> [TrendDraft] {
        var random = Seeded(school.brin)
        var drafts: [TrendDraft] = []
        for area in areas {
            for group in 4...7 {
                let pupils = school.brin == "17RS" && group == 7 ? 8 : random.int(21...30)
                let areaShift: Double = switch area {
                case .arithmetic: 2
                case .technicalReading: 4
                case .spelling: -1
                default: 0
                }
                let value = school.base + areaShift + random.uniform(-4...4)
                // A wobble that rises and falls, so most series are stable or mixed.
                let wobble = [0.0, 1.8, -1.2, 0.9]
                for (index, period) in periods.enumerated() {
                    let falling = area == .readingComprehension && (group == 6 || group == 7) && declining.contains(school.brin)
                    let rising = area == .technicalReading && group == 4 && ["05CD", "09GH", "13LM"].contains(school.brin)
                    var shown = value + wobble[index]
                    if falling { shown = value - Double(index) * random.uniform(3...5.5) }
                    if rising { shown = value + Double(index) * random.uniform(2...4) }
                    var draft = TrendDraft(subjectArea: area, period: period, group: String(group), metric: .percentLevelIandII,
                                           value: round1(min(max(shown, 5), 95)), pupils: pupils)
                    draft.ambition = school.ambition
                    draft.nationalAverage = 45
                    if falling && index == periods.count - 1 {
                        draft.interpretation = "Sinds de invoering van de nieuwe leesmethode gaat de instructietijd vooral naar technisch lezen; het modelen van leesstrategieën schiet erbij in."
                        draft.actions = "Leerteam 6-7 plant lesbezoeken begrijpend lezen en herverdeelt de instructietijd."
                    }
                    drafts.append(draft)
                }
            }
        }
        // Groep 8, end of year, three school years: the reference levels in lezen, taalverzorging
        // and rekenen behind the Inspectie's fictional file (DemoGroep8.swift, from
        // Tools/inspectie-example.py), so what kcsync computes matches what the file says.
        let threshold = threshold1S2F[school.brin] ?? 50
        for row in groep8[school.brin] ?? [] {
            let period = Period(startYear: row.year, moment: .end)
            var oneF = TrendDraft(subjectArea: row.area, period: period, group: "8", metric: .percent1F, value: row.oneF, pupils: row.pupils)
            oneF.ambition = 92
            drafts.append(oneF)
            var high = TrendDraft(subjectArea: row.area, period: period, group: "8", metric: .percent2F1S, value: row.high, pupils: row.pupils)
            high.ambition = threshold + 4
            high.inspectionThreshold = threshold
            drafts.append(high)
        }
        return drafts
    }

    static let pupilNames = ["Daan", "Sanne", "Milan", "Noor", "Lucas", "Fenna", "Sem", "Julia"]

    /// Notes and agreements in the three kc roles. The trendanalist's and leercoördinator's
    /// school- and leerteam-level records are shared with the board; the zorgregisseur's
    /// pupil-level notes, the sensitive note and the parent conversation stay at school.
    static func fillNotes(_ replica: KCReplica, school: School, index: Int, today: Int32) throws(KCError) {
        var analysis = NoteDraft(author: "kc'er \(school.name)", role: .trendAnalyst, category: .trendAnalysis, title: "Schoolanalyse 2025-2026 E")
        analysis.subject = .school
        analysis.body = "Rekenen en spelling liggen op of boven de ambitie. \(declining.contains(school.brin) ? "Begrijpend lezen daalt in groep 6 en 7 voor de derde meting op rij; dat vraagt een gezamenlijke aanpak." : "Begrijpend lezen is stabiel.") Technisch lezen in de onderbouw stijgt."
        analysis.subjectArea = .readingComprehension
        analysis.period = Period("2025-2026 E")
        analysis.tags = ["trendanalyse", "schoolanalyse"]
        let analysisNote = try replica.addNote(analysis)
        _ = try replica.shareNote(analysisNote.id)

        var team = NoteDraft(author: "kc'er \(school.name)", role: .learningCoordinator, category: .learningTeamMeeting, title: "Leerteam 6-7: lesbezoeken begrijpend lezen")
        team.subject = .learningTeam
        team.body = "Het leerteam bekeek samen twee opnames van een les begrijpend lezen. Afgesproken: elke leerkracht modelt de strategie voorspellen hardop, en we bezoeken elkaar in blok 3."
        let teamNote = try replica.addNote(team)
        _ = try replica.shareNote(teamNote.id)
        var draft = AgreementDraft(title: "Collegiale lesbezoeken begrijpend lezen in groep 6 en 7", owner: "Leerteam 6-7", dueDate: today + 56)
        draft.level = .learningTeam
        draft.fromNote = teamNote.id
        draft.evaluationDate = today + 70
        let agreement = try replica.addAgreement(draft)
        _ = try replica.shareAgreement(agreement.id)

        let pupil = pupilNames[index % pupilNames.count]
        var care = NoteDraft(author: "kc'er \(school.name)", role: .careCoordinator, category: .pupilMeeting, title: "Leerlingbespreking \(pupil) (groep 5), \(school.name)")
        care.subject = .pupil
        care.subjectRef = "groep 5"
        care.body = "\(pupil) leest op AVI E3 en raakt gemotiveerd af; extra leesbegeleiding drie keer per week, evaluatie na zes weken. Alleen voor de school (\(school.brin)-leerling-\(pupil.lowercased()))."
        _ = try replica.addNote(care)
        var sensitive = NoteDraft(author: "kc'er \(school.name)", role: .careCoordinator, category: .observation, title: "Observatie groep 5 met gezondheidsinformatie, \(school.name)")
        sensitive.subject = .group
        sensitive.sensitive = true
        sensitive.body = "Een leerling uit groep 5 heeft een diagnose die de klas moet kennen; afspraken met ouders vastgelegd (\(school.brin)-gevoelig)."
        _ = try replica.addNote(sensitive)
        var parents = NoteDraft(author: "kc'er \(school.name)", role: .careCoordinator, category: .parentConversation, title: "Oudergesprek over leesbegeleiding, \(school.name)")
        parents.subject = .group
        parents.body = "Ouders van \(pupil) stemmen in met de extra begeleiding (\(school.brin)-oudergesprek)."
        _ = try replica.addNote(parents)
        var pupilAgreement = AgreementDraft(title: "Extra leesbegeleiding voor \(pupil)", owner: "leerkracht groep 5", dueDate: today + 42)
        pupilAgreement.level = .pupil
        _ = try replica.addAgreement(pupilAgreement)
    }

    /// The advice the board writes in the demo, for its strongest falling signal.
    static func advice(for signal: String) -> AdviceDraft {
        var draft = AdviceDraft(period: Period("2025-2026 E")!, subjectArea: .readingComprehension, signal: signal,
                                advice: "Geef begrijpend lezen in groep 6 en 7 weer vaste instructietijd naast technisch lezen, en laat leerkrachten de leesstrategieën hardop modelen. Scholen waar het werkt, delen hun aanpak in het kc-netwerk.",
                                author: "bovenschools kc'er")
        draft.interpretation = "De daling valt samen met de invoering van de nieuwe leesmethode, die meer tijd vraagt voor technisch lezen."
        draft.suggestedAgreements = ["Leerteam 6-7 roostert twee keer per week 30 minuten begrijpend lezen",
                                     "Kc'er bezoekt in blok 3 twee lessen begrijpend lezen en bespreekt ze na"]
        return draft
    }

    /// How each school answers the advice.
    static let reactions: [String: (AdviceReaction, String)] = [
        "03AB": (.adopted, "Nemen we op in het leesplan van volgend jaar."),
        "05CD": (.seen, "Bij ons stabiel; we houden het in de gaten."),
        "07EF": (.adopted, "Start na de herfstvakantie."),
        "09GH": (.notApplicable, "Onze aandacht gaat naar rekenen: 1F ligt onder de signaleringswaarde."),
        "11JK": (.adopted, "Past bij onze lesbezoeken."),
        "13LM": (.seen, "Bespreken we in het MT."),
        "15NP": (.adopted, ""),
        "17RS": (.seen, "Kleine groepen; we volgen het per leerling."),
    ]
}
