// Tunebook: DIR/index.html beside rendered tunes: for each tune its title, key and meter, its
// sheet music (the .svg, linked as an image), an audio player for its sound, and its ABC text.
// Self-contained HTML with relative links: it works from the local disk with no network.
import ABCNotation
import FileOutput
import Foundation
import Synth

/// One tune of a tunebook page.
public struct TunebookEntry: Sendable, Equatable {
    public var title: String
    public var key: String
    public var meter: String
    /// The ABC text shown under the music.
    public var abc: String
    /// File names relative to the page's folder.
    public var sheet: String?
    public var audio: String?
    public var midi: String?

    public init(title: String, key: String, meter: String, abc: String, sheet: String? = nil, audio: String? = nil, midi: String? = nil) {
        (self.title, self.key, self.meter, self.abc, self.sheet, self.audio, self.midi) = (title, key, meter, abc, sheet, audio, midi)
    }

    /// An entry for `tune` whose rendered files (names relative to the page) are `files`.
    public init(tune: Tune, abc: String? = nil, files: [String]) {
        self.init(title: tune.title ?? "Untitled", key: Tunebook.describe(tune.key), meter: Tunebook.describe(tune.meter),
                  abc: abc ?? tune.sourceText)
        for f in files {
            switch (f as NSString).pathExtension.lowercased() {
            case "svg": sheet = f
            case "wav", "flac", "ogg": audio = f
            case "mid", "midi": midi = f
            default: break
            }
        }
    }
}

public enum Tunebook {
    /// "D major", "A dorian", "none".
    public static func describe(_ key: KeySignature) -> String {
        guard let tonic = key.tonic else { return "none" }
        if key.isHighlandPipes { return "Highland pipes" }
        return "\(tonic) \(key.mode.rawValue)"
    }

    /// "6/8", "C (4/4)", "C| (2/2)", "free".
    public static func describe(_ meter: Meter) -> String {
        switch meter {
        case .free: return "free"
        case .common: return "C (4/4)"
        case .cut: return "C| (2/2)"
        case let .fraction(n, d): return n.map(String.init).joined(separator: "+") + "/\(d)"
        }
    }


    /// A file name as a relative URL path (spaces and other characters percent-encoded).
    static func link(_ name: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#")
        return HTMLText.escape(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name)
    }

    /// The page's HTML.
    public static func html(title: String, entries: [TunebookEntry]) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTMLText.escape(title))</title>
            <style>
            body { font-family: Georgia, 'Times New Roman', serif; max-width: 900px; margin: 2em auto; padding: 0 1em; color: #222; }
            nav ol { columns: 2; }
            section { border-top: 1px solid #ccc; padding: 1em 0; }
            h2 { margin: 0 0 .2em 0; }
            .meta { color: #555; margin: 0 0 .6em 0; }
            img.sheet { width: 100%; height: auto; display: block; }
            audio { width: 100%; margin: .5em 0; }
            pre { background: #f6f6f2; padding: .6em; overflow-x: auto; font-size: 90%; }
            </style>
            </head>
            <body>
            <h1>\(HTMLText.escape(title))</h1>
            <p>\(entries.count) tune\(entries.count == 1 ? "" : "s"), written by tunegen.</p>
            <nav><ol>

            """
        for (n, e) in entries.enumerated() {
            out += "<li><a href=\"#tune-\(n + 1)\">\(HTMLText.escape(e.title))</a></li>\n"
        }
        out += "</ol></nav>\n"
        for (n, e) in entries.enumerated() {
            out += "<section id=\"tune-\(n + 1)\">\n<h2>\(n + 1). \(HTMLText.escape(e.title))</h2>\n"
            out += "<p class=\"meta\">Key: \(HTMLText.escape(e.key)) · Meter: \(HTMLText.escape(e.meter))"
            if let midi = e.midi { out += " · <a href=\"\(link(midi))\">MIDI</a>" }
            out += "</p>\n"
            if let sheet = e.sheet {
                out += "<a href=\"\(link(sheet))\"><img class=\"sheet\" src=\"\(link(sheet))\" alt=\"Sheet music of \(HTMLText.escape(e.title))\"></a>\n"
            }
            if let audio = e.audio {
                out += "<audio controls preload=\"none\" src=\"\(link(audio))\"><a href=\"\(link(audio))\">\(HTMLText.escape(audio))</a></audio>\n"
            }
            out += "<details open><summary>ABC</summary><pre>\(HTMLText.escape(e.abc))</pre></details>\n</section>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    /// Writes FOLDER/index.html atomically and returns its URL.
    @discardableResult
    public static func write(title: String, entries: [TunebookEntry], into folder: URL) throws -> URL {
        let url = folder.appendingPathComponent("index.html")
        do { try OutputFile.write(Data(html(title: title, entries: entries).utf8), to: url) } catch {
            throw TunegenError("\(error)")
        }
        return url
    }
}
