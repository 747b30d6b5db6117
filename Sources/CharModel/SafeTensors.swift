// SafeTensors: a reader and writer for the safetensors container (the format of Hugging Face's
// `safetensors` library): 8-byte little-endian header length N, N bytes of JSON header, data.
// The reader treats every file as untrusted: it parses the header with its own strict JSON
// parser (no duplicate keys, integers only where integers belong, bounded nesting) and checks
// that the tensors tile the data section exactly. Nothing here knows about the model.

import Foundation

/// A malformed safetensors file: what is wrong, where, and a hint. Never a trap.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public var hint: String

    public init(_ message: String, hint: String = "the file is damaged or was not written by a safetensors writer") {
        self.message = message
        self.hint = hint
    }

    public var description: String { "\(message) (hint: \(hint))" }
}

/// Element types. `F32` holds weights; the integer types hold training state.
public enum SafeTensorsDType: String, Sendable, Hashable, CaseIterable {
    case f32 = "F32", i64 = "I64", u64 = "U64", i32 = "I32", u8 = "U8"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32, .i32: return 4
        case .i64, .u64: return 8
        case .u8: return 1
        }
    }
}

/// One tensor: dtype, row-major shape and its raw little-endian bytes
/// (`bytes.count == shape.product × dtype.size`, checked on construction and on read).
public struct SafeTensor: Sendable, Equatable {
    public let dtype: SafeTensorsDType
    public let shape: [Int]
    public let bytes: [UInt8]

    /// Number of elements (1 for a scalar of shape []).
    public var count: Int { shape.reduce(1, *) }

    public init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension")
        precondition(bytes.count == shape.reduce(1, *) * dtype.size, "byte count does not match shape")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init(floats: [Float], shape: [Int]) {
        self.init(dtype: .f32, shape: shape, bytes: Self.littleEndianBytes(floats.map { $0.bitPattern }))
    }

    public init(uint64s: [UInt64], shape: [Int]) {
        self.init(dtype: .u64, shape: shape, bytes: Self.littleEndianBytes(uint64s))
    }

    public init(int64s: [Int64], shape: [Int]) {
        self.init(dtype: .i64, shape: shape, bytes: Self.littleEndianBytes(int64s.map { UInt64(bitPattern: $0) }))
    }

    /// The elements as floats; nil unless dtype is F32.
    public var floats: [Float]? {
        guard dtype == .f32 else { return nil }
        return Self.decode(bytes, as: UInt32.self).map { Float(bitPattern: $0) }
    }

    /// The elements as UInt64; nil unless dtype is U64.
    public var uint64s: [UInt64]? {
        guard dtype == .u64 else { return nil }
        return Self.decode(bytes, as: UInt64.self)
    }

    /// The elements as Int64; nil unless dtype is I64.
    public var int64s: [Int64]? {
        guard dtype == .i64 else { return nil }
        return Self.decode(bytes, as: UInt64.self).map { Int64(bitPattern: $0) }
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * MemoryLayout<T>.size)
        out.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.littleEndian, toByteOffset: i * MemoryLayout<T>.size, as: T.self)
            }
        }
        return out
    }

    static func decode<T: FixedWidthInteger>(_ bytes: [UInt8], as: T.Type) -> [T] {
        let n = bytes.count / MemoryLayout<T>.size
        return bytes.withUnsafeBytes { raw in
            (0 ..< n).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
    }
}

/// A whole safetensors file: string metadata and named tensors.
public struct SafeTensorsFile: Sendable, Equatable {
    public var metadata: [String: String]
    public var tensors: [String: SafeTensor]

    /// Largest header accepted on read (bytes).
    public static let maxHeaderLength = 100 << 20

    public init(metadata: [String: String] = [:], tensors: [String: SafeTensor] = [:]) {
        self.metadata = metadata
        self.tensors = tensors
    }

    // MARK: Writing

    /// The file's bytes. Deterministic: metadata keys and tensors sorted by name, data laid out
    /// in that order, header padded with spaces to a multiple of 8.
    public func serialized() -> [UInt8] {
        precondition(tensors.keys.allSatisfy { !$0.isEmpty && $0 != "__metadata__" }, "bad tensor name")
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.keys.sorted().map { "\(StrictJSON.quote($0)):\(StrictJSON.quote(metadata[$0]!))" }
                .joined(separator: ",")
            header += "}"
            first = false
        }
        let names = tensors.keys.sorted()
        var offset = 0
        for name in names {
            let t = tensors[name]!
            if !first { header += "," }
            first = false
            let end = offset + t.bytes.count
            header += "\(StrictJSON.quote(name)):{\"dtype\":\"\(t.dtype.rawValue)\","
                + "\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        out += SafeTensor.littleEndianBytes([UInt64(headerBytes.count)])
        out += headerBytes
        for name in names { out += tensors[name]!.bytes }
        return out
    }

    // MARK: Reading

    /// Parses and validates untrusted bytes. Throws `SafeTensorsError` naming the first problem.
    /// Cost: one pass over the header plus one copy of the data.
    public init(parsing bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try SafeTensorsFile(parsing: $0) }
    }

    /// Parses and validates a file's contents, for example a memory-mapped `Data`, copying
    /// only the tensors out of it.
    public init(parsing data: Data) throws {
        self = try data.withUnsafeBytes { try SafeTensorsFile(parsing: $0) }
    }

    /// Parses and validates untrusted bytes in place: the header, each tensor's entry, then that
    /// the tensors tile the data section exactly.
    public init(parsing bytes: UnsafeRawBufferPointer) throws {
        let (entries, dataStart) = try Self.header(bytes)
        let dataLength = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var list: [Entry] = []
        for (name, value) in entries {
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw SafeTensorsError("'__metadata__' is not an object")
                }
                for (k, v) in pairs {
                    guard case .string(let s) = v else {
                        throw SafeTensorsError("'__metadata__' value for key '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            list.append(try Self.entry(name, value, dataLength: dataLength))
        }
        try Self.checkTiling(&list, dataLength: dataLength)
        var tensors: [String: SafeTensor] = [:]
        for e in list {
            tensors[e.name] = SafeTensor(dtype: e.dtype, shape: e.shape,
                                         bytes: Array(bytes[dataStart + e.begin ..< dataStart + e.end]))
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    /// One tensor's place in the data section, as the header describes it.
    private struct Entry { var name: String; var dtype: SafeTensorsDType; var shape: [Int]; var begin: Int; var end: Int }

    /// The header's JSON object (its members in file order) and where the data section starts.
    private static func header(_ bytes: UnsafeRawBufferPointer) throws -> (entries: [(String, StrictJSON.Value)], dataStart: Int) {
        guard bytes.count >= 8 else {
            throw SafeTensorsError("file is \(bytes.count) bytes long, shorter than the 8-byte header length",
                                   hint: "the file is truncated or empty")
        }
        let n64 = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard n64 <= UInt64(Self.maxHeaderLength) else {
            throw SafeTensorsError("header length \(n64) exceeds the limit of \(Self.maxHeaderLength) bytes",
                                   hint: "this is not a safetensors file, or its first 8 bytes are damaged")
        }
        let n = Int(n64)
        guard n <= bytes.count - 8 else {
            throw SafeTensorsError("header length \(n) runs past the end of the file (\(bytes.count - 8) bytes after the length)",
                                   hint: "the file is truncated")
        }
        guard n >= 2 else {
            throw SafeTensorsError("header length \(n) is too short for a JSON object")
        }
        let headerBytes = Array(bytes[8 ..< 8 + n])
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw SafeTensorsError("header is not valid UTF-8")
        }
        let json: StrictJSON.Value
        do {
            json = try StrictJSON.parse(headerBytes)
        } catch let e as StrictJSON.ParseError {
            throw SafeTensorsError("header JSON: \(e.description)")
        }
        guard case .object(let entries) = json else {
            throw SafeTensorsError("header JSON is not an object")
        }
        return (entries, 8 + n)
    }

    /// One tensor's header entry: exactly dtype, shape and data_offsets, consistent with each
    /// other and within the data section.
    private static func entry(_ name: String, _ value: StrictJSON.Value, dataLength: Int) throws -> Entry {
        guard !name.isEmpty else { throw SafeTensorsError("a tensor has an empty name") }
        guard case .object(let fields) = value else {
            throw SafeTensorsError("tensor '\(name)': entry is not an object")
        }
        let keys = Set(fields.map(\.0))
        let required: Set = ["dtype", "shape", "data_offsets"]
        if let missing = required.subtracting(keys).sorted().first {
            throw SafeTensorsError("tensor '\(name)': missing field '\(missing)'")
        }
        if let extra = keys.subtracting(required).sorted().first {
            throw SafeTensorsError("tensor '\(name)': unexpected field '\(extra)'")
        }
        let f = Dictionary(uniqueKeysWithValues: fields)
        guard case .string(let dtypeName) = f["dtype"]! else {
            throw SafeTensorsError("tensor '\(name)': dtype is not a string")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError("tensor '\(name)': unsupported dtype '\(dtypeName)'",
                                   hint: "supported: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let shape = try Self.integerArray(f["shape"]!, what: "tensor '\(name)': shape")
        let offsets = try Self.integerArray(f["data_offsets"]!, what: "tensor '\(name)': data_offsets")
        guard offsets.count == 2 else {
            throw SafeTensorsError("tensor '\(name)': data_offsets has \(offsets.count) elements, expected 2")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw SafeTensorsError("tensor '\(name)': data_offsets [\(begin), \(end)] end before they begin")
        }
        guard end <= dataLength else {
            throw SafeTensorsError("tensor '\(name)': data_offsets [\(begin), \(end)] run past the end of the data (\(dataLength) bytes)",
                                   hint: "the file is truncated or its header is damaged")
        }
        var size = dtype.size
        for d in shape {
            let (p, overflow) = size.multipliedReportingOverflow(by: d)
            guard !overflow else {
                throw SafeTensorsError("tensor '\(name)': shape \(shape) is too large")
            }
            size = p
        }
        guard size == end - begin else {
            throw SafeTensorsError("tensor '\(name)': shape \(shape) of \(dtype.rawValue) needs \(size) bytes but data_offsets [\(begin), \(end)] hold \(end - begin)")
        }
        return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// The tensors must tile the data section: sorted by offset, each begins where the last ended.
    private static func checkTiling(_ list: inout [Entry], dataLength: Int) throws {
        list.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        var previous: Entry?
        for e in list {
            if e.begin < cursor, let p = previous {
                throw SafeTensorsError("tensor '\(e.name)': data_offsets [\(e.begin), \(e.end)] overlap '\(p.name)' [\(p.begin), \(p.end)]")
            }
            if e.begin > cursor {
                let after = previous.map { " after '\($0.name)'" } ?? " at the start of the data"
                throw SafeTensorsError("tensor '\(e.name)': gap of \(e.begin - cursor) unused bytes [\(cursor), \(e.begin))\(after)")
            }
            cursor = e.end
            previous = e
        }
        guard cursor == dataLength else {
            throw SafeTensorsError("\(dataLength - cursor) bytes after the last tensor are not described by the header (data ends at \(cursor) of \(dataLength))")
        }
    }

    private static func integerArray(_ value: StrictJSON.Value, what: String) throws -> [Int] {
        guard case .array(let items) = value else {
            throw SafeTensorsError("\(what) is not an array")
        }
        return try items.enumerated().map { i, item in
            guard let n = item.nonNegativeInt else {
                throw SafeTensorsError("\(what)[\(i)] must be a non-negative integer, found \(item.summary)")
            }
            return n
        }
    }
}

/// A strict JSON parser (RFC 8259) for untrusted headers: rejects duplicate object keys,
/// keeps numbers as their source text so integers can be told from `2.0` and `1e1`, and caps
/// nesting depth so deep input cannot overflow the stack.
public enum StrictJSON {
    public indirect enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        /// The number's source text, already checked against the JSON grammar.
        case number(String)
        case string(String)
        case array([Value])
        /// Members in file order; keys are unique.
        case object([(String, Value)])

        public static func == (a: Value, b: Value) -> Bool {
            switch (a, b) {
            case (.null, .null): return true
            case let (.bool(x), .bool(y)): return x == y
            case let (.number(x), .number(y)): return x == y
            case let (.string(x), .string(y)): return x == y
            case let (.array(x), .array(y)): return x == y
            case let (.object(x), .object(y)):
                return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
            default: return false
            }
        }

        /// The value as an Int if it is written as a plain non-negative integer that fits.
        public var nonNegativeInt: Int? {
            guard case .number(let text) = self, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(text)
        }

        /// A short rendering for error messages.
        var summary: String {
            switch self {
            case .null: return "null"
            case .bool(let b): return String(b)
            case .number(let t): return t
            case .string(let s): return StrictJSON.quote(String(s.prefix(40)))
            case .array: return "an array"
            case .object: return "an object"
            }
        }
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var message: String
        /// Byte offset into the JSON text.
        public var offset: Int
        public var description: String { "\(message) at byte \(offset)" }
    }

    /// Deepest nesting of arrays and objects accepted.
    public static let maxDepth = 64

    public static func parse(_ text: String) throws -> Value {
        try parse(Array(text.utf8))
    }

    /// Parses one JSON value surrounded by optional whitespace. The bytes must be valid UTF-8
    /// (callers check); strings are decoded with all escapes, lone surrogates rejected.
    public static func parse(_ bytes: [UInt8]) throws -> Value {
        var p = Parser(bytes: bytes)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        guard p.i == bytes.count else { throw p.error("unexpected text after the JSON value") }
        return v
    }

    /// `s` as a JSON string literal (control characters, quote and backslash escaped).
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        func error(_ message: String) -> ParseError { ParseError(message: message, offset: i) }

        mutating func skipWhitespace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for b in literal.utf8 {
                guard i < bytes.count, bytes[i] == b else { throw error("invalid literal, expected '\(literal)'") }
                i += 1
            }
        }

        mutating func value(depth: Int) throws -> Value {
            guard i < bytes.count else { throw error("unexpected end of JSON") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                guard depth < StrictJSON.maxDepth else { throw error("nesting deeper than \(StrictJSON.maxDepth)") }
                i += 1
                var members: [(String, Value)] = []
                var seen: Set<String> = []
                skipWhitespace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let keyOffset = i
                    let key = try string()
                    guard seen.insert(key).inserted else {
                        throw ParseError(message: "duplicate key \(StrictJSON.quote(key))", offset: keyOffset)
                    }
                    skipWhitespace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    i += 1
                    skipWhitespace()
                    members.append((key, try value(depth: depth + 1)))
                    skipWhitespace()
                    guard i < bytes.count else { throw error("unterminated object") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                guard depth < StrictJSON.maxDepth else { throw error("nesting deeper than \(StrictJSON.maxDepth)") }
                i += 1
                var items: [Value] = []
                skipWhitespace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    skipWhitespace()
                    items.append(try value(depth: depth + 1))
                    skipWhitespace()
                    guard i < bytes.count else { throw error("unterminated array") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0") ... UInt8(ascii: "9"):
                return .number(try number())
            default:
                throw error("unexpected character")
            }
        }

        func isDigit(_ j: Int) -> Bool { j < bytes.count && bytes[j] >= 0x30 && bytes[j] <= 0x39 }

        mutating func number() throws -> String {
            let start = i
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw error("invalid number") }
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
                if isDigit(i) { throw error("invalid number: leading zero") }
            } else {
                while isDigit(i) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard isDigit(i) else { throw error("invalid number: no digits after '.'") }
                while isDigit(i) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard isDigit(i) else { throw error("invalid number: no digits in exponent") }
                while isDigit(i) { i += 1 }
            }
            return String(decoding: bytes[start ..< i], as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0 ..< 4 {
                let b = bytes[i]
                let d: UInt32
                switch b {
                case 0x30 ... 0x39: d = UInt32(b - 0x30)
                case 0x41 ... 0x46: d = UInt32(b - 0x41 + 10)
                case 0x61 ... 0x66: d = UInt32(b - 0x61 + 10)
                default: throw error("invalid hex digit in \\u escape")
                }
                v = v * 16 + d
                i += 1
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1 // opening quote
            var out: [UInt8] = []
            while true {
                guard i < bytes.count else { throw error("unterminated string") }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { i += 1; break }
                if b < 0x20 { throw error("control character in string") }
                if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
                i += 1
                guard i < bytes.count else { throw error("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800 ..< 0xDC00).contains(code) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00 ..< 0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00 ..< 0xE000).contains(code) {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    out += Array(String(Unicode.Scalar(code)!).utf8)
                default:
                    throw error("invalid escape")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
            return s
        }
    }
}
