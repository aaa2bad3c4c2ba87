// swift-tools-version:6.1
// The libFuzzer executables, one per KCFuzz.FuzzTarget. Built only by Tools/fuzz.sh, with
// `-sanitize=fuzzer,address`, never by the main package's build.
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the checkout is called.
let kcsync = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let identity = kcsync.lastPathComponent.lowercased()
let targets = ["frame", "change", "session", "text", "csv"]

let package = Package(
    name: "kcsync-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: targets.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: [.product(name: "KCFuzz", package: identity)]
        )
    }
)
