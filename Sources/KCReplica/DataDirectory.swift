import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A replica's data directory holds its private key and every note: readable by its owner
/// only, whatever the umask and whether the directory existed before `init`.
enum DataDirectory {
    /// Makes `directory` 0700 and every file directly in it 0600.
    static func secure(_ directory: URL) throws(KCError) {
        guard chmod(directory.path, 0o700) == 0 else {
            throw KCError(.storage, "De rechten van \(directory.path) konden niet worden beperkt tot de eigenaar.")
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names {
            let path = directory.appendingPathComponent(name).path
            // Not followed: a link in the directory is left as it is.
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let type = attributes[.type] as? FileAttributeType, type == .typeRegular || type == .typeSocket,
                  let permissions = attributes[.posixPermissions] as? Int else { continue }
            if permissions & 0o077 != 0 { _ = chmod(path, 0o600) }
        }
    }

    /// Writes `data` to `url` atomically, readable by the owner only (an atomic write makes a
    /// new file, which would otherwise get the umask's mode).
    static func writePrivately(_ data: Data, to url: URL) throws {
        try data.write(to: url, options: .atomic)
        guard chmod(url.path, 0o600) == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }
}
