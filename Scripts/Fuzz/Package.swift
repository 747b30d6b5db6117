// swift-tools-version: 6.1
// libFuzzer harness for ABCNotation: a separate package so the sanitizer flags never touch the
// main build. Run it with Scripts/fuzz-abc.sh (builds with --sanitize=fuzzer --sanitize=address).
import PackageDescription

let package = Package(
    name: "ABCFuzz",
    dependencies: [.package(name: "tunegen", path: "../..")],
    targets: [
        .executableTarget(name: "ABCFuzz", dependencies: [.product(name: "ABCNotation", package: "tunegen")]),
    ]
)
