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
        .executableTarget(
            name: "SwitchboardCLI",
            dependencies: [
                "Switchboard", "Learning", "LinearAlgebra",
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
        .testTarget(name: "SwitchboardCLITests", dependencies: ["SwitchboardCLI", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
