import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Random salts for payload groups, cut from 4 KiB read from the kernel 256 bytes a call. Asking the
/// kernel for 16 bytes per group (a system call per 8 bytes through
/// `SystemRandomNumberGenerator`) cost a tenth of every local write.
enum SaltPool {
    private struct Buffer {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var used = 4096
    }

    private static let buffer = Mutex(Buffer())

    /// 16 fresh random bytes.
    static func next() -> Data {
        buffer.withLock { buffer in
            if buffer.used + 16 > buffer.bytes.count {
                refill(&buffer.bytes)
                buffer.used = 0
            }
            defer { buffer.used += 16 }
            return Data(buffer.bytes[buffer.used..<buffer.used + 16])
        }
    }

    private static func refill(_ bytes: inout [UInt8]) {
        var filled = 0
        #if canImport(Glibc)
        // getentropy hands out at most 256 bytes a call.
        while filled < bytes.count {
            let ok = bytes.withUnsafeMutableBytes { getentropy($0.baseAddress! + filled, 256) == 0 }
            if !ok { break }
            filled += 256
        }
        #endif
        if filled < bytes.count {
            var generator = SystemRandomNumberGenerator()
            for i in filled..<bytes.count { bytes[i] = UInt8.random(in: .min ... .max, using: &generator) }
        }
    }
}
