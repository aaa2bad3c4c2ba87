import CompressNIO
public import Foundation
import NIOCore
import SwiftProtobuf

/// The compressed batch encoding (SPEC.md section 3, `Changes.deflated`): the changes of a
/// batch as a `ChangeList`, in raw DEFLATE. A batch of notes written by a few replicas holds
/// the same field names, scope, keys and phrases over and over; their signatures, hashes and
/// salts do not compress.
public enum BatchCompression {
    /// The feature a side names in `Hello` or `Welcome` when it reads `Changes.deflated`.
    public static let feature = "deflate"

    /// `changes` as a compressed `ChangeList`, or nil when that would not be smaller.
    public static func deflate(_ changes: [Data]) -> Data? {
        var list = Kcsync_V1_ChangeList()
        list.changes = changes
        guard let plain: [UInt8] = try? list.serializedBytes() else { return nil }
        return deflate(bytes: plain, onlyIfSmaller: true)
    }

    /// Any bytes in raw DEFLATE (for tests that send what no honest side would). Batches go
    /// at zlib's fastest level, 1: a board deflates a catch-up batch once per receiving
    /// school, and at the default level 6 that was a sixth of the board's CPU in W5's intake
    /// (W2's batches: 194 bytes a change at level 6, 202 at level 1). A test playing an
    /// attacker asks for level 9, as a bomb's maker would.
    public static func deflate(bytes: [UInt8], onlyIfSmaller: Bool = false, level: Int32 = 1) -> Data? {
        var input = ByteBuffer(bytes: bytes)
        guard let output = try? input.compress(with: .deflate(configuration: ZlibConfiguration(compressionLevel: level))),
              !onlyIfSmaller || output.readableBytes < bytes.count else { return nil }
        return Data(output.readableBytesView)
    }

    /// The changes of `deflated`, or nil when it does not inflate to a `ChangeList` of at most
    /// `limit` bytes. Inflating goes through a 64 KiB window and stops as soon as the output
    /// passes `limit`, so a small frame that would inflate to gigabytes costs this side no more
    /// memory than a frame at the limit. (CompressNIO's own `maxSize` is not that bound: it
    /// writes into whatever capacity its buffers were rounded up to.)
    public static func inflate(_ deflated: Data, limit: Int) -> [Data]? {
        let decompressor = CompressionAlgorithm.deflate().decompressor
        guard (try? decompressor.startStream()) != nil else { return nil }
        defer { try? decompressor.finishStream() }
        var input = ByteBuffer(bytes: deflated)
        var window = ByteBufferAllocator().buffer(capacity: 64 * 1024)
        var output = Data()
        while true {
            window.clear()
            var more = false
            do { try decompressor.streamInflate(from: &input, to: &window) } catch let error as CompressNIOError where error == .bufferOverflow {
                more = true
            } catch {
                return nil
            }
            output.append(contentsOf: window.readableBytesView)
            guard output.count <= limit else { return nil }
            if !more { break }
        }
        return (try? Kcsync_V1_ChangeList(serializedBytes: output))?.changes
    }
}
