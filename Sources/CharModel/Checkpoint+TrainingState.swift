// Checkpoint+TrainingState: reading the optional training state back from a checkpoint's
// tensors, checking everything a resumed trainer would otherwise trap on (moment shapes and
// signs, generator words, positions, the carried state's shape), and reading the layout of
// files written before the state was one type (dropout generator and carried floats under
// `train.extra.`, the floats as U64 bit patterns).

extension Checkpoint {
    /// The `TrainingState` stored in `file` (whose tensor names `checkTensorNames` has checked).
    static func trainingState(_ file: SafeTensorsFile, shape: ModelShape) throws -> TrainingState {
        let layout = ParameterLayout(shape)
        var adam = AdamState(parameterCount: layout.count)
        for r in layout.tensors {
            try floats(file, "optim.m.\(r.name)", r, into: &adam.m)
            try floats(file, "optim.v.\(r.name)", r, into: &adam.v, nonNegative: true)
        }
        adam.step = try step(file.tensors["optim.step"]!)
        let rng = try generatorWords(file, "train.rng_state")
        let data = try vector(file, "train.data_state", .i64).int64s!
        guard data.count % 2 == 1, data.count <= 1 + 2 * maxCarriedBatch, data.allSatisfy({ (-1 ... maxPosition).contains($0) }),
              data[0] >= 0 else {
            throw fail("tensor 'train.data_state' holds \(data.prefix(5)), expected a position and per stream a tune and an offset, from 0 to \(maxPosition)")
        }
        let dropout = try generatorWords(file, file.tensors["train.dropout_rng"] != nil ? "train.dropout_rng" : "train.extra.dropout_rng")
        let carried = try carriedState(file, shape: shape)
        return TrainingState(adam: adam, batcher: BatcherState(rng: rng, position: Int(data[0]), cursors: data.dropFirst().map { Int($0) }), dropoutRNG: dropout, carried: carried)
    }

    /// `optim.step`: I64 or U64, [1] or a scalar, non-negative.
    static func step(_ t: SafeTensor) throws -> Int {
        guard t.count == 1, t.shape.count <= 1 else { throw fail("tensor 'optim.step' has shape \(t.shape), expected [1] or []") }
        let step: Int
        switch t.dtype {
        case .i64: step = Int(t.int64s![0])
        case .u64:
            guard let s = Int(exactly: t.uint64s![0]) else { throw fail("tensor 'optim.step' is out of range") }
            step = s
        default: throw fail("tensor 'optim.step' has dtype \(t.dtype.rawValue), expected I64 or U64")
        }
        guard step >= 0 else { throw fail("tensor 'optim.step' is negative (\(step))") }
        return step
    }

    /// A one-dimensional tensor of `dtype`.
    static func vector(_ file: SafeTensorsFile, _ name: String, _ dtype: SafeTensorsDType) throws -> SafeTensor {
        let t = file.tensors[name]!
        guard t.dtype == dtype else { throw fail("tensor '\(name)' has dtype \(t.dtype.rawValue), expected \(dtype.rawValue)") }
        guard t.shape.count == 1 else { throw fail("tensor '\(name)' has shape \(t.shape), expected one dimension") }
        return t
    }

    /// A generator's four state words (U64 [4], not all zero: an all-zero state never moves).
    static func generatorWords(_ file: SafeTensorsFile, _ name: String) throws -> [UInt64] {
        let words = try vector(file, name, .u64).uint64s!
        guard words.count == 4, words.contains(where: { $0 != 0 }) else {
            throw fail("tensor '\(name)' holds \(words.count) words\(words.count == 4 ? ", all zero" : ""), expected 4 not all zero")
        }
        return words
    }

    /// The carried (h, c): F32 [L, B, H] each, or the old U64 bit patterns with their shape.
    static func carriedState(_ file: SafeTensorsFile, shape: ModelShape) throws -> LSTMState? {
        let (L, H) = (shape.layers, shape.hiddenSize)
        func check(_ dims: [Int], _ what: String) throws -> Int {
            guard dims.count == 3, dims[0] == L, dims[2] == H, (1 ... maxCarriedBatch).contains(dims[1]) else {
                throw fail("\(what) has shape \(dims), expected [\(L), B, \(H)] with B from 1 to \(maxCarriedBatch)")
            }
            return dims[1]
        }
        if let th = file.tensors["train.carried_h"], let tc = file.tensors["train.carried_c"] {
            guard th.dtype == .f32, tc.dtype == .f32 else { throw fail("tensors 'train.carried_h/_c' must be F32") }
            let B = try check(th.shape, "tensor 'train.carried_h'")
            guard tc.shape == th.shape else { throw fail("tensor 'train.carried_c' has shape \(tc.shape), expected \(th.shape)") }
            let (h, c) = (th.floats!, tc.floats!)
            guard h.allSatisfy(\.isFinite), c.allSatisfy(\.isFinite) else { throw fail("the carried state holds non-finite values") }
            return LSTMState(layers: L, batch: B, hidden: H, h: h, c: c)
        }
        if let s = file.tensors["train.extra.carried_shape"]?.uint64s, let h = file.tensors["train.extra.carried_h"]?.uint64s,
           let c = file.tensors["train.extra.carried_c"]?.uint64s {
            let B = try check(s.map { Int(truncatingIfNeeded: $0) }, "tensor 'train.extra.carried_shape'")
            guard h.count == L * B * H, c.count == h.count else { throw fail("the carried state's sizes differ from its shape") }
            func floats(_ bits: [UInt64]) -> [Float] { bits.map { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) } }
            return LSTMState(layers: L, batch: B, hidden: H, h: floats(h), c: floats(c))
        }
        let present = ["train.carried_h", "train.carried_c", "train.extra.carried_h", "train.extra.carried_c", "train.extra.carried_shape"]
            .filter { file.tensors[$0] != nil }
        if let name = present.first { throw fail("tensor '\(name)' comes without the rest of the carried state") }
        return nil
    }
}
