public import SyncStore
import Foundation
import SyncCore
import SyncProtocol

/// A refused change as `kcsync status` shows it: what was refused, on which link, why (the
/// engine's English reason, for IT) and, in Dutch, what it means and what to do.
public struct RefusalReport: Codable, Sendable, Equatable {
    /// `board`, a BRIN (at the board) or a peer's key.
    public var link: String
    /// `sent`: the other side refused a change of ours (or one we relayed); `received`: this
    /// replica refused one it received.
    public var direction: String
    /// The scope.
    public var scope: String
    /// The change: author replica id and seq.
    public var replica: String
    public var seq: UInt64
    /// The engine's code and reason (English).
    public var code: String
    public var reason: String
    /// True when it may pass later; it is then offered again by itself.
    public var transient: Bool
    /// When (ISO 8601).
    public var at: String
    /// What happened, in Dutch.
    public var message: String
    /// What to do, in Dutch.
    public var action: String

    /// The report of a stored refusal.
    public init(_ record: ReplicaStore.RefusalRecord) {
        link = record.link
        direction = record.direction
        scope = record.scope
        replica = record.refusal.replica.hex
        seq = record.refusal.seq
        code = record.refusal.code
        reason = record.refusal.reason
        transient = record.refusal.transient
        at = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(record.at) / 1000))
        (message, action) = RefusalReport.explain(code: record.refusal.code, sent: record.direction == "sent")
    }

    /// The Dutch explanation of a refusal code.
    static func explain(code: String, sent: Bool) -> (String, String) {
        let who = sent ? "De andere kant weigerde" : "Deze replica weigerde"
        switch code {
        case "notMember":
            return ("\(who) een wijziging van een replica die (nog) niet bekend is als replica van een school van dit bestuur.",
                    "Laat het bestuur de sleutel registreren (kcsync board add-school BRIN --key …), of voeg de replica toe met 'kcsync peer add' op een geregistreerde replica van dezelfde school. Daarna gaat het vanzelf verder.")
        case "notOwner":
            return ("\(who) een wijziging van een record dat bij een andere school (of bij het bestuur) hoort; alleen de eigenaar mag het wijzigen.",
                    "Niets te doen voor de school; de rest van de gegevens synchroniseert gewoon door. Meld het aan de IT van het bestuur als dit onverwacht is.")
        case "clockSkew":
            return ("\(who) een wijziging omdat de klok van de schrijver meer dan 5 minuten voorloopt.",
                    "Zet de klok van die computer gelijk (automatische tijd/NTP). De wijziging wordt vanzelf opnieuw aangeboden.")
        case "scopeNotAllowed":
            return ("\(who) een wijziging die daar niet mag staan (AVG, of een deel van de gegevens dat die replica niet hoort te schrijven).",
                    "Niets te doen voor de school; gegevens op leerlingniveau blijven op school. Meld het aan de IT van het bestuur als dit onverwacht is.")
        case "forkedChain", "brokenChain":
            return ("\(who) een wijziging die botst met een eerdere van dezelfde replica: die replica is waarschijnlijk teruggezet uit een back-up of kopie.",
                    "De teruggezette replica gaat vanzelf verder met een nieuwe identiteit; er gaat niets verloren. Gebruik voor een back-up de stappen in de README.")
        case "sequenceGap", "unknownReplica":
            return ("\(who) een wijziging omdat eerdere wijzigingen van dezelfde replica nog ontbreken.",
                    "Niets te doen: ze worden vanzelf opnieuw aangeboden zodra de ontbrekende binnen zijn.")
        default:
            return ("\(who) een wijziging die beschadigd of ongeldig is (\(code)).",
                    "Niets te doen voor de school; de rest synchroniseert door. Meld het aan de IT van het bestuur.")
        }
    }
}

extension ReplicaStore {
    /// The refusals recorded on this replica's links, as `status` shows them.
    public func refusalReports() -> [RefusalReport] {
        ((try? refusals()) ?? []).map(RefusalReport.init)
    }
}
