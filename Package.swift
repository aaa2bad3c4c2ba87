// swift-tools-version:6.1
// kcsync: a local-first sync engine for the kwaliteitscoördinatoren of a school board.
// The module layers follow ../shared/DESIGN.md: SyncCore (pure) ← SyncProtocol (encoding,
// signatures) ← SyncStore (SQLite). Every target uses Swift 6 mode and the upcoming
// features named in STYLE.md.

import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "kcsync",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SyncCore", targets: ["SyncCore"]),
        .library(name: "SyncProtocol", targets: ["SyncProtocol"]),
        .library(name: "SyncStore", targets: ["SyncStore"]),
        .library(name: "KCModel", targets: ["KCModel"]),
        .executable(name: "kcsync", targets: ["kcsync"]),
        .executable(name: "kcsync-bench", targets: ["kcsync-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .target(
            name: "SyncCore",
            swiftSettings: upcoming
        ),
        .target(
            name: "SyncProtocol",
            dependencies: [
                "SyncCore",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "SyncStore",
            dependencies: [
                "SyncCore",
                "SyncProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "KCModel",
            dependencies: ["SyncCore"],
            swiftSettings: upcoming
        ),
        .target(
            name: "KCReplica",
            dependencies: ["SyncCore", "SyncStore", "KCModel"],
            swiftSettings: upcoming
        ),
        .target(
            name: "SyncTestKit",
            dependencies: ["SyncCore", "SyncProtocol", "SyncStore"],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "kcsync",
            dependencies: [
                "SyncCore", "SyncStore", "KCModel", "KCReplica",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "kcsync-bench",
            dependencies: [
                "SyncCore",
                "SyncProtocol",
                "SyncStore",
                "SyncTestKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/kcsync-bench",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "kcsync-crash-writer",
            dependencies: ["SyncCore", "SyncProtocol", "SyncStore", "SyncTestKit"],
            path: "Tools/kcsync-crash-writer",
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "SyncCoreTests",
            dependencies: [
                "SyncCore",
                "SyncTestKit",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "SyncProtocolTests",
            dependencies: ["SyncCore", "SyncProtocol", "SyncTestKit"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "SyncStoreTests",
            dependencies: ["SyncCore", "SyncProtocol", "SyncStore", "SyncTestKit", "kcsync-crash-writer",
                           .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "KCSyncTests",
            dependencies: ["SyncCore", "SyncStore", "KCModel", "KCReplica", "SyncTestKit", "kcsync"],
            swiftSettings: upcoming
        ),
    ]
)
