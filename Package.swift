// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchboard", targets: ["SwitchboardCLI"]),
        .library(name: "Switchboard", targets: ["Switchboard"]),
        .library(name: "Learning", targets: ["Learning"]),
        .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "LinearAlgebra", dependencies: ["COpenBLAS"], exclude: ["README.md"]),
        .target(name: "Learning", dependencies: ["LinearAlgebra"], exclude: ["README.md"]),
        .target(name: "Switchboard", dependencies: ["Learning", "LinearAlgebra"], exclude: ["README.md"]),
        .target(
            name: "SwitchboardServer",
            dependencies: [
                "Switchboard", "Learning",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "SwitchboardCLI",
            dependencies: [
                "Switchboard", "Learning", "LinearAlgebra", "SwitchboardServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "SwitchboardBenchmarks",
            dependencies: ["Switchboard", "Learning", "LinearAlgebra"],
            path: "Benchmarks/SwitchboardBenchmarks"
        ),
        .target(name: "TestSupport", dependencies: ["LinearAlgebra"], path: "Tests/TestSupport"),
        .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra", "TestSupport"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "LinearAlgebra", "TestSupport"]),
        .testTarget(name: "SwitchboardTests", dependencies: ["Switchboard", "Learning", "TestSupport"]),
        .testTarget(
            name: "SwitchboardCLITests", dependencies: ["SwitchboardCLI", "SwitchboardServer", "Switchboard", "TestSupport"]),
        .testTarget(
            name: "SwitchboardServerTests",
            dependencies: [
                "SwitchboardServer", "Switchboard", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
