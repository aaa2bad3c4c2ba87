public import Foundation
import Crypto
public import HummingbirdTLS
public import NIOSSL
public import SyncProtocol
import SyncCore
import SwiftASN1
import X509

/// TLS 1.3 between the replicas of a school, both sides authenticated by their replica keys
/// (Ed25519), not by a CA or a host name.
///
/// Each replica presents a certificate for its own key, issued under the name
/// `kcsync replica <key hex>` and signed by that key. The client trusts exactly one anchor:
/// a certificate it builds itself for the name and key of the peer it registered, so only the
/// holder of that key completes the handshake (TLS 1.3's CertificateVerify proves it). The
/// server asks every client for its certificate and lets the handshake through only when its
/// key is one this replica registered as a peer, looked up at each handshake, so a peer added
/// while the daemon runs is let in at once and a removed one is not.
public enum PeerTLS {
    /// The issuer name that stands for a key.
    static func name(for publicKey: [UInt8]) throws -> DistinguishedName {
        try DistinguishedName { CommonName("kcsync replica \(Hex.encode(publicKey))") }
    }

    static let validFrom = Date(timeIntervalSince1970: 1_577_836_800)   // 2020-01-01
    static let validUntil = Date(timeIntervalSince1970: 4_102_444_800)  // 2100-01-01

    /// The certificate and private key a replica presents.
    public static func identity(_ key: ReplicaKey) throws -> (certificate: NIOSSLCertificate, privateKey: NIOSSLPrivateKey) {
        let signer = Certificate.PrivateKey(key.privateKey)
        let publicKey = Certificate.PublicKey(key.privateKey.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: validFrom, notValidAfter: validUntil,
            issuer: try name(for: key.publicKey),
            subject: try DistinguishedName { CommonName("kcsync replica \(Hex.encode(key.publicKey)) tls") },
            signatureAlgorithm: .ed25519,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
            },
            issuerPrivateKey: signer)
        let der = try certificate.serializeAsPEM().derBytes
        let keyDER = try signer.serializeAsPEM().derBytes
        return (try NIOSSLCertificate(bytes: der, format: .der), try NIOSSLPrivateKey(bytes: keyDER, format: .der))
    }

    /// The anchor a client trusts for a peer's key: a CA certificate under the peer's name with
    /// the peer's key (its own signature is never checked, as for any trust anchor; it is
    /// signed with the local key only because a certificate needs a signature).
    static func anchor(for publicKey: [UInt8], local: ReplicaKey) throws -> NIOSSLCertificate {
        let peerKey = try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(peerKey),
            notValidBefore: validFrom, notValidAfter: validUntil,
            issuer: try name(for: publicKey), subject: try name(for: publicKey),
            signatureAlgorithm: .ed25519,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(local.privateKey))
        return try NIOSSLCertificate(bytes: try certificate.serializeAsPEM().derBytes, format: .der)
    }

    /// The client side of a link to the peer with `peerKey`.
    public static func client(key: ReplicaKey, peerKey: [UInt8]) throws -> TLSConfiguration {
        let (certificate, privateKey) = try identity(key)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv13
        tls.certificateChain = [.certificate(certificate)]
        tls.privateKey = .privateKey(privateKey)
        tls.trustRoots = .certificates([try anchor(for: peerKey, local: key)])
        tls.certificateVerification = .noHostnameVerification
        tls.signingSignatureAlgorithms = [.ed25519]
        tls.verifySignatureAlgorithms = [.ed25519]
        return tls
    }

    /// The server side: a client gets through the handshake only with the key of a peer that
    /// `registered` names at that moment.
    public static func server(key: ReplicaKey, registered: @escaping @Sendable () -> Set<[UInt8]>) throws -> TLSChannelConfiguration {
        let (certificate, privateKey) = try identity(key)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(privateKey))
        tls.minimumTLSVersion = .tlsv13
        tls.certificateVerification = .noHostnameVerification
        tls.signingSignatureAlgorithms = [.ed25519]
        tls.verifySignatureAlgorithms = [.ed25519]
        return TLSChannelConfiguration(tlsConfiguration: tls, customAsyncVerificationCallback: { certificates in
            guard certificates.count == 1, let presented = publicKey(of: certificates[0]) else { return .failed }
            return registered().contains(presented) ? .certificateVerified : .failed
        })
    }

    /// The Ed25519 key of a certificate, if it has one.
    static func publicKey(of certificate: NIOSSLCertificate) -> [UInt8]? {
        // SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): this prefix, then the 32 key bytes.
        let prefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        guard let spki = try? certificate.extractPublicKey().toSPKIBytes(), spki.count == 44, Array(spki.prefix(12)) == prefix else { return nil }
        return Array(spki.suffix(32))
    }
}
