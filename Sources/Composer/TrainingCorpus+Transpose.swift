// TrainingCorpus+Transpose: `train --augment-transpose`. Adds transposed copies of the training
// tunes only; the validation tunes stay as written, so validation loss stays comparable with
// runs that do not augment (and no transposition of a held-out tune is ever trained on).
import ABCNotation

extension TrainingCorpus {
    /// The tonics a copy is moved to: the keys of the Irish session (D G A E, with C and F)
    /// and Bb, which the corpus lacks but players of flat-keyed instruments use. Every mode keeps
    /// its mode (an A-dorian tune gets copies in D, G, E, C, F and Bb dorian).
    public static let augmentationTonics = ["D", "G", "A", "E", "C", "F", "Bb"]

    /// What augmentation added.
    public struct Augmentation: Sendable, Equatable {
        /// Copies added to the training tunes.
        public var copies: Int
        /// Training tunes that could not be moved (K:HP, notes out of range, errors kept with
        /// --keep-invalid); they stay, untransposed, without copies.
        public var refused: Int
    }

    /// This corpus with, after each training tune, its copies moved to each of
    /// `augmentationTonics` other than its own (the shorter way, at most 6 semitones, so each
    /// stays in the register it was written in). No randomness: the same corpus gives the same
    /// copies. The split and the validation tunes are untouched.
    public func augmentedByTransposition() -> (corpus: TrainingCorpus, augmentation: Augmentation) {
        var result = self
        var training: [String] = []
        var copies = 0, refused = 0
        for text in self.training {
            training.append(text)
            guard let tune = ABCParser.parseTune(text), !tune.hasErrors, let tonic = tune.key.tonic,
                  !tune.key.isHighlandPipes else {
                refused += 1
                continue
            }
            var moved: [String] = []
            do {
                for target in Self.augmentationTonics where target != tonic {
                    let copy = try Transposer.transpose(tune, toKey: target)
                    if copy.interval.semitones != 0 { moved.append(copy.text) }
                }
            } catch {
                refused += 1
                continue
            }
            training += moved
            copies += moved.count
        }
        result.training = training
        return (result, Augmentation(copies: copies, refused: refused))
    }
}
