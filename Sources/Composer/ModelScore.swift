// ModelScore: a model's bits per character on given tunes (`tunegen eval`), read and normalised
// exactly as training reads them.
import CharModel
import Foundation

public struct ModelScore: Encodable {
    public var bitsPerCharacter: Double
    public var characters: Int
    public var unknownCharactersDropped: Int
    public var tunes: Int
    /// Precision of the recurrent weights the score was computed with.
    public var precision: String
    /// With a model that has a match model: each tune scored from a zero state (as generation
    /// starts), by the LSTM alone and by its mixture with the match model.
    public var perTune: PerTune?
    public struct PerTune: Encodable {
        public var lstmBitsPerCharacter: Double
        public var withMatchModelBitsPerCharacter: Double
    }

    /// Scores `model` (nil: the shipped one) on the tunes of `inputs`, as `streams` segments,
    /// with its recurrent weights in `precision` (nil: the one it was trained in).
    public init(model: String?, inputs: [String], skipInvalid: Bool, streams: Int, precision: WeightPrecision? = nil) throws {
        var file = try ModelFile.load(path: model)
        if let precision { file.model.weightPrecision = precision }
        self.precision = file.model.weightPrecision.rawValue
        let corpus = try TrainingCorpus.load(paths: inputs, keepInvalid: !skipInvalid, validationFraction: 0, seed: 0)
        let (ids, dropped) = file.vocabulary.encodeDroppingUnknown(corpus.trainingText)
        guard ids.count >= 2 else { throw TunegenError("nothing to score: the tunes have fewer than two characters the model knows") }
        bitsPerCharacter = Trainer.bitsPerCharacter(model: file.model, tokens: ids, streams: streams, steps: 100)
        guard bitsPerCharacter.isFinite else {
            throw TunegenError("\(model ?? "the shipped model"): its score is \(bitsPerCharacter), not a number: the model's weights are damaged or diverged")
        }
        characters = ids.count
        unknownCharactersDropped = dropped
        tunes = corpus.training.count
        if let match = file.matchModel {
            let vocabulary = file.vocabulary
            let tuneIDs = corpus.training.map { vocabulary.encodeDroppingUnknown(TrainingCorpus.text([$0])).ids }
            let observations = MatchModel.observations(model: file.model, tunes: tuneIDs)
            let alone = MatchModel.none
            perTune = PerTune(lstmBitsPerCharacter: alone.bitsPerCharacter(observations),
                              withMatchModelBitsPerCharacter: match.bitsPerCharacter(observations))
        }
    }

    /// "1.4840 bits per character on 80 tunes (…)".
    public var summary: String {
        String(format: "%.4f bits per character", bitsPerCharacter) + " on \(tunes) tunes (\(characters) characters, \(precision) recurrent weights)"
            + (unknownCharactersDropped > 0 ? "; \(unknownCharactersDropped) characters the model does not know were dropped" : "")
            + (perTune.map {
                String(format: "\neach tune from a zero state: %.4f bits per character with the match model (copying from the tune so far), %.4f without",
                       $0.withMatchModelBitsPerCharacter, $0.lstmBitsPerCharacter)
            } ?? "")
    }
}
