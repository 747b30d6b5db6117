// TempoMap: Score.seconds(atBeat:) in O(log tempo changes) instead of O(tempo changes), so a score
// with many notes and many tempo changes renders in O(n log t). Gives bit-identical results:
// the same sums in the same order as Score.seconds(atBeat:), precomputed once.

import ABCNotation

struct TempoMap {
    /// Running maximum of the onsets of the changes after beat 0, in the score's order.
    private var prefixMax: [Double] = []
    /// Seconds accumulated after k changes; beat and tempo in force after k changes.
    private var seconds: [Double] = [0]
    private var lastBeat: [Double] = [0]
    private var qpm: [Double]

    init(_ score: Score) {
        qpm = [score.tempos.first?.quarterNotesPerMinute ?? Score.defaultQuarterNotesPerMinute]
        var runningMax = -Double.infinity
        for change in score.tempos where change.onset > 0 {
            let k = seconds.count - 1
            seconds.append(seconds[k] + (change.onset - lastBeat[k]) * 60 / qpm[k])
            lastBeat.append(change.onset)
            qpm.append(change.quarterNotesPerMinute)
            runningMax = max(runningMax, change.onset)
            prefixMax.append(runningMax)
        }
    }

    /// Seconds from the start to `beat`, equal to `Score.seconds(atBeat:)` (which stops at the
    /// first change at or after `beat`: the number of changes applied is the length of the
    /// prefix whose running maximum onset is below `beat`).
    func seconds(atBeat beat: Double) -> Double {
        var lo = 0, hi = prefixMax.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if prefixMax[mid] < beat { lo = mid + 1 } else { hi = mid }
        }
        return seconds[lo] + (beat - lastBeat[lo]) * 60 / qpm[lo]
    }
}
