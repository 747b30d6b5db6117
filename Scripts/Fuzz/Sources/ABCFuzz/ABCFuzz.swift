// The libFuzzer entry point: any bytes → parse, score and format every tune, then re-parse the
// formatted text. A trap, an overflow or an address error anywhere is a finding.
import ABCNotation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let file = ABCParser.parse(bytes: bytes, fileName: "fuzz")
    for tune in file.tunes {
        let result = tune.score()
        for voice in result.score.voices {
            for note in voice.notes where !(0...127).contains(note.pitch) || !(note.duration >= 0) {
                fatalError("bad event \(note)")
            }
        }
        _ = ABCParser.parse(ABCFormatter.format(tune), fileName: "formatted")
    }
    return 0
}
