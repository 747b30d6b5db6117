// swift-tools-version: 6.1
// tunegen: learn folk tunes in ABC notation with a character LSTM, generate new ones, hear them.
// Module map and boundaries: see README.md ("How it fits together").
import PackageDescription

let package = Package(
    name: "tunegen",
    products: [
        .executable(name: "tunegen", targets: ["tunegen"]),
        .library(name: "ABCNotation", targets: ["ABCNotation"]),
        .library(name: "CharModel", targets: ["CharModel"]),
        .library(name: "Synth", targets: ["Synth"]),
        .library(name: "Composer", targets: ["Composer"]),
        .library(name: "Engraver", targets: ["Engraver"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries: a modulemap and a one-line header each; exactly one Swift file imports each.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CSndFile",
            pkgConfig: "sndfile",
            providers: [.apt(["libsndfile1-dev"])]
        ),
        // FluidSynth's header and library are on the default paths (apt libfluidsynth-dev, installed
        // by Scripts/setup.sh); no pkgConfig, whose glib/SDL flags SwiftPM rejects with warnings.
        .systemLibrary(name: "CFluidSynth"),

        // Open MPI, loaded at run time only under mpirun (dlopen): nothing to link, nothing to install
        // to build. A C shim because MPI's handles are macros over Open MPI's global objects.
        .target(name: "CMPI"),
        // The one way tunegen writes a file: temp file beside the target, fsync, rename, fsync the
        // folder; stale temporaries of killed runs cleaned; devices, FIFOs and sockets refused.
        .target(name: "FileOutput"),
        // Pure Swift: ABC text <-> structure, diagnostics, validity tiers, timed events.
        .target(name: "ABCNotation"),
        // Our own C kernels for the small per-time-step products (AVX-512 / AVX2 / portable,
        // chosen at run time). -O3 even in debug builds: the intrinsics are unusable at -O0.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // The room's per-block network step in plain C, built for AVX2 and for the baseline and
        // chosen at run time (same bits either way: no fused multiply-adds).
        .target(name: "CSynthKernels", cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off"])]),
        // Matrices over flat [Float]; the only file importing COpenBLAS lives here.
        .target(name: "Linalg", dependencies: ["COpenBLAS", "CKernels"]),
        // Vocabulary, LSTM with BPTT, Adam, checkpoints, sampler. Knows nothing of music.
        .target(name: "CharModel", dependencies: ["Linalg", "CMPI", "FileOutput"]),
        // Timed events -> audio (libsndfile) and Standard MIDI Files.
        .target(name: "Synth", dependencies: ["ABCNotation", "CSndFile", "CFluidSynth", "FileOutput", "CSynthKernels"]),
        // Parsed tune -> standalone SVG staff notation (layout values, then an SVG writer).
        .target(name: "Engraver", dependencies: ["ABCNotation"]),

        // Where music meets the model: training runs, corpus, header templates, generation,
        // evaluation, benchmarks. The shipped model (Resources/irish.safetensors) travels with it.
        .target(
            name: "Composer",
            dependencies: ["ABCNotation", "CharModel", "Synth", "Linalg", "Engraver", "FileOutput"],
            resources: [.copy("Resources")]
        ),
        // Argument parsing only: each subcommand is options, validate() and one Composer call.
        .executableTarget(
            name: "tunegen",
            dependencies: [
                "Composer", "ABCNotation", "CharModel", "Synth",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "ABCNotationTests", dependencies: ["ABCNotation"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LinalgTests", dependencies: ["Linalg"]),
        .testTarget(name: "CharModelTests", dependencies: ["CharModel", "Linalg"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "ABCNotation", "FileOutput"]),
        .testTarget(name: "FileOutputTests", dependencies: ["FileOutput"]),
        .testTarget(name: "TunegenCLITests", dependencies: ["tunegen", "Composer", "ABCNotation", "Synth", "CharModel", "FileOutput"]),
        .testTarget(name: "EngraverTests", dependencies: ["Engraver", "ABCNotation"]),
    ],
    swiftLanguageModes: [.v6]
)
