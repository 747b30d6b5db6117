// Diagnostic: one problem found in ABC text, located by file, line and column.
// Lines and columns are 1-based; columns count Unicode scalars (characters as a reader sees
// them in most editors), not bytes, so `é` is one column. A tab is one column too.
// `description` is compiler form: `file:line:col: error: message (hint: ...)` on one line.

/// How bad a problem is. Errors make a tune fail validity tier 1; warnings do not.
public enum Severity: String, Sendable, Hashable, Codable {
    case error, warning
}

/// What a diagnostic is about; validity tiers are decided by category.
public enum DiagnosticCategory: String, Sendable, Hashable, Codable {
    /// Bytes or characters that are not ABC (invalid UTF-8, stray characters, bad numbers).
    case syntax
    /// Header fields: missing, malformed or out of order.
    case header
    /// A bar whose length disagrees with the meter (tier 3).
    case barLength
    /// Unbalanced repeats or endings (tier 4).
    case repeats
    /// Problems met while building timed events (pitch out of range, expansion cap).
    case score
}

/// A problem in ABC text, with where it is and, when there is one, how to fix it.
public struct Diagnostic: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Error or warning.
    public var severity: Severity
    /// What the problem is about (decides which validity tier it affects).
    public var category: DiagnosticCategory
    /// The file name given to the parser ("-" or "<stdin>" for standard input).
    public var fileName: String
    /// 1-based line in the file.
    public var line: Int
    /// 1-based column, counted in Unicode scalars (not bytes).
    public var column: Int
    /// What is wrong, in a sentence without a final period.
    public var message: String
    /// A suggestion for fixing the problem, if any.
    public var hint: String?

    public init(severity: Severity, category: DiagnosticCategory, fileName: String, line: Int, column: Int,
                message: String, hint: String? = nil) {
        self.severity = severity
        self.category = category
        self.fileName = fileName
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint
    }

    /// `file:line:col: severity: message`, with ` (hint: ...)` appended on the same line, so
    /// each problem is one line that editors and grep understand.
    public var description: String {
        var text = "\(fileName):\(line):\(column): \(severity.rawValue): \(message)"
        if let hint { text += " (hint: \(hint))" }
        return text
    }
}
