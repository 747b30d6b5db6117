// `tunegen eval --model FILE ABC…`: a model's bits per character on given tunes, the number
// to compare models by (lower is better; the same text and normalisation as training).
import ArgumentParser
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

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one ABC file or folder to score the model on") }
        if streams < 1 { throw ValidationError("--streams must be at least 1") }
    }

    func run() throws {
        let score = try ModelScore(model: model, inputs: inputs, skipInvalid: skipInvalid, streams: streams)
        if json { try JSONOutput.print(score) } else { try Output.stdout(score.summary + "\n") }
    }
}
