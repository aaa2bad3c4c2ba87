import Foundation
import SyncTestKit
#if canImport(Glibc)
import Glibc
#endif

/// A relay that reads the wire: a TCP proxy on loopback that forwards every connection to
/// `target` and keeps a copy of every byte in both directions.
final class WireTap: @unchecked Sendable {
    private(set) var port: Int = 0
    private let lock = NSLock()
    /// Each direction of each connection, as it went.
    private var streams: [Data] = []
    private let listener: Int32

    /// Every byte, as it went.
    var captured: Data { lock.withLock { streams.reduce(Data(), +) } }

    /// Every byte, and what a relay that knows the protocol reads besides: each cleartext
    /// WebSocket stream taken apart into its messages (unmasked, fragments joined) and every
    /// deflated batch inflated. Nothing compressed hides from a scan of this.
    var readable: Data {
        let all = lock.withLock { streams }
        var out = all.reduce(Data(), +)
        for stream in all {
            for message in WireTap.messages(in: stream) {
                out += message
                if let inflated = FrameForger.inflatedChanges(in: message) { out += inflated }
            }
        }
        return out
    }

    /// How many WebSocket messages `readable` took apart, and how many deflated batches.
    var decoded: (messages: Int, deflated: Int) {
        let all = lock.withLock { streams }
        let messages = all.flatMap(WireTap.messages(in:))
        return (messages.count, messages.count { FrameForger.inflatedChanges(in: $0) != nil })
    }

    /// The binary messages of one direction of a cleartext WebSocket connection (after the
    /// HTTP upgrade); nothing for a stream that is not one (TLS, say).
    static func messages(in stream: Data) -> [Data] {
        let bytes = [UInt8](stream)
        guard let head = stream.range(of: Data("\r\n\r\n".utf8)), bytes.starts(with: Array("GET ".utf8)) || bytes.starts(with: Array("HTTP/".utf8)) else { return [] }
        var at = head.upperBound
        var messages: [Data] = []
        var partial = Data()
        while at + 2 <= bytes.count {
            let fin = bytes[at] & 0x80 != 0
            let masked = bytes[at + 1] & 0x80 != 0
            var length = Int(bytes[at + 1] & 0x7F)
            at += 2
            if length == 126 {
                guard at + 2 <= bytes.count else { break }
                length = Int(bytes[at]) << 8 | Int(bytes[at + 1])
                at += 2
            } else if length == 127 {
                guard at + 8 <= bytes.count else { break }
                length = bytes[at..<at + 8].reduce(0) { $0 << 8 | Int($1) }
                at += 8
            }
            var mask: [UInt8] = [0, 0, 0, 0]
            if masked {
                guard at + 4 <= bytes.count else { break }
                mask = Array(bytes[at..<at + 4])
                at += 4
            }
            guard length >= 0, at + length <= bytes.count else { break }
            partial += Data(bytes[at..<at + length].enumerated().map { $0.element ^ mask[$0.offset % 4] })
            at += length
            if fin {
                messages.append(partial)
                partial = Data()
            }
        }
        return messages
    }

    init(forwardingTo target: Int) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = WireTap.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(listener, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var to = WireTap.loopback(port: target)
                let connected = withUnsafePointer(to: &to) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                if connected != 0 { close(client); close(upstream); continue }
                pump(from: client, to: upstream)
                pump(from: upstream, to: client)
            }
        }
    }

    deinit { close(listener) }

    private func pump(from: Int32, to: Int32) {
        let index = lock.withLock {
            streams.append(Data())
            return streams.count - 1
        }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = read(from, &buffer, buffer.count)
                if n <= 0 { break }
                lock.withLock { streams[index].append(contentsOf: buffer[0..<n]) }
                var sent = 0
                while sent < n {
                    let m = buffer[sent..<n].withUnsafeBytes { send(to, $0.baseAddress, n - sent, Int32(MSG_NOSIGNAL)) }
                    if m <= 0 { break }
                    sent += m
                }
            }
            shutdown(to, Int32(SHUT_WR))
        }
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
