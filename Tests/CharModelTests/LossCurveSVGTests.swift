// LossCurveSVGTests: the loss chart is well-formed XML with both series, finite coordinates,
// and copes with empty, single-point, non-finite and very long series.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import CharModel

final class LossCurveSVGTests: XCTestCase {
    /// Collects elements and their attributes; fails on malformed XML.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var text = ""
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append((name, attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    }

    func parse(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> Collector {
        let parser = XMLParser(data: Data(svg.utf8))
        let c = Collector()
        parser.delegate = c
        XCTAssertTrue(parser.parse(), "not well-formed: \(String(describing: parser.parserError))", file: file, line: line)
        XCTAssertEqual(c.elements.first?.name, "svg", file: file, line: line)
        for e in c.elements {
            for (k, v) in e.attributes {
                XCTAssertFalse(v.lowercased().contains("nan") || v.lowercased().contains("inf"), "\(e.name) \(k)=\(v)", file: file, line: line)
            }
        }
        return c
    }

    func polyline(_ c: Collector, _ id: String) -> [(Double, Double)]? {
        guard let p = c.elements.first(where: { $0.name == "polyline" && $0.attributes["id"] == id }) else { return nil }
        return p.attributes["points"]!.split(separator: " ").map {
            let xy = $0.split(separator: ",").map { Double($0)! }
            return (xy[0], xy[1])
        }
    }

    func testTypicalCurves() {
        let train = (0 ..< 500).map { (step: $0 * 10, value: 4.5 * exp(-Double($0) / 100) + 1.2) }
        let valid = stride(from: 0, to: 5000, by: 500).map { (step: $0, value: 4.0 * exp(-Double($0) / 1000) + 1.4) }
        let svg = LossCurveSVG.render(training: train, validation: valid, title: "tunegen <train> & co", yLabel: "bits/char")
        let c = parse(svg)
        let t = polyline(c, "training")!, v = polyline(c, "validation")!
        XCTAssertEqual(t.count, 500)
        XCTAssertEqual(v.count, 10)
        // Points lie inside the 800×480 canvas; loss falls, so y (downwards) grows.
        for (x, y) in t + v { XCTAssertTrue((0 ... 800).contains(x) && (0 ... 480).contains(y)) }
        XCTAssertLessThan(t.first!.1, t.last!.1)
        XCTAssertTrue(c.text.contains("tunegen <train> & co"))
        XCTAssertTrue(c.text.contains("bits/char"))
        XCTAssertTrue(c.text.contains("training") && c.text.contains("validation"))
        XCTAssertGreaterThanOrEqual(c.elements.filter { $0.name == "text" }.count, 8, "tick labels")
        XCTAssertEqual(c.elements.filter { $0.name == "circle" }.count, 10, "validation markers")
    }

    func testEmptySeries() {
        let c = parse(LossCurveSVG.render(training: [], validation: [], title: "", yLabel: "loss"))
        XCTAssertNil(polyline(c, "training"))
        XCTAssertTrue(c.text.contains("no data"))
        let d = parse(LossCurveSVG.render(training: [(step: 1, value: 2), (step: 2, value: 1)], validation: [], title: "t", yLabel: "loss"))
        XCTAssertEqual(polyline(d, "training")?.count, 2)
        XCTAssertNil(polyline(d, "validation"))
    }

    func testSinglePointsAndConstantSeries() {
        let c = parse(LossCurveSVG.render(training: [(step: 5, value: 3)], validation: [(step: 5, value: 3)], title: "t", yLabel: "y"))
        XCTAssertEqual(polyline(c, "training")?.count, 1)
        XCTAssertEqual(polyline(c, "validation")?.count, 1)
        XCTAssertEqual(c.elements.filter { $0.name == "circle" }.count, 2)
        let flat = (0 ..< 10).map { (step: $0, value: 0.0) }
        XCTAssertEqual(polyline(parse(LossCurveSVG.render(training: flat, validation: [], title: "t", yLabel: "y")), "training")?.count, 10)
    }

    func testNonFiniteValuesAreSkipped() {
        let train = [(step: 0, value: 3.0), (step: 1, value: .nan), (step: 2, value: .infinity), (step: 3, value: -.infinity), (step: 4, value: 2.0)]
        let c = parse(LossCurveSVG.render(training: train, validation: [(step: 1, value: .nan)], title: "t", yLabel: "y"))
        XCTAssertEqual(polyline(c, "training")?.count, 2)
        XCTAssertNil(polyline(c, "validation"))
        // Extreme but finite values must not produce non-finite coordinates either.
        _ = parse(LossCurveSVG.render(training: [(step: 0, value: -.greatestFiniteMagnitude), (step: 1, value: .greatestFiniteMagnitude)],
                                      validation: [(step: Int.max, value: 1e-300)], title: "t", yLabel: "y"))
    }

    func testHugeSeriesAreDownsampledKeepingSpikes() {
        var train = (0 ..< 1_000_000).map { (step: $0, value: 2.0) }
        train[123_456].value = 50
        let c = parse(LossCurveSVG.render(training: train, validation: [], title: "t", yLabel: "y"))
        let t = polyline(c, "training")!
        XCTAssertLessThanOrEqual(t.count, LossCurveSVG.maxPointsPerSeries)
        XCTAssertGreaterThan(t.count, 500)
        let top = t.map(\.1).min()!
        XCTAssertLessThan(top, 100, "the spike to 50 is still drawn near the top")
        XCTAssertEqual(t.map(\.0), t.map(\.0).sorted(), "step order kept")
    }

    func testTicksAreRound() {
        XCTAssertEqual(LossCurveSVG.ticks(0, 10).values, [0, 2, 4, 6, 8, 10])
        XCTAssertEqual(LossCurveSVG.ticks(1.13, 1.61).step, 0.05, accuracy: 1e-12)
        XCTAssertEqual(LossCurveSVG.ticks(0, 15000).step, 2000)
        for (lo, hi) in [(0.0, 1.0), (1.13, 1.61), (-3, 1e5), (2, 2.001)] {
            XCTAssertTrue((4 ... 11).contains(LossCurveSVG.ticks(lo, hi).values.count), "\(lo)...\(hi)")
        }
        XCTAssertEqual(LossCurveSVG.ticks(0, 1e9).values.count, 6)
    }

    /// Writes a sample chart to the path in `TUNEGEN_WRITE_SAMPLE_SVG` for a look; skipped when unset.
    func testWriteSampleSVG() throws {
        guard let path = ProcessInfo.processInfo.environment["TUNEGEN_WRITE_SAMPLE_SVG"], !path.isEmpty else {
            throw XCTSkip("set TUNEGEN_WRITE_SAMPLE_SVG=/path/loss.svg to write a sample chart")
        }
        var rng = TestRNG(state: 7)
        let train = (0 ..< 3000).map { (step: $0 * 5, value: 3.0 * exp(-Double($0) / 600) + 1.3 + Double(rng.float(0.15))) }
        let valid = stride(from: 0, to: 15000, by: 1000).map { (step: $0, value: 3.0 * exp(-Double($0) / 3000) + 1.45) }
        try LossCurveSVG.render(training: train, validation: valid, title: "tunegen train: loss", yLabel: "bits/char")
            .write(toFile: path, atomically: true, encoding: .utf8)
    }
}
