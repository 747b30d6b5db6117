import XCTest
@testable import CharModel

final class ParameterLayoutTests: XCTestCase {
    func testNamesShapesAndOffsetsFollowPyTorchStateDict() {
        let layout = ParameterLayout(ModelShape(vocabularySize: 5, embeddingSize: 3, hiddenSize: 2, layers: 2))
        XCTAssertEqual(layout.tensors.map(\.name), [
            "embedding.weight",
            "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
            "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1",
            "fc.weight", "fc.bias",
        ])
        XCTAssertEqual(layout["lstm.weight_ih_l0"]?.shape, [8, 3])
        XCTAssertEqual(layout["lstm.weight_ih_l1"]?.shape, [8, 2])
        XCTAssertEqual(layout["fc.weight"]?.shape, [5, 2])
        // Contiguous, no gaps or overlaps.
        var next = 0
        for t in layout.tensors {
            XCTAssertEqual(t.offset, next)
            next += t.count
        }
        XCTAssertEqual(layout.count, next)
        XCTAssertEqual(layout.count, 15 + (24 + 16 + 8 + 8) + (16 + 16 + 8 + 8) + 10 + 5)
    }
}
