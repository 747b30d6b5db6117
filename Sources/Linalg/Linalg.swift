// Linalg: BLAS wrappers over flat row-major [Float] storage with plain-loop twins, the packed
// per-step kernels and the elementwise functions. The only file importing COpenBLAS is BLAS.swift.
// Conventions: every matrix is row-major; `ld` is the row stride (leading dimension) in floats.

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transpose
}
