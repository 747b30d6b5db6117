// Sheet music from the command line: `render -o x.svg`, `render --all --format svg,wav` with its
// tunebook page, an unknown extension's message, and the page loaded in headless Chromium
// (skipped, saying why, when Chromium is not installed).
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

final class SheetMusicCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tunegen-svg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    let twoTunes = "X:1\nT:The First\nM:6/8\nL:1/8\nK:G\nGAB c2d|e3 d3|]\n\nX:2\nT:Second & <Last>\nM:C|\nL:1/8\nK:Ador\n|:ABcd efga|[1 a4 g4:|[2 a8|]\n"

    private func write(_ abc: String) throws -> URL {
        let url = dir.appendingPathComponent("tunes.abc")
        try abc.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func isXML(_ url: URL) throws -> Bool { XMLParser(data: try Data(contentsOf: url)).parse() }

    func testRenderWritesAnSVGThatParses() throws {
        let abc = try write(twoTunes)
        let svg = dir.appendingPathComponent("second.svg")
        let r = try TunegenProcess.run(["render", abc.path, "--tune", "2", "-o", svg.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("sheet music"), r.stdout)
        XCTAssertTrue(try isXML(svg))
        let text = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(text.contains("Second &amp; &lt;Last&gt;"))
        // No temporary file is left beside it.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["second.svg", "tunes.abc"])
    }

    func testATuneWithErrorsEngravesWhatCanBeReadAndSaysWhatItSkipped() throws {
        let abc = try write("X:1\nT:Broken\nM:6/8\nL:1/8\nK:D\nABc def|g#a bag|A5 B & c|\n")
        let svg = dir.appendingPathComponent("broken.svg")
        let r = try TunegenProcess.run(["render", abc.path, "-o", svg.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(try isXML(svg))
        XCTAssertTrue(r.stderr.contains("tunes.abc:6:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("[sheet music]"), r.stderr)
        XCTAssertTrue(r.stdout.contains("skipped"), r.stdout)
    }

    func testUnknownExtensionListsTheWorkingOnes() throws {
        let abc = try write(twoTunes)
        let r = try TunegenProcess.run(["render", abc.path, "-o", dir.appendingPathComponent("x.pdf").path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown output extension '.pdf'"), r.stderr)
        for ext in [".wav", ".flac", ".ogg", ".mid", ".svg"] { XCTAssertTrue(r.stderr.contains(ext), r.stderr) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.pdf").path))
        let bad = try TunegenProcess.run(["render", abc.path, "--all", "--format", "svg,pdf", "-o", dir.path])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("svg"), bad.stderr)
    }

    /// The files a tunebook page links to (img src, audio src, a href), relative to its folder.
    static func references(in html: String) -> [String] {
        var found: [String] = []
        for attr in ["src=\"", "href=\""] {
            var rest = html[...]
            while let r = rest.range(of: attr) {
                let after = rest[r.upperBound...]
                guard let end = after.firstIndex(of: "\"") else { break }
                let value = String(after[..<end])
                if !value.hasPrefix("#") { found.append(value.removingPercentEncoding ?? value) }
                rest = after[end...]
            }
        }
        return found
    }

    func testRenderAllWritesATunebookPageWhoseFilesExist() throws {
        let abc = try write(twoTunes)
        let book = dir.appendingPathComponent("book")
        let r = try TunegenProcess.run(["render", abc.path, "--all", "--format", "svg,wav", "--rate", "8000", "-o", book.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: book.path).sorted()
        XCTAssertEqual(files, ["001-the-first.svg", "001-the-first.wav", "002-second-last.svg", "002-second-last.wav", "index.html"])
        let html = try String(contentsOf: book.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("Key: G major · Meter: 6/8"))
        XCTAssertTrue(html.contains("Key: A dorian · Meter: C| (2/2)"))
        XCTAssertTrue(html.contains("<audio controls"))
        XCTAssertTrue(html.contains("K:Ador"), "the ABC text is on the page")
        XCTAssertFalse(html.contains("http://") || html.contains("https://"), "the page needs no network")
        let refs = Self.references(in: html)
        XCTAssertEqual(Set(refs), Set(files.filter { $0 != "index.html" }))
        for ref in refs { XCTAssertTrue(FileManager.default.fileExists(atPath: book.appendingPathComponent(ref).path), ref) }
        for svg in files where svg.hasSuffix(".svg") { XCTAssertTrue(try isXML(book.appendingPathComponent(svg)), svg) }
    }

    func testGenerateSVGWritesSheetMusicAndATunebookPage() throws {
        let out = dir.appendingPathComponent("gen")
        let r = try TunegenProcess.run(["generate", "--count", "2", "--seed", "7", "--key", "D", "--meter", "6/8",
                                        "--out", out.path, "--svg", "--wav", "--rate", "8000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        XCTAssertEqual(files, ["index.html", "tune-7-01.abc", "tune-7-01.svg", "tune-7-01.wav", "tune-7-02.abc", "tune-7-02.svg", "tune-7-02.wav"])
        for svg in files where svg.hasSuffix(".svg") { XCTAssertTrue(try isXML(out.appendingPathComponent(svg)), svg) }
        let html = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        XCTAssertEqual(Set(Self.references(in: html)), ["tune-7-01.svg", "tune-7-01.wav", "tune-7-02.svg", "tune-7-02.wav"])
        XCTAssertTrue(html.contains("Key: D major · Meter: 6/8"))
        XCTAssertTrue(html.contains("Z:tunegen, seed 7"), "the generated ABC text is on the page")
        // Without --svg or --wav there is no page.
        let plain = dir.appendingPathComponent("plain")
        let p = try TunegenProcess.run(["generate", "--count", "1", "--seed", "7", "--out", plain.path, "--midi"])
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: plain.appendingPathComponent("index.html").path))
    }

    /// Loads the tunebook page in headless Chromium and asks, from the page itself, that every
    /// image decoded and has a size; skipped when Chromium is not installed.
    func testTunebookPageRendersInHeadlessChromium() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("headless Chromium is not installed (apt-get install chromium); Scripts/engrave-compare.sh installs it")
        }
        let abc = try write(twoTunes)
        let book = dir.appendingPathComponent("book")
        let r = try TunegenProcess.run(["render", abc.path, "--all", "--format", "svg", "-o", book.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        // A copy of the page with a script that writes, once loaded, how many images decoded.
        var html = try String(contentsOf: book.appendingPathComponent("index.html"), encoding: .utf8)
        html = html.replacingOccurrences(of: "</body>", with: """
            <script>window.addEventListener('load', () => { const imgs = [...document.images]; \
            document.title = 'loaded ' + imgs.filter(i => i.complete && i.naturalWidth > 0).length + ' of ' + imgs.length; });</script></body>
            """)
        let probe = book.appendingPathComponent("probe.html")
        try html.write(to: probe, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                             "--virtual-time-budget=5000", "--dump-dom", probe.absoluteString]
        let out = dir.appendingPathComponent("dom.html")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate(); XCTFail("chromium did not finish in 90 s"); return }
        try handle.close()
        let dom = try String(contentsOf: out, encoding: .utf8)
        XCTAssertTrue(dom.contains("<title>loaded 2 of 2</title>"), String(dom.prefix(500)))
    }
}
