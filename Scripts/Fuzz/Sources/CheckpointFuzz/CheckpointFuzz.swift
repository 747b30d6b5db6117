// The libFuzzer entry point for the checkpoint reader and the resume path: any bytes → parse and
// validate as a checkpoint → load as a model → check for resuming → build the trainer as
// `train --resume` does, restore the state and take one training step. A trap, an overflow or
// an address error anywhere is a finding; a thrown error is the expected answer to a bad file.
import CharModel
import Composer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let checkpoint = try? Checkpoint(parsing: bytes),
          let file = try? ModelFile(checkpoint: checkpoint, source: "fuzz") else { return 0 }
    // A loaded model must score text without trapping (what eval and generate do first).
    let v = file.vocabulary.count
    if v >= 1, checkpoint.parameters.count <= 1 << 20 {
        _ = Trainer.bitsPerCharacter(model: file.model, tokens: (0 ..< 12).map { Int32($0 % v) }, streams: 2, steps: 4)
    }
    guard let point = try? ResumePoint.check(file, path: "fuzz", iterations: nil) else { return 0 }
    // Resume as `train` does, on a text just long enough for one window. Skip shapes whose one
    // step would take long (the estimate already refused what would not fit in memory).
    let config = point.settings.trainer
    guard checkpoint.parameters.count <= 1 << 20, config.batch * config.steps <= 1 << 16 else { return 0 }
    let tokens = (0 ..< config.steps + 2).map { Int32($0 % v) }
    let trainer = Trainer(model: file.model, tokens: tokens, config: config)
    trainer.restore(parameters: file.model.parameters, state: point.state)
    _ = trainer.step()
    return 0
}
