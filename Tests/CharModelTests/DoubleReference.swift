// DoubleReference: an independent, deliberately naive LSTM forward in Double (plain loops,
// stream-major, no caches, no BLAS) used to check the model's loss and, by central finite
// differences, every gradient.
import Foundation
@testable import CharModel

struct DoubleReference {
    let shape: ModelShape
    let layout: ParameterLayout

    init(_ shape: ModelShape) {
        self.shape = shape
        layout = ParameterLayout(shape)
    }

    /// Mean cross-entropy (nats) of `targets` given `inputs` ([B,T]) from state (h0, c0) ([L,B,H]),
    /// over the targets that are not −1 (padding).
    /// `masks[l]` (optional) multiplies layer l's outputs before layer l+1 reads them, time-major [T·B, H].
    func loss(_ p: [Double], inputs: [Int32], targets: [Int32], batch: Int, steps: Int, h0: [Double], c0: [Double],
              masks: [[Float]] = []) -> Double {
        let (v, e, hd, nl) = (shape.vocabularySize, shape.embeddingSize, shape.hiddenSize, shape.layers)
        func t(_ name: String) -> Int { layout[name]!.offset }
        func sig(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        var total = 0.0, counted = 0
        for b in 0 ..< batch {
            var h = (0 ..< nl).map { l in Array(h0[(l * batch + b) * hd ..< (l * batch + b + 1) * hd]) }
            var c = (0 ..< nl).map { l in Array(c0[(l * batch + b) * hd ..< (l * batch + b + 1) * hd]) }
            for s in 0 ..< steps {
                let tok = Int(inputs[b * steps + s])
                var x = (0 ..< e).map { p[t("embedding.weight") + tok * e + $0] }
                for l in 0 ..< nl {
                    let inSize = x.count
                    let wih = t("lstm.weight_ih_l\(l)"), whh = t("lstm.weight_hh_l\(l)")
                    let bih = t("lstm.bias_ih_l\(l)"), bhh = t("lstm.bias_hh_l\(l)")
                    var z = [Double](repeating: 0, count: 4 * hd)
                    for r in 0 ..< 4 * hd {
                        var acc = p[bih + r] + p[bhh + r]
                        for k in 0 ..< inSize { acc += p[wih + r * inSize + k] * x[k] }
                        for k in 0 ..< hd { acc += p[whh + r * hd + k] * h[l][k] }
                        z[r] = acc
                    }
                    for j in 0 ..< hd {
                        let i = sig(z[j]), f = sig(z[hd + j]), g = Foundation.tanh(z[2 * hd + j]), o = sig(z[3 * hd + j])
                        c[l][j] = f * c[l][j] + i * g
                        h[l][j] = o * Foundation.tanh(c[l][j])
                    }
                    x = h[l]
                    if l < masks.count && l < nl - 1 {
                        for j in 0 ..< hd { x[j] *= Double(masks[l][(s * batch + b) * hd + j]) }
                    }
                }
                var logits = [Double](repeating: 0, count: v)
                for r in 0 ..< v {
                    var acc = p[t("fc.bias") + r]
                    for k in 0 ..< hd { acc += p[t("fc.weight") + r * hd + k] * x[k] }
                    logits[r] = acc
                }
                let mx = logits.max()!
                let lse = mx + Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - mx) })
                guard targets[b * steps + s] >= 0 else { continue }
                total += lse - logits[Int(targets[b * steps + s])]
                counted += 1
            }
        }
        return counted == 0 ? 0 : total / Double(counted)
    }
}
