// FloatBuffer: a fixed-size, zero-initialised, heap-allocated run of floats owned by a class.
// Workspaces (forward cache, backward scratch, sampler state) are made of these so the hot
// loops use plain pointers and a training step allocates nothing.

final class FloatBuffer {
    let count: Int
    let p: UnsafeMutablePointer<Float>

    init(_ count: Int) {
        self.count = count
        p = .allocate(capacity: max(1, count))
        p.initialize(repeating: 0, count: max(1, count))
    }

    deinit { p.deallocate() }

    func zero() { p.update(repeating: 0, count: count) }
    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
}
