// SourceText: bytes → Unicode scalars → lines. Decoding is lenient and done here rather than
// by String(decoding:) so that every invalid UTF-8 sequence becomes a located diagnostic
// (and U+FFFD) instead of vanishing; LF, CRLF and lone CR all end a line.

struct SourceText {
    /// All scalars of the file, line ends removed.
    var scalars: [Unicode.Scalar] = []
    /// Each line's range in `scalars`; line i (0-based) is file line i + 1.
    var lines: [Range<Int>] = []
    /// Invalid UTF-8 found, as 0-based (line, column).
    var invalidUTF8: [(line: Int, column: Int)] = []

    init(bytes: [UInt8]) {
        scalars.reserveCapacity(bytes.count)
        var lineStart = 0
        var i = 0
        let n = bytes.count
        func bad() {
            invalidUTF8.append((lines.count, scalars.count - lineStart))
            scalars.append("\u{FFFD}")
        }
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x0A || b == 0x0D {
                    lines.append(lineStart..<scalars.count)
                    lineStart = scalars.count
                    i += (b == 0x0D && i + 1 < n && bytes[i + 1] == 0x0A) ? 2 : 1
                    continue
                }
                scalars.append(Unicode.Scalar(b))
                i += 1
                continue
            }
            // Multi-byte sequence: length from the lead byte, then continuation bytes checked.
            let count: Int
            var value: UInt32
            switch b {
            case 0xC2...0xDF: count = 2; value = UInt32(b & 0x1F)
            case 0xE0...0xEF: count = 3; value = UInt32(b & 0x0F)
            case 0xF0...0xF4: count = 4; value = UInt32(b & 0x07)
            default: bad(); i += 1; continue
            }
            // `valid` counts the bytes of the longest valid start, so one broken sequence is one U+FFFD.
            var ok = true
            var valid = 1
            for k in 1..<count {
                guard i + k < n, bytes[i + k] & 0xC0 == 0x80 else { ok = false; break }
                value = value << 6 | UInt32(bytes[i + k] & 0x3F)
                valid += 1
            }
            // Overlong three/four-byte forms, surrogates and values past U+10FFFF are invalid.
            if ok, (count == 3 && value < 0x800) || (count == 4 && (value < 0x10000 || value > 0x10FFFF)) { ok = false }
            if ok, let scalar = Unicode.Scalar(value) {
                scalars.append(scalar)
                i += count
            } else {
                bad()
                i += ok ? count : valid
            }
        }
        if lineStart < scalars.count || lines.isEmpty { lines.append(lineStart..<scalars.count) }
    }

    /// The text of lines `range`, joined with "\n".
    func text(lines range: Range<Int>) -> String {
        // Encoded by hand into one byte buffer: appending scalars to a String one by one is slow.
        var bytes: [UInt8] = []
        if let first = range.first { bytes.reserveCapacity(lines[range.upperBound - 1].upperBound - lines[first].lowerBound + 16) }
        for l in range {
            if l > range.lowerBound { bytes.append(0x0A) }
            for scalar in scalars[lines[l]] {
                let v = scalar.value
                if v < 0x80 {
                    bytes.append(UInt8(v))
                } else {
                    bytes.append(contentsOf: UTF8.encode(scalar)!)
                }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func isBlank(_ line: Int) -> Bool {
        scalars[lines[line]].allSatisfy { $0 == " " || $0 == "\t" }
    }

    func startsWithX(_ line: Int) -> Bool {
        let r = lines[line]
        return r.count >= 2 && scalars[r.lowerBound] == "X" && scalars[r.lowerBound + 1] == ":"
    }
}

extension String {
    /// A string from decoded scalars, encoded by hand (String.UnicodeScalarView.append is slow).
    init(scalars: ArraySlice<Unicode.Scalar>) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(scalars.count)
        for scalar in scalars {
            if scalar.value < 0x80 { bytes.append(UInt8(scalar.value)) } else { bytes.append(contentsOf: UTF8.encode(scalar)!) }
        }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
