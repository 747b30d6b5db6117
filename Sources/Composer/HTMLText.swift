// HTMLText: text made safe inside HTML elements and attribute values, for the pages Composer
// writes (the tunebook and the evaluation report). Newlines and tabs are kept (ABC text sits in
// <pre>). The engraver's SVG has its own XML escaping, which also drops control characters.
enum HTMLText {
    /// `s` with `&`, `<`, `>` and `"` replaced by their character references.
    static func escape(_ s: String) -> String {
        var r = ""
        for c in s {
            switch c {
            case "&": r += "&amp;"
            case "<": r += "&lt;"
            case ">": r += "&gt;"
            case "\"": r += "&quot;"
            default: r.append(c)
            }
        }
        return r
    }
}
