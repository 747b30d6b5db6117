// JSONOutput: how tunegen writes JSON. `--json` documents are pretty-printed with sorted keys;
// log lines and checkpoint metadata are compact with sorted keys, so equal values give equal bytes.
import Foundation

public enum JSONOutput {
    /// Writes `value` to standard output as one pretty-printed JSON document and a newline.
    public static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        try Output.stdout(String(decoding: data, as: UTF8.self))
    }

    /// `value` as one line of compact JSON (no newline).
    public static func compact<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try compactEncoder.encode(value), as: UTF8.self)
    }

    private static let compactEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
