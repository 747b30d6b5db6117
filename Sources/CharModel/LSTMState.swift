// LSTMState: the recurrent state (h, c) of every layer for B streams, as plain arrays so it
// can be carried between truncated-BPTT windows, saved in a checkpoint, or used as a gradient.

/// h and c for L layers and B streams, each stored [L, B, H] row-major.
public struct LSTMState: Sendable, Equatable, Codable {
    public var layers: Int
    public var batch: Int
    public var hidden: Int
    /// Hidden outputs, [L, B, H].
    public var h: [Float]
    /// Cell states, [L, B, H].
    public var c: [Float]

    public init(layers: Int, batch: Int, hidden: Int, h: [Float], c: [Float]) {
        precondition(h.count == layers * batch * hidden && c.count == h.count, "LSTMState: arrays must be [L,B,H]")
        (self.layers, self.batch, self.hidden, self.h, self.c) = (layers, batch, hidden, h, c)
    }

    /// All zeros: the state at the start of a text.
    public static func zeros(layers: Int, batch: Int, hidden: Int) -> LSTMState {
        let z = [Float](repeating: 0, count: layers * batch * hidden)
        return LSTMState(layers: layers, batch: batch, hidden: hidden, h: z, c: z)
    }
}
