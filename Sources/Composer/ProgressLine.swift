// ProgressLine: what `tunegen train` shows while it works. On a terminal, one line redrawn in
// place (step/total, smoothed loss, last validation bpc, chars/s, ETA); otherwise plain lines
// now and then, so logs and CI output stay readable.
import Foundation

final class ProgressLine {
    let total: Int
    let enabled: Bool
    let isTerminal = isatty(STDERR_FILENO) == 1
    /// Last validation score in bits per character, shown on the line.
    var validation: Double?

    private var smoothedLoss: Double?
    private var charsPerSecond: Double?
    private var lastDraw = Date.distantPast
    private var lastPlainLine = 0
    private let started = Date()
    private var startIteration: Int?
    private var drawn = false

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    /// Records one step; redraws at most every 0.2 s on a terminal, or prints a plain line
    /// every 5% of the run (and at the end) otherwise.
    func update(iteration: Int, lossBits: Double, charactersPerSecond: Double) {
        if startIteration == nil { startIteration = iteration - 1 }
        smoothedLoss = smoothedLoss.map { 0.95 * $0 + 0.05 * lossBits } ?? lossBits
        charsPerSecond = charsPerSecond.map { 0.9 * $0 + 0.1 * charactersPerSecond } ?? charactersPerSecond
        guard enabled else { return }
        if isTerminal {
            let now = Date()
            if now.timeIntervalSince(lastDraw) >= 0.2 || iteration == total {
                lastDraw = now
                write("\r\u{1B}[K" + line(iteration))
                drawn = true
            }
        } else {
            let every = max(1, total / 20)
            if iteration - lastPlainLine >= every || iteration == total {
                lastPlainLine = iteration
                write(line(iteration) + "\n")
            }
        }
    }

    /// A message on its own line, not lost under the redrawn line.
    func note(_ message: String) {
        guard enabled else { return }
        if isTerminal && drawn { write("\r\u{1B}[K") }
        write(message + "\n")
        drawn = false
    }

    /// Ends the redrawn line.
    func finish() {
        if enabled && isTerminal && drawn { write("\n") }
        drawn = false
    }

    private func line(_ iteration: Int) -> String {
        let width = String(total).count
        var parts = ["step \(String(repeating: " ", count: max(0, width - String(iteration).count)))\(iteration)/\(total)"]
        if let smoothedLoss { parts.append(String(format: "loss %.3f bpc", smoothedLoss)) }
        parts.append(validation.map { String(format: "val %.3f bpc", $0) } ?? "val –")
        if let charsPerSecond { parts.append(String(format: "%.0f chars/s", charsPerSecond)) }
        let done = iteration - (startIteration ?? 0)
        if done > 0 {
            let perStep = Date().timeIntervalSince(started) / Double(done)
            parts.append("ETA " + Self.duration(perStep * Double(total - iteration)))
        }
        return parts.joined(separator: "  ")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }

    /// The first failed write to standard error; nothing more is written after it.
    private(set) var failure: TunegenError?

    private func write(_ text: String) {
        guard failure == nil else { return }
        do { try Output.stderr(text) } catch let e as TunegenError { failure = e } catch {}
    }
}
