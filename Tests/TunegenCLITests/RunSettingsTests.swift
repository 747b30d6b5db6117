// A run's settings: presets are RunSettings, flags override them, and the recorded precision
// decides how a resumed or loaded model is run.
import CharModel
import Composer
import Foundation
import XCTest

final class RunSettingsTests: XCTestCase {
    func testPresetsAndOverrides() {
        let mit = RunSettings(preset: .mit), cpu = RunSettings(preset: .cpu)
        XCTAssertEqual([mit.embedding, mit.hidden, mit.trainer.batch, mit.iterations], [256, 1024, 8, 3000])
        XCTAssertEqual(mit.weightPrecision, .bf16, "the MIT preset trains with bf16 recurrent weights")
        XCTAssertEqual(cpu.weightPrecision, .fp32)
        XCTAssertEqual(RunSettings(preset: .tiny).weightPrecision, .fp32)
        XCTAssertEqual(RunSettings(preset: .mit, precision: .fp32).weightPrecision, .fp32, "a flag wins")
        XCTAssertEqual(RunSettings(preset: .cpu, precision: .bf16).weightPrecision, .bf16)
        // A cosine schedule decays over the run's own iterations.
        guard case let .cosine(_, total, _) = RunSettings(preset: .cpu, iterations: 777).trainer.optimizer.schedule else {
            return XCTFail("the cpu preset decays its learning rate")
        }
        XCTAssertEqual(total, 777)
    }

    /// Settings recorded before the option existed (no "precision" key) read as fp32.
    func testSettingsWithoutPrecisionReadAsFP32() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(RunSettings(preset: .mit))) as! [String: Any]
        json.removeValue(forKey: "precision")
        let old = try JSONDecoder().decode(RunSettings.self, from: JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(old.weightPrecision, .fp32)
    }
}
