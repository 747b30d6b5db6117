// EvaluationHTML: `evaluate --report DIR` writes DIR/index.html: the side-by-side table and inline
// SVG plots (the histograms of TUNES and the reference side by side, bars per part, the novelty
// chart). One self-contained file: no scripts, fonts or links, so it opens with no network.
// Layout first (bar rectangles as plain values), then SVG text from them.
import FileOutput
import Foundation

public enum EvaluationHTML {
    /// One bar of a grouped bar chart, in SVG user units.
    struct BarBox: Equatable {
        var x: Double, y: Double, width: Double, height: Double
        /// 0: TUNES, 1: reference.
        var series: Int
        var value: Double
    }

    static let width = 640.0, height = 260.0, left = 44.0, bottom = 52.0, top = 40.0

    /// Grouped bars: for each bin, TUNES then reference, heights scaled to the largest value.
    static func layout(series: [[Double]]) -> (boxes: [BarBox], maximum: Double, slot: Double) {
        let bins = series.map(\.count).max() ?? 0
        let maximum = max(series.flatMap { $0 }.max() ?? 0, 1e-9)
        let slot = (width - left - 10) / Double(max(bins, 1))
        let barWidth = slot * 0.8 / Double(max(series.count, 1))
        var boxes: [BarBox] = []
        for (s, values) in series.enumerated() {
            for (b, v) in values.enumerated() {
                let h = (height - bottom - top) * v / maximum
                boxes.append(BarBox(x: left + Double(b) * slot + slot * 0.1 + Double(s) * barWidth, y: height - bottom - h,
                                    width: barWidth, height: h, series: s, value: v))
            }
        }
        return (boxes, maximum, slot)
    }

    static let colors = ["#d0563b", "#3b6fd0"]


    /// A grouped bar chart as an `<svg>` element.
    /// `edges`: bin labels at the bins' left edges (bins that are ranges), not their centres.
    static func chart(title: String, bins: [String], series: [[Double]], names: [String], percent: Bool = true,
                      marker: (bin: Double, label: String)? = nil, edges: Bool = false) -> String {
        let (boxes, maximum, slot) = layout(series: series)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
        svg += "<text x=\"\(left)\" y=\"16\" font-size=\"13\" font-weight=\"bold\">\(HTMLText.escape(title))</text>\n"
        for (k, name) in names.enumerated() {
            let x = width - 200 + Double(k) * 100
            svg += "<rect x=\"\(x)\" y=\"22\" width=\"10\" height=\"10\" fill=\"\(colors[k % 2])\"/><text x=\"\(x + 14)\" y=\"31\" font-size=\"11\">\(HTMLText.escape(name))</text>\n"
        }
        let axisY = height - bottom
        svg += "<line x1=\"\(left)\" y1=\"\(axisY)\" x2=\"\(width - 10)\" y2=\"\(axisY)\" stroke=\"#333\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(axisY)\" stroke=\"#333\"/>\n"
        for tick in 0...4 {
            let v = maximum * Double(tick) / 4, y = axisY - (axisY - top) * Double(tick) / 4
            let label = percent ? String(format: "%.0f%%", v * 100) : String(format: "%.0f", v)
            svg += "<text x=\"\(left - 4)\" y=\"\(y + 4)\" font-size=\"10\" text-anchor=\"end\">\(label)</text>\n"
            if tick > 0 { svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(width - 10)\" y2=\"\(y)\" stroke=\"#ddd\"/>\n" }
        }
        for box in boxes {
            svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@</title></rect>\n",
                          box.x, box.y, box.width, box.height, colors[box.series % 2],
                          HTMLText.escape("\(names[box.series]): \(percent ? String(format: "%.1f%%", box.value * 100) : String(format: "%.0f", box.value))"))
        }
        // Long labels (keys) are turned so they do not run into each other.
        let turned = bins.contains { $0.count > 5 }
        let every = turned ? 1 : max(1, Int((Double(bins.count) * 34 / (width - left)).rounded(.up)))
        for (b, bin) in bins.enumerated() where b % every == 0 {
            let x = left + (Double(b) + (edges ? 0 : 0.5)) * slot
            if turned {
                svg += "<text x=\"\(x)\" y=\"\(axisY + 12)\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-30 \(x) \(axisY + 12))\">\(HTMLText.escape(bin))</text>\n"
            } else {
                svg += "<text x=\"\(x)\" y=\"\(axisY + 14)\" font-size=\"10\" text-anchor=\"middle\">\(HTMLText.escape(bin))</text>\n"
            }
        }
        if let marker {
            let x = left + marker.bin * slot
            svg += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(axisY)\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>"
                + "<text x=\"\(x + 3)\" y=\"\(top + 10)\" font-size=\"10\">\(HTMLText.escape(marker.label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// The page's HTML.
    public static func page(_ r: EvaluationReport) -> String {
        let names = ["TUNES", "reference"]
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>tunegen evaluate</title>
            <style>body{font-family:sans-serif;margin:24px;max-width:1340px}table{border-collapse:collapse}
            td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}
            .plots{display:flex;flex-wrap:wrap;gap:16px}.plots svg{border:1px solid #ccc}</style></head><body>
            <h1>tunegen evaluate</h1>
            <p>TUNES: \(HTMLText.escape(r.settings.tunes.joined(separator: " "))) — reference: \(HTMLText.escape(r.settings.reference.joined(separator: " "))) — training: \(HTMLText.escape((r.settings.training ?? r.settings.reference).joined(separator: " ")))</p>
            <table><tr><th>measure</th><th>TUNES</th><th>reference</th></tr>

            """
        for row in r.rows { html += "<tr><td>\(HTMLText.escape(row.0))</td><td>\(HTMLText.escape(row.1))</td><td>\(HTMLText.escape(row.2))</td></tr>\n" }
        html += "</table>\n<h2>Distributions (share of each set)</h2>\n<div class=\"plots\">\n"
        let c = r.comparison
        func add(_ title: String, _ h: HistogramComparison, limit: Int? = nil) {
            let n = limit.map { min($0, h.bins.count) } ?? h.bins.count
            html += chart(title: "\(title) — overlap \(String(format: "%.3f", h.overlap)), KL \(String(format: "%.3f", h.klDivergence))",
                          bins: Array(h.bins.prefix(n)), series: [Array(h.tunes.prefix(n)), Array(h.reference.prefix(n))], names: names)
        }
        add("Pitch class (tonic = 1)", c.pitchClasses)
        add("Interval (semitones)", c.intervals)
        add("Note length (whole notes)", c.noteLengths)
        // Bars per part: the lengths that hold at least 1% of either set's parts, and "fractional" always.
        let parts = c.barsPerPart
        let shown = parts.bins.indices.filter { parts.bins[$0] == "fractional" || max(parts.tunes[$0], parts.reference[$0]) >= 0.01 }
        var common = parts
        common.bins = shown.map { parts.bins[$0] }
        common.tunes = shown.map { parts.tunes[$0] }
        common.reference = shown.map { parts.reference[$0] }
        add("Bars per part (lengths of 1% or more)", common)
        add("Key (12 most common in the reference)", c.keys, limit: 12)
        add("Meter", c.meters, limit: 10)
        html += "</div>\n<h2>Novelty against \(r.novelty.trainingTunes) training tunes</h2>\n<div class=\"plots\">\n"
        // Similarity to the nearest training tune, in bins of 0.05.
        var similarity = [Double](repeating: 0, count: 20)
        for t in r.novelty.perTune { similarity[min(Int(t.similarity * 20), 19)] += 1 }
        html += chart(title: "Tunes by similarity to the nearest training tune", bins: (0..<20).map { String(format: "%.2f", Double($0) / 20) },
                      series: [similarity], names: ["TUNES"], percent: false,
                      marker: (r.novelty.copyThreshold * 20, "copy threshold \(String(format: "%.2f", r.novelty.copyThreshold))"), edges: true)
        var runs = [Double](repeating: 0, count: 11)
        for t in r.novelty.perTune { runs[min(t.longestSharedNotes / 4, 10)] += 1 }
        html += chart(title: "Tunes by longest run of notes shared with training", bins: (0..<11).map { $0 == 10 ? "40+" : "\($0 * 4)" },
                      series: [runs], names: ["TUNES"], percent: false, edges: true)
        html += "</div>\n<p>Full bars found verbatim in training: \(EvaluationReport.percent(r.novelty.barsInTraining)); "
            + "mean similarity \(String(format: "%.3f", r.novelty.meanSimilarity)); likely copies: \(r.novelty.likelyCopies.count).</p>\n"
        if !r.novelty.likelyCopies.isEmpty {
            html += "<table><tr><th>tune</th><th>likely copy of</th><th>similarity</th><th>notes in a row</th></tr>\n"
            for copy in r.novelty.likelyCopies.prefix(200) {
                html += "<tr><td>\(HTMLText.escape(copy.tune.description)) \(HTMLText.escape(copy.tune.title ?? ""))</td>"
                    + "<td>\(HTMLText.escape(copy.trainingTune.description)) \(HTMLText.escape(copy.trainingTune.title ?? ""))</td>"
                    + "<td>\(String(format: "%.3f", copy.similarity))</td><td>\(copy.longestSharedNotes)</td></tr>\n"
            }
            html += "</table>\n"
        }
        if !r.mgeval.isEmpty {
            html += "<h2>MGEval (Yang &amp; Lerch 2020)</h2>\n<table><tr><th>feature</th><th>OA(TUNES, inter)</th><th>OA(reference, inter)</th><th>KL(TUNES‖inter)</th><th>KL(reference‖inter)</th></tr>\n"
            for m in r.mgeval {
                html += String(format: "<tr><td>%@</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>\n",
                               HTMLText.escape(m.feature), m.overlapTunes, m.overlapReference, m.klTunes, m.klReference)
            }
            html += "</table>\n"
        }
        if !r.unreadable.isEmpty {
            html += "<h2>Unreadable files (skipped)</h2><ul>" + r.unreadable.map { "<li>\(HTMLText.escape($0))</li>" }.joined() + "</ul>\n"
        }
        return html + "<p>Definitions: <code>tunegen help evaluate</code>.</p>\n</body></html>\n"
    }

    /// Writes `folder`/index.html (the folder is created if missing) through a temporary file
    /// renamed into place. Returns the page's path.
    public static func write(_ report: EvaluationReport, to folder: String) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw TunegenError("--report \(folder): exists and is not a folder (hint: give a folder name)")
        }
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TunegenError("cannot create folder '\(folder)': \(error.localizedDescription)")
        }
        let path = (folder as NSString).appendingPathComponent("index.html")
        do { try OutputFile.write(page(report), to: URL(fileURLWithPath: path)) } catch {
            throw TunegenError("cannot write '\(path)': \(error)")
        }
        return path
    }
}
