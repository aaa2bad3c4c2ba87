import ArgumentParser
import Foundation
import KCModel
import KCReplica
import NIOSSL
import SyncCore
import SyncStore

/// Options every command takes.
struct ReplicaOptions: ParsableArguments {
    @Option(name: .long, help: "The replica's data directory.")
    var data: String?

    @Flag(name: .long, help: "Print JSON (stable English keys) instead of text.")
    var json = false

    /// --data, else $KCSYNC_HOME, else the XDG data directory.
    var directory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let data { return URL(fileURLWithPath: data) }
        if let home = environment["KCSYNC_HOME"], !home.isEmpty { return URL(fileURLWithPath: home) }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("kcsync")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/kcsync")
    }

    func open() throws(KCError) -> KCReplica {
        let replica = try KCReplica.open(directory: directory)
        OpenedReplica.record(replica)
        return replica
    }
}

/// Runs a command body; a refusal or failure prints its Dutch message on stderr and exits 1.
func reporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        throw report(error)
    }
}

/// ``reporting(_:)`` for commands that wait on the network or the daemon.
func reporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        throw report(error)
    }
}

/// Prints a refusal or failure in Dutch and turns it into exit code 1; other errors (exit
/// codes, usage errors) pass through.
private func report(_ error: any Error) -> any Error {
    switch error {
    case let error as KCError:
        FileHandle.standardError.write(Data("kcsync: \(error.message)\n".utf8))
        return ExitCode(1)
    case let error as SyncError:
        FileHandle.standardError.write(Data("kcsync: Er ging iets mis met de replica: \(error.message)\n".utf8))
        return ExitCode(1)
    default:
        return error
    }
}

/// Prints a value as JSON with sorted keys.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Parses `yyyy-MM-dd`, or fails with a Dutch usage message naming the option.
func parseDay(_ text: String, option: String) throws -> Int32 {
    guard let day = Value.day(parsing: text) else {
        throw ValidationError("\(option): '\(text)' is geen geldige datum; schrijf jjjj-mm-dd, bijvoorbeeld 2026-03-01.")
    }
    return day
}

/// The role, by its Dutch name or its code.
func parseRole(_ text: String) throws -> KCRole {
    // "leercoordinator" without the diaeresis is accepted too: not every keyboard has it.
    let folded = text.lowercased().folding(options: .diacriticInsensitive, locale: nil)
    if let role = KCRole.allCases.first(where: { $0.label.folding(options: .diacriticInsensitive, locale: nil) == folded || $0.rawValue == text }) {
        return role
    }
    throw ValidationError("--role: '\(text)' is geen rol; kies uit \(KCRole.allCases.map(\.label).joined(separator: ", ")).")
}

func parseCategory(_ text: String) throws -> NoteCategory {
    if let category = NoteCategory(rawValue: text.lowercased().replacingOccurrences(of: "-", with: " ")) { return category }
    throw ValidationError("--category: '\(text)' is geen categorie; kies uit \(NoteCategory.allCases.map(\.label).joined(separator: ", ")).")
}

func parseSubjectArea(_ text: String) throws -> SubjectArea {
    if let area = SubjectArea(rawValue: text.lowercased().replacingOccurrences(of: "-", with: " ")) ?? SubjectArea(rawValue: text.lowercased()) {
        return area
    }
    throw ValidationError("--subject-area: '\(text)' is geen vakgebied; kies uit \(SubjectArea.allCases.map(\.label).joined(separator: ", ")).")
}

func parseSubject(_ text: String) throws -> SubjectLevel {
    if let level = SubjectLevel.allCases.first(where: { $0.rawValue == text.lowercased() || $0.label == text.lowercased() }) { return level }
    throw ValidationError("--subject: '\(text)' is geen onderwerp; kies uit leerling (pupil), groep (group), leerteam, school.")
}

func parsePeriod(_ text: String) throws -> Period {
    if let period = Period.typed(text) { return period }
    throw ValidationError("--period: '\(text)' is geen periode; schrijf bijvoorbeeld \"2025-2026 M\" of \"2025-2026 E\".")
}

func parseVisibility(_ text: String) throws -> Visibility {
    if let visibility = Visibility(rawValue: text.lowercased()) { return visibility }
    if text.lowercased() == "bestuur" { return .board }
    throw ValidationError("--visibility: kies school of board (bestuur).")
}

func parseStatus(_ text: String) throws -> AgreementStatus {
    if let status = AgreementStatus(rawValue: text.lowercased()) { return status }
    throw ValidationError("--status: '\(text)' is geen status; kies uit \(AgreementStatus.allCases.map(\.label).joined(separator: ", ")).")
}

/// The author of new records: --author, else $KCSYNC_AUTHOR, else the login name.
func defaultAuthor(_ given: String?) -> String {
    let environment = ProcessInfo.processInfo.environment
    return given ?? environment["KCSYNC_AUTHOR"] ?? environment["USER"] ?? "onbekend"
}

/// Reads --body or --body-file (one of them, not both).
func readBody(_ body: String?, file: String?) throws -> String? {
    if body != nil && file != nil { throw ValidationError("Geef --body of --body-file, niet allebei.") }
    if let file {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("--body-file: het bestand \(file) kan niet worden gelezen.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("--body-file: \(file) is geen UTF-8-tekst.")
        }
        return text
    }
    return body
}

/// The TLS configuration of a server from a PEM certificate chain and key given together
/// (`--tls-cert`/`--tls-key` of the board, `--web-cert`/`--web-key` of the pages), or nil
/// when neither is given.
func serverTLS(certificate: String?, key: String?, options: (String, String)) throws(KCError) -> TLSConfiguration? {
    switch (certificate, key) {
    case (nil, nil):
        return nil
    case (let certificate?, let key?):
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        } catch {
            throw KCError(.invalidInput, "Het certificaat of de sleutel voor TLS kon niet worden gelezen (\(error)).")
        }
    default:
        throw KCError(.invalidInput, "Geef \(options.0) en \(options.1) samen.")
    }
}
