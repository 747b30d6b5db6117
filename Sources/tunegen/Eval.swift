// `tunegen eval --model FILE ABC…`: a model's bits per character on given tunes, the number
// to compare models by (lower is better; the same text and normalisation as training).
import ArgumentParser
import CharModel
import Foundation

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

    @Option(help: "Score the text as this many side-by-side segments (1 reads it as one stream from the start, as Scripts/checkpoint_logits.py does).")
    var streams: Int = 8

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one ABC file or folder to score the model on") }
        if streams < 1 { throw ValidationError("--streams must be at least 1") }
    }

    func run() throws {
        do {
            let file = try ModelFile.load(path: model)
            let corpus = try TrainingCorpus.load(paths: inputs, keepInvalid: !skipInvalid, validationFraction: 0, seed: 0)
            let text = corpus.trainingText
            let (ids, dropped) = file.vocabulary.encodeDroppingUnknown(text)
            guard ids.count >= 2 else { throw CommandFailure("nothing to score: the tunes have fewer than two characters the model knows") }
            let bpc = Trainer.bitsPerCharacter(model: file.model, tokens: ids, streams: streams, steps: 100)
            if json {
                struct Output: Encodable { var bitsPerCharacter: Double; var characters: Int; var unknownCharactersDropped: Int; var tunes: Int }
                try JSONOutput.print(Output(bitsPerCharacter: bpc, characters: ids.count,
                                            unknownCharactersDropped: dropped, tunes: corpus.training.count))
            } else {
                print(String(format: "%.4f bits per character", bpc) + " on \(corpus.training.count) tunes (\(ids.count) characters)"
                      + (dropped > 0 ? "; \(dropped) characters the model does not know were dropped" : ""))
            }
        } catch let failure as CommandFailure {
            CommandFailure.exit(failure)
        }
    }
}
