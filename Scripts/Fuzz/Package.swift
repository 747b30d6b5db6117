// swift-tools-version: 6.1
// libFuzzer harnesses: ABCFuzz (the ABC parser, scorer and formatter) and CheckpointFuzz (the
// checkpoint reader and the resume path). A separate package so the sanitizer flags never touch
// the main build. Run them with Scripts/fuzz-abc.sh and Scripts/fuzz-checkpoint.sh (built with
// --sanitize=fuzzer --sanitize=address).
import PackageDescription

let package = Package(
    name: "ABCFuzz",
    dependencies: [.package(name: "tunegen", path: "../..")],
    targets: [
        .executableTarget(name: "ABCFuzz", dependencies: [.product(name: "ABCNotation", package: "tunegen")]),
        .executableTarget(name: "CheckpointFuzz", dependencies: [
            .product(name: "CharModel", package: "tunegen"), .product(name: "Composer", package: "tunegen"),
        ]),
    ]
)
