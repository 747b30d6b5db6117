// Linalg: small row-major matrix helpers over flat [Float] storage, BLAS wrappers with
// plain-loop twins, and elementwise kernels. The only file importing COpenBLAS is BLAS.swift.
// Conventions: every matrix is row-major; `ld` is the row stride (leading dimension) in floats.

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transpose
}

/// A row-major matrix view: `rows × cols` floats, row r starting at `base + r * ld`.
/// A view does not own its storage; keep it inside the `withUnsafe…` closure that made it.
public struct MatrixView {
    public var base: UnsafeMutablePointer<Float>
    public var rows: Int
    public var cols: Int
    public var ld: Int

    public init(_ base: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int? = nil) {
        precondition(rows >= 0 && cols >= 0)
        self.base = base
        self.rows = rows
        self.cols = cols
        self.ld = ld ?? cols
        precondition(self.ld >= cols)
    }

    /// A view over a buffer holding at least `(rows − 1)·ld + cols` floats.
    public init(_ buffer: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, ld: Int? = nil) {
        let stride = ld ?? cols
        precondition(rows == 0 || buffer.count >= (rows - 1) * stride + cols, "buffer too small for \(rows)x\(cols) (ld \(stride))")
        self.init(buffer.baseAddress!, rows: rows, cols: cols, ld: ld)
    }

    public subscript(r: Int, c: Int) -> Float {
        get { base[r * ld + c] }
        nonmutating set { base[r * ld + c] = newValue }
    }

    /// Rows `range` of this view, sharing storage.
    public func rows(_ range: Range<Int>) -> MatrixView {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows)
        return MatrixView(base + range.lowerBound * ld, rows: range.count, cols: cols, ld: ld)
    }
}

/// An owning row-major matrix over a flat `[Float]`.
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    /// Row-major, `rows * cols` floats.
    public var storage: [Float]

    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(storage.count == rows * cols, "storage has \(storage.count) floats, need \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    public subscript(r: Int, c: Int) -> Float {
        get { storage[r * cols + c] }
        set { storage[r * cols + c] = newValue }
    }

    /// Runs `body` with a mutable view of the whole matrix.
    public mutating func withView<R>(_ body: (MatrixView) throws -> R) rethrows -> R {
        let (r, c) = (rows, cols)
        return try storage.withUnsafeMutableBufferPointer { try body(MatrixView($0.baseAddress!, rows: r, cols: c)) }
    }
}
