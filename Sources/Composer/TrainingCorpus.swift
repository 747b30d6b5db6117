// TrainingCorpus: the text a model learns from. Reads ABC files and folders, splits and checks
// every tune with the notation module, skips tunes with errors (counted), normalises the text,
// and splits whole tunes into training and validation sets with a seeded shuffle.
import ABCNotation
import CharModel
import Foundation

public struct TrainingCorpus: Sendable {
    /// Normalised tune texts (no trailing blank lines).
    public var training: [String]
    public var validation: [String]
    /// ABC files read.
    public var files: [String]
    /// Tunes found, kept, and skipped for errors.
    public var tunesFound: Int
    public var skippedInvalid: Int
    /// Identical tunes (same text apart from `X:`) that were folded into one.
    public var duplicatesFolded: Int

    /// Tunes joined by blank lines: the end of a tune is the boundary "\n\n" a sampler stops at.
    public static func text(_ tunes: [String]) -> String {
        tunes.isEmpty ? "" : tunes.joined(separator: "\n\n") + "\n\n"
    }

    public var trainingText: String { Self.text(training) }
    /// Where each training tune begins in `trainingText`, in Unicode scalars (token offsets).
    public var trainingTuneStarts: [Int] {
        var starts: [Int] = [], offset = 0
        for tune in training {
            starts.append(offset)
            offset += tune.unicodeScalars.count + 2
        }
        return starts
    }
    public var validationText: String { Self.text(validation) }

    /// One tune's text as the model sees it: "\n" line ends, no trailing spaces or tabs, no
    /// blank lines (a blank line would end the tune).
    public static func normalise(_ text: String) -> String {
        // NFC: canonically equivalent spellings become one symbol (the vocabulary needs distinct characters).
        let unified = text.precomposedStringWithCanonicalMapping
            .replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines: [Substring] = []
        for line in unified.split(separator: "\n", omittingEmptySubsequences: false) {
            var end = line.endIndex
            while end > line.startIndex, line[line.index(before: end)] == " " || line[line.index(before: end)] == "\t" {
                end = line.index(before: end)
            }
            let trimmed = line[line.startIndex ..< end]
            if !trimmed.isEmpty { lines.append(trimmed) }
        }
        return lines.joined(separator: "\n")
    }

    /// Reads, checks and splits. `validationFraction` of the distinct tunes (at least one when
    /// there are two or more) go to validation, chosen by a shuffle seeded with `seed`.
    public static func load(paths: [String], keepInvalid: Bool, validationFraction: Double, seed: UInt64) throws -> TrainingCorpus {
        let files = try ABCInput.abcFiles(paths)
        var tunes: [String] = []
        var seen: Set<String> = []
        var found = 0, skipped = 0, duplicates = 0
        for path in files {
            let parsed = try ABCInput.parse(path)
            for tune in parsed.tunes {
                found += 1
                if tune.hasErrors && !keepInvalid { skipped += 1; continue }
                let text = normalise(tune.sourceText)
                // Two copies of a tune must not land on both sides of the split.
                let identity = text.split(separator: "\n").filter { !$0.hasPrefix("X:") }.joined(separator: "\n")
                if !seen.insert(identity).inserted { duplicates += 1; continue }
                tunes.append(text)
            }
        }
        guard !tunes.isEmpty else {
            throw TunegenError("no usable tunes in \(paths.joined(separator: ", ")) (\(found) found, \(skipped) with errors)"
                + (skipped > 0 ? "; run `tunegen check` to see why, or pass --keep-invalid" : ""))
        }
        // Seeded Fisher–Yates with our own generator: the same seed splits the same way on any
        // Swift version (the standard library's shuffle algorithm is not promised stable).
        var order = Array(tunes.indices)
        var rng = SeededGenerator(seed: seed ^ 0x5EED_5B11)
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        var validationCount = Int((Double(tunes.count) * validationFraction).rounded())
        if validationFraction > 0 && tunes.count >= 2 { validationCount = max(1, validationCount) }
        validationCount = min(validationCount, tunes.count - 1)
        let validationSet = Set(order.prefix(validationCount))
        // Keep file order within each side, so the texts read naturally.
        let training = tunes.indices.filter { !validationSet.contains($0) }.map { tunes[$0] }
        let validation = tunes.indices.filter { validationSet.contains($0) }.map { tunes[$0] }
        return TrainingCorpus(training: training, validation: validation, files: files, tunesFound: found,
                              skippedInvalid: skipped, duplicatesFolded: duplicates)
    }
}
