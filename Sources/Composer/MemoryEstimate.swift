// MemoryEstimate: how many bytes a training run will hold at its peak, computed from its shape
// before anything is allocated, and the machine's memory from /proc/meminfo, so a run that cannot
// fit is refused with both figures instead of aborting half-way through an allocation.
import CharModel
import Foundation

public struct MemoryEstimate: Equatable, Sendable {
    /// Bytes of weights and everything shaped like them: parameters, gradients, Adam's two
    /// moments, the last good state kept by the non-finite guard (3×), and a checkpoint being
    /// saved (a state copy and its serialised bytes, 6×): 13 copies of P floats.
    public var parameterBytes: Double
    /// Bytes of one training step's activations and scratch (the forward cache and backward
    /// buffers, B·T·(2E + L·(7H + 2H·dropout layers) + 5H + 2V) floats), the input-gate tables
    /// and packed weight panels, plus the validation pass's own cache (8 streams × 100 steps).
    public var activationBytes: Double

    public var totalBytes: Double { parameterBytes + activationBytes }

    /// The estimate for a model of `shape` trained on batches of `batch` × `steps`. Computed in
    /// floating point, so absurd sizes give huge numbers rather than overflow.
    public static func training(shape: ModelShape, batch: Int, steps: Int) -> MemoryEstimate {
        let (v, e, h, l) = (Double(shape.vocabularySize), Double(shape.embeddingSize), Double(shape.hiddenSize), Double(shape.layers))
        let p = v * e + 4 * h * e + (l - 1) * 4 * h * h + l * (4 * h * h + 8 * h) + v * h + v
        func cache(_ b: Double, _ t: Double) -> Double {
            let n = b * t
            let perLayer = n * 4 * h + 2 * (t + 1) * b * h + n * h      // gates, h and c (T+1 steps), tanh(c)
            let dropout = 2 * max(0, l - 1) * n * h                      // masks and dropped outputs
            return n * 2 * e + l * perLayer + dropout + n * 5 * h + 2 * n * v + 2 * b * h + 4 * h
        }
        let tables = 2 * v * 4 * h                                       // input-gate table and its gradient
        let packed = 2 * (4 * h * e + (l - 1) * 4 * h * h + l * 4 * h * h)  // forward and backward panels
        let tokens = 4 * Double(batch) * Double(steps)                  // Int32 inputs and targets, cache and batcher
        return MemoryEstimate(parameterBytes: 4 * 13 * p,
                              activationBytes: 4 * (cache(Double(batch), Double(steps)) + cache(8, 100) + tables + packed + tokens))
    }

    /// "1.2 GB" style, decimal units.
    public static func format(_ bytes: Double) -> String {
        if bytes >= 1e12 { return String(format: "%.1f TB", bytes / 1e12) }
        if bytes >= 1e9 { return String(format: "%.1f GB", bytes / 1e9) }
        if bytes >= 1e6 { return String(format: "%.1f MB", bytes / 1e6) }
        return String(format: "%.0f kB", bytes / 1e3)
    }
}

/// The machine's memory as /proc/meminfo reports it (bytes); nil where it cannot be read.
public struct MachineMemory: Sendable {
    public var total: Double
    public var available: Double

    public static func current() -> MachineMemory? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        return parse(text)
    }

    public static func parse(_ text: String) -> MachineMemory? {
        var fields: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            if parts.count >= 2, let kb = Double(parts[1]) { fields[String(parts[0])] = kb * 1024 }
        }
        guard let total = fields["MemTotal"] else { return nil }
        return MachineMemory(total: total, available: fields["MemAvailable"] ?? fields["MemFree"] ?? total)
    }

    /// Throws a TunegenError when `estimate` exceeds the memory available now (what= names the
    /// run, e.g. "this run" or "resuming FILE").
    public static func check(_ estimate: MemoryEstimate, what: String, hint: String) throws {
        guard let machine = current() else { return }
        if estimate.totalBytes > machine.available {
            throw TunegenError("\(what) needs about \(MemoryEstimate.format(estimate.totalBytes)) of memory "
                + "(\(MemoryEstimate.format(estimate.parameterBytes)) for weights, gradients and optimizer state, "
                + "\(MemoryEstimate.format(estimate.activationBytes)) for activations), but this machine has "
                + "\(MemoryEstimate.format(machine.available)) available of \(MemoryEstimate.format(machine.total)); \(hint)")
        }
    }
}
