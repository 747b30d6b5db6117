// TuneTemplate: how `generate` conditions the model on a key, mode, meter or title. The header
// is a template of forced text and free lines; while sampling, forced characters get all the
// probability mass, and free lines are the model's own until their newline. The body is free.
import Foundation

public struct TuneTemplate: Sendable {
    public enum Segment: Equatable, Sendable {
        /// Text written for the model, character by character.
        case forced(String)
        /// One line the model writes, up to and including its newline.
        case freeLine
    }

    /// What is fed before sampling starts (the first forced text).
    public var prime: String
    /// What follows, in order; after the last segment the model writes freely.
    public var segments: [Segment]

    /// The corpus's header order is X, T, Z, M, L, K; the template keeps it, so the model sees
    /// what it was trained on. Nil fields are the model's to write.
    public static func header(title: String?, meter: String?, key: String?) -> TuneTemplate {
        var segments: [Segment] = []
        if let title { segments.append(.forced(title + "\n")) } else { segments.append(.freeLine) }
        segments.append(.forced("Z:"))
        segments.append(.freeLine)
        if let meter { segments.append(.forced("M:\(meter)\n")) } else { segments += [.forced("M:"), .freeLine] }
        segments.append(.forced("L:1/8\n"))
        if let key { segments.append(.forced("K:\(key)\n")) } else { segments += [.forced("K:"), .freeLine] }
        return TuneTemplate(prime: "X:1\nT:", segments: segments)
    }

    /// A raw start: the model writes everything after `prime`.
    public static func raw(_ prime: String) -> TuneTemplate { TuneTemplate(prime: prime, segments: []) }

    /// Every character the template may force (for checking them against the vocabulary).
    public var forcedText: String {
        prime + segments.map { if case let .forced(s) = $0 { s } else { "" } }.joined()
    }

    /// Follows one stream through the template, one generated character at a time.
    public struct Cursor: Sendable {
        public init() {}
        public var segment = 0
        public var offset = 0

        /// The character the template forces next, or nil when the model chooses.
        public func forced(in template: TuneTemplate) -> Character? {
            guard segment < template.segments.count, case let .forced(text) = template.segments[segment] else { return nil }
            return text[text.index(text.startIndex, offsetBy: offset)]
        }

        /// Advances past `character`, which was just generated.
        public mutating func advance(past character: Character, in template: TuneTemplate) {
            guard segment < template.segments.count else { return }
            switch template.segments[segment] {
            case let .forced(text):
                offset += 1
                if offset == text.count { segment += 1; offset = 0 }
            case .freeLine:
                if character == "\n" { segment += 1; offset = 0 }
            }
        }
    }
}
