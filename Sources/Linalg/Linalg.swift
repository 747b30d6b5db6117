// Linalg: small row-major matrix helpers over flat [Float] storage, BLAS wrappers with
// plain-loop twins, and elementwise kernels. The only file importing COpenBLAS is BLAS.swift.
