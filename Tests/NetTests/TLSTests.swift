import BoardServer
import Foundation
import SyncTestKit
import KCModel
import KCReplica
import NIOSSL
import SchoolDaemon
import SyncCore
import SyncNet
import SyncStore
import Testing

/// `wss://`: the board serves TLS itself; a school verifies the board's certificate against the
/// CA it was told to trust, and refuses a certificate it cannot verify.
@Suite(.serialized) struct TLSTests {
    /// A throwaway CA and a board certificate for 127.0.0.1 signed by it (openssl).
    struct Certificates {
        let directory: URL
        var ca: String { directory.appendingPathComponent("ca.pem").path }
        var cert: String { directory.appendingPathComponent("board.pem").path }
        var key: String { directory.appendingPathComponent("board.key").path }

        init(in directory: URL) throws {
            self.directory = directory
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(to: directory.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            try Certificates.openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=kcsync test CA"], in: directory)
            try Certificates.openssl(["req"] + ec + ["-keyout", "board.key", "-out", "board.csr", "-subj", "/CN=127.0.0.1"], in: directory)
            try Certificates.openssl(["x509", "-req", "-in", "board.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                                      "-out", "board.pem", "-days", "2", "-extfile", "ext.cnf"], in: directory)
        }

        static func openssl(_ arguments: [String], in directory: URL) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try ProcessLauncher.launch(process)
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "openssl \(arguments.joined(separator: " ")) failed")
        }

        var server: TLSConfiguration {
            get throws {
                let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
                return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            }
        }
    }

    @Test func aSchoolSyncsOverTLSOnlyWithACertificateItCanVerify() async throws {
        let f = try BoardServerTests.Fixture()
        let certificates = try Certificates(in: f.root.appendingPathComponent("tls"))
        var draft = NoteDraft(author: "a", role: .trendAnalyst, category: .trendAnalysis, title: "Trend over TLS")
        draft.subject = .school
        _ = try f.schoolA.shareNote(try f.schoolA.addNote(draft).id)
        try await f.withServer(tls: try certificates.server) { address in
            #expect(address.hasPrefix("wss://"))
            // TLS names the server by its host name; an IP address is refused up front.
            #expect(throws: KCError.self) { try f.schoolA.setBoardURL(address) }
            let url = address.replacingOccurrences(of: "127.0.0.1", with: "localhost")
            // Trusting only the system's roots, the school refuses the board's certificate.
            _ = try f.schoolA.setBoardURL(url)
            let untrusting = try KCReplica.open(directory: f.schoolA.directory)
            let refused = await f.sync(untrusting, url)
            #expect(refused != nil)
            #expect(try f.board.store.versionVector(f.board.scope).entries.isEmpty, "nothing may cross an unverified link")
            // Plain ws:// to a TLS port does not get through either.
            #expect(await f.sync(untrusting, url.replacingOccurrences(of: "wss://", with: "ws://")) != nil)
            // Told to trust the board's CA, it verifies the certificate and syncs.
            _ = try untrusting.setBoardCA(certificates.ca)
            let trusting = try KCReplica.open(directory: f.schoolA.directory)
            #expect(trusting.configuration.boardCA == certificates.ca)
            let outcome = await f.sync(trusting, url)
            #expect(outcome == nil, "\(outcome ?? "")")
            #expect(try f.board.store.versionVector(f.board.scope)[f.schoolA.store.replicaID] == 1)
        }
    }
}
