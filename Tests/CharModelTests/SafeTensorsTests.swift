// SafeTensorsTests: the container's exact byte layout, round trips, and the reader's refusal of
// every kind of malformed header, truncation and bit flip — always an error, never a trap.

import XCTest
@testable import CharModel

final class SafeTensorsTests: XCTestCase {
    /// A file from raw header text and data bytes; the header is padded to 8 unless told not to.
    static func file(header: String, data: [UInt8] = [], pad: Bool = true, length: UInt64? = nil) -> [UInt8] {
        var h = Array(header.utf8)
        while pad && h.count % 8 != 0 { h.append(0x20) }
        return SafeTensor.littleEndianBytes([length ?? UInt64(h.count)]) + h + data
    }

    func assertRejects(_ bytes: [UInt8], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(parsing: bytes), file: file, line: line) { error in
            guard let e = error as? SafeTensorsError else { return XCTFail("wrong error type \(error)", file: file, line: line) }
            XCTAssertTrue(e.message.contains(fragment), "'\(e.message)' does not mention '\(fragment)'", file: file, line: line)
            XCTAssertFalse(e.hint.isEmpty, file: file, line: line)
        }
    }

    func entry(_ name: String, _ dtype: String = "F32", _ shape: String = "[2]", _ offsets: String = "[0,8]") -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    // MARK: Layout and round trip

    func testExactByteLayoutOfTinyFile() {
        let f = SafeTensorsFile(metadata: ["k": "v"], tensors: [
            "b": SafeTensor(int64s: [7], shape: [1]),
            "a": SafeTensor(floats: [1.0, -2.0], shape: [2]),
        ])
        let header = #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}"#
        XCTAssertEqual(header.utf8.count, 133)
        let expected: [UInt8] = [136, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + [0x20, 0x20, 0x20]
            + [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0] // 1.0, -2.0 as little-endian F32
            + [7, 0, 0, 0, 0, 0, 0, 0] // 7 as little-endian I64
        let bytes = f.serialized()
        XCTAssertEqual(bytes.count, 160)
        XCTAssertEqual(bytes, expected)
        XCTAssertEqual(try SafeTensorsFile(parsing: bytes), f)
    }

    func testRoundTripAllDTypesAndScalars() throws {
        let f = SafeTensorsFile(metadata: ["quote\"back\\slash\n": "é 🎻 \u{01}"], tensors: [
            "f": SafeTensor(floats: [.pi, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude, .nan], shape: [5]),
            "u": SafeTensor(uint64s: [0, .max, 1 << 63], shape: [3]),
            "i": SafeTensor(int64s: [.min, -1, .max, 0], shape: [2, 2]),
            "i32": SafeTensor(dtype: .i32, shape: [1], bytes: [1, 2, 3, 4]),
            "byte": SafeTensor(dtype: .u8, shape: [3], bytes: [9, 8, 7]),
            "scalar": SafeTensor(floats: [42], shape: []),
            "empty": SafeTensor(floats: [], shape: [0, 3]),
            "empty2": SafeTensor(uint64s: [], shape: [0]),
        ])
        let bytes = f.serialized()
        XCTAssertEqual(bytes[0] % 8, 0, "header length is a multiple of 8")
        let g = try SafeTensorsFile(parsing: bytes)
        XCTAssertEqual(g.metadata, f.metadata)
        XCTAssertEqual(Set(g.tensors.keys), Set(f.tensors.keys))
        for (k, t) in f.tensors { XCTAssertEqual(g.tensors[k]!.bytes, t.bytes, k); XCTAssertEqual(g.tensors[k]!.shape, t.shape) }
        XCTAssertEqual(g.tensors["u"]!.uint64s, [0, .max, 1 << 63])
        XCTAssertEqual(g.tensors["i"]!.int64s, [.min, -1, .max, 0])
        XCTAssertEqual(g.tensors["f"]!.floats!.map(\.bitPattern), f.tensors["f"]!.floats!.map(\.bitPattern))
        XCTAssertEqual(bytes, g.serialized(), "serialization is deterministic")
    }

    /// Bytes written by the Python `safetensors` library (`save_file` of `b` I64 [3] = 0,1,2,
    /// `a` F32 [1,2] = 1.5,-2, `s` F32 [] = 3, metadata k=v): it orders by dtype alignment, not
    /// by name, and pads with spaces. (Checked the other way too: it loads our files.)
    func testReadsAFileWrittenByThePythonLibrary() throws {
        let header = #"{"__metadata__":{"k":"v"},"b":{"dtype":"I64","shape":[3],"data_offsets":[0,24]},"#
            + #""a":{"dtype":"F32","shape":[1,2],"data_offsets":[24,32]},"s":{"dtype":"F32","shape":[],"data_offsets":[32,36]}}"#
        let data: [UInt8] = SafeTensor.littleEndianBytes([Int64(0), 1, 2])
            + SafeTensor.littleEndianBytes([Float(1.5), -2, 3].map(\.bitPattern))
        let bytes = Self.file(header: header, data: data)
        XCTAssertEqual(bytes.prefix(8), [192, 0, 0, 0, 0, 0, 0, 0])
        let f = try SafeTensorsFile(parsing: Data(bytes))
        XCTAssertEqual(f.metadata, ["k": "v"])
        XCTAssertEqual(f.tensors["b"]?.int64s, [0, 1, 2])
        XCTAssertEqual(f.tensors["a"]?.floats, [1.5, -2])
        XCTAssertEqual(f.tensors["a"]?.shape, [1, 2])
        XCTAssertEqual(f.tensors["s"]?.floats, [3])
        XCTAssertEqual(f.tensors["s"]?.shape, [])
    }

    func testEmptyFileWithoutMetadata() throws {
        let bytes = SafeTensorsFile().serialized()
        XCTAssertEqual(bytes, Self.file(header: "{}"))
        XCTAssertEqual(try SafeTensorsFile(parsing: bytes), SafeTensorsFile())
    }

    func testAcceptsWhitespaceAndOtherWriters() throws {
        // Key order, whitespace and escapes as other writers may produce them.
        let header = " {\n \"x\" : { \"data_offsets\" : [ 0 , 4 ], \"shape\": [], \"dtype\": \"F32\" },\t"
            + "\"__metadata__\": {\"a\\u00e9\\ud83c\\udfbb\": \"\\/\"} }  "
        let f = try SafeTensorsFile(parsing: Self.file(header: header, data: [0, 0, 0x80, 0x3F], pad: false))
        XCTAssertEqual(f.tensors["x"]!.floats, [1])
        XCTAssertEqual(f.metadata, ["aé🎻": "/"])
    }

    // MARK: Malformed files

    func testTooShortAndHeaderLength() {
        for n in 0 ..< 8 { assertRejects([UInt8](repeating: 0, count: n), "shorter than the 8-byte") }
        assertRejects(Self.file(header: "{}", length: .max), "exceeds the limit")
        assertRejects(Self.file(header: "{}", length: 200 << 20), "exceeds the limit")
        assertRejects(Self.file(header: "{}", length: 9), "past the end")
        assertRejects(Self.file(header: "{}", length: 0), "too short")
    }

    func testDuplicateKeys() {
        let data = [UInt8](repeating: 0, count: 8)
        assertRejects(Self.file(header: "{\(entry("a")),\(entry("a", "F32", "[2]", "[0,8]"))}", data: data), "duplicate key \"a\"")
        assertRejects(Self.file(header: #"{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: data),
                      "duplicate key \"dtype\"")
        assertRejects(Self.file(header: #"{"__metadata__":{"k":"1","k":"2"}}"#), "duplicate key \"k\"")
        assertRejects(Self.file(header: #"{"__metadata__":{},"__metadata__":{}}"#), "duplicate key")
    }

    func testIntegersMustBePlainNonNegativeIntegers() {
        let data = [UInt8](repeating: 0, count: 8)
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[-1]"))}", data: data), "shape[0] must be a non-negative integer, found -1")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2.0]"))}", data: data), "found 2.0")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2e0]"))}", data: data), "found 2e0")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2]", "[0,1e1]"))}", data: data), "data_offsets[1] must be a non-negative integer, found 1e1")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[\"2\"]"))}", data: data), "found \"2\"")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[true]"))}", data: data), "found true")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[99999999999999999999]"))}", data: data), "found 99999999999999999999")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[02]"))}", data: data), "leading zero")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "2"))}", data: data), "shape is not an array")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2]", "[0]"))}", data: data), "has 1 elements, expected 2")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2]", "[0,8,8]"))}", data: data), "has 3 elements")
    }

    func testOffsetsMustTileTheData() {
        let d16 = [UInt8](repeating: 0, count: 16)
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2]", "[8,16]"))}", data: [UInt8](repeating: 0, count: 8)), "run past the end")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2]", "[8,0]"))}", data: d16), "end before they begin")
        assertRejects(Self.file(header: "{\(entry("fc.bias", "F32", "[3]", "[0,12]")),\(entry("fc.weight", "F32", "[2]", "[8,16]"))}", data: d16),
                      "tensor 'fc.weight': data_offsets [8, 16] overlap 'fc.bias' [0, 12]")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2]", "[0,8]")),\(entry("b", "F32", "[2]", "[0,8]"))}", data: d16), "overlap")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[1]", "[0,4]")),\(entry("b", "F32", "[2]", "[8,16]"))}", data: d16),
                      "tensor 'b': gap of 4 unused bytes [4, 8) after 'a'")
        assertRejects(Self.file(header: "{\(entry("b", "F32", "[2]", "[8,16]"))}", data: d16), "at the start of the data")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[2]", "[0,8]"))}", data: d16), "8 bytes after the last tensor")
        assertRejects(Self.file(header: "{}", data: [1]), "1 bytes after the last tensor")
    }

    func testSizeMustMatchShapeAndDType() {
        let d8 = [UInt8](repeating: 0, count: 8)
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[3]", "[0,8]"))}", data: d8), "shape [3] of F32 needs 12 bytes but data_offsets [0, 8] hold 8")
        assertRejects(Self.file(header: "{\(entry("a", "I64", "[2]", "[0,8]"))}", data: d8), "needs 16 bytes")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[4611686018427387904,4]", "[0,8]"))}", data: d8), "too large")
        assertRejects(Self.file(header: "{\(entry("a", "F32", "[0,4611686018427387904,4611686018427387904]", "[0,8]"))}", data: d8), "needs 0 bytes")
    }

    func testEntryStructure() {
        let d8 = [UInt8](repeating: 0, count: 8)
        assertRejects(Self.file(header: "{\(entry("a", "F16"))}", data: d8), "unsupported dtype 'F16'")
        assertRejects(Self.file(header: "{\(entry("a", "f32"))}", data: d8), "unsupported dtype 'f32'")
        assertRejects(Self.file(header: #"{"a":{"dtype":"F32","shape":[2]}}"#, data: d8), "tensor 'a': missing field 'data_offsets'")
        assertRejects(Self.file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}"#, data: d8), "unexpected field 'x'")
        assertRejects(Self.file(header: #"{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}"#, data: d8), "dtype is not a string")
        assertRejects(Self.file(header: #"{"a":[]}"#), "tensor 'a': entry is not an object")
        assertRejects(Self.file(header: #"{"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#), "empty name")
        assertRejects(Self.file(header: #"{"__metadata__":{"k":1}}"#), "value for key 'k' is not a string")
        assertRejects(Self.file(header: #"{"__metadata__":[]}"#), "'__metadata__' is not an object")
        assertRejects(Self.file(header: "[]"), "not an object")
    }

    func testJSONSyntax() {
        for bad in ["{", "{\"a\"", "{\"a\":}", "{,}", "{\"a\":1,}", "{} x", "{}{}", "{'a':1}", "{\"a\":1 \"b\":2}",
                    "{\"a\":\"\u{01}\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00x\"}", "{\"a\":\"\\u12\"}",
                    "{\"a\":nul}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":NaN}"] {
            assertRejects(Self.file(header: bad), "header JSON")
        }
    }

    func testDeepNestingIsRefusedWithoutOverflow() {
        let deep = "{\"__metadata__\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        assertRejects(Self.file(header: deep), "nesting deeper than 64")
        let deepObjects = String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        assertRejects(Self.file(header: deepObjects), "nesting deeper")
        XCTAssertThrowsError(try StrictJSON.parse(String(repeating: "[", count: 1_000_000)))
    }

    func testNonUTF8Header() {
        var bytes = Self.file(header: #"{"__metadata__":{"k":"vv"}}"#)
        let at = bytes.firstIndex(of: UInt8(ascii: "v"))!
        bytes[at] = 0xFF
        assertRejects(bytes, "not valid UTF-8")
        bytes[at] = 0xC3 // a lead byte followed by an ASCII byte: invalid sequence
        assertRejects(bytes, "not valid UTF-8")
    }

    // MARK: Robustness

    func testTruncationAtEveryByteIsAnError() {
        let bytes = SafeTensorsFile(metadata: ["note": "x"], tensors: [
            "a": SafeTensor(floats: [1, 2, 3], shape: [3]), "b": SafeTensor(uint64s: [5], shape: [1]),
        ]).serialized()
        XCTAssertNoThrow(try SafeTensorsFile(parsing: bytes))
        for n in 0 ..< bytes.count {
            XCTAssertThrowsError(try SafeTensorsFile(parsing: Array(bytes[..<n])), "prefix of \(n) bytes")
        }
    }

    func testStrictJSONValues() throws {
        XCTAssertEqual(try StrictJSON.parse(#" [1, -0.5e+3, "a\u00e9", true, false, null, {}] "#),
                       .array([.number("1"), .number("-0.5e+3"), .string("aé"), .bool(true), .bool(false), .null, .object([])]))
        XCTAssertEqual(StrictJSON.Value.number("12").nonNegativeInt, 12)
        XCTAssertNil(StrictJSON.Value.number("-0").nonNegativeInt)
        XCTAssertNil(StrictJSON.Value.number("1.0").nonNegativeInt)
        let tricky = "\"\\\u{0}\u{1f}\n\t😀"
        XCTAssertEqual(try StrictJSON.parse(StrictJSON.quote(tricky)), .string(tricky))
    }
}
