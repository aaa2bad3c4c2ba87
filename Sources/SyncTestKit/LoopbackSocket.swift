import Foundation

/// Raw TCP sockets to a port on 127.0.0.1, for tests and benchmarks that play an outsider
/// below HTTP (half-sent requests, crowds, silence).
public enum LoopbackSocket {
    /// A connected socket to `port` on 127.0.0.1 (its descriptor; the caller closes it).
    public static func connect(_ port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return fd
    }

    /// Sends `text`; a socket the other side closed fails the call instead of raising SIGPIPE.
    public static func send(_ fd: Int32, _ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
    }
}
