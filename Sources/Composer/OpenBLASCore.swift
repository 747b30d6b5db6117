// OpenBLASCore: makes sure the process runs OpenBLAS's fast kernels. OpenBLAS picks its
// kernels when the library loads, before `main`; Debian's 0.3.21 can detect an AVX-512 CPU
// as an old core (Prescott: SSE3 kernels, about 6× slower). When the user has not chosen a
// core (OPENBLAS_CORETYPE unset) and the detected one is older than the CPU supports, tunegen
// sets OPENBLAS_CORETYPE=SkylakeX and re-executes itself once. A user's own value always wins.
import Foundation
import Linalg

public enum OpenBLASCore {
    /// Cores with AVX-512 kernels in OpenBLAS 0.3.21.
    static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
    static let marker = "TUNEGEN_OPENBLAS_REEXEC"

    /// Re-executes the process with SkylakeX kernels if that is warranted; returns otherwise.
    public static func upgradeIfNeeded() {
        let env = ProcessInfo.processInfo.environment
        guard env["OPENBLAS_CORETYPE"] == nil, env[marker] == nil else { return }
        let detected = BLAS.coreName.lowercased()
        guard !avx512Cores.contains(detected), cpuHasAVX512() else { return }
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        setenv(marker, detected.isEmpty ? "unknown" : detected, 1)
        let args = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", args)
        // execv returned: it failed; carry on with the detected kernels.
    }

    /// What the process runs, for verbose output: "SkylakeX (was Prescott)".
    public static var description: String {
        let core = BLAS.coreName
        if let was = ProcessInfo.processInfo.environment[marker] { return "\(core) (detected \(was); re-executed)" }
        return core
    }

    static func cpuHasAVX512() -> Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").contains("avx512f") ?? false
    }
}
