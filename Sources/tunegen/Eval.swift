// `tunegen eval --model FILE ABC…`: a model's bits per character on given tunes, the number
// to compare models by (lower is better; the same text and normalisation as training).
import ArgumentParser
import CharModel
import Composer

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a model on ABC tunes in bits per character (lower is better).")

    @Option(help: "Model file (default: the shipped model).")
    var model: String?

    @Argument(help: "ABC files or folders.")
    var inputs: [String]

    @Flag(help: "Skip tunes that have errors (as training does by default).")
    var skipInvalid = false

    @Flag(help: "Print JSON.")
    var json = false

    @Option(parsing: .unconditional, help: "Score the text as this many side-by-side segments (1 reads it as one stream from the start, as Scripts/checkpoint_logits.py does).")
    var streams: Int = 8

    @Option(help: "Recurrent weights while scoring: fp32 or bf16 (default: what the model was trained in).")
    var precision: String?

    func validate() throws {
        if let precision, !["fp32", "bf16"].contains(precision) { throw ValidationError("--precision must be fp32 or bf16 (got '\(precision)')") }
        if inputs.isEmpty { throw ValidationError("give at least one ABC file or folder to score the model on") }
        if streams < 1 { throw ValidationError("--streams must be at least 1") }
    }

    func run() throws {
        let score = try ModelScore(model: model, inputs: inputs, skipInvalid: skipInvalid, streams: streams,
                                   precision: precision.flatMap { WeightPrecision(rawValue: $0) })
        if json { try JSONOutput.print(score) } else { try Output.stdout(score.summary + "\n") }
    }
}
