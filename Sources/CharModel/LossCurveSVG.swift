// LossCurveSVG: a self-contained SVG chart of training and validation loss against step, for
// the training report. Pure Swift; skips non-finite values and downsamples long series
// (keeping each bucket's minimum and maximum so spikes stay visible).

import Foundation

public enum LossCurveSVG {
    /// Longest polyline drawn per series; longer series are downsampled.
    public static let maxPointsPerSeries = 2000

    /// An SVG document (800×480 px) with axes, ticks, labels, a legend, and one polyline per
    /// series: training in blue, validation in orange with point markers. Empty series are
    /// omitted from the plot but listed in the legend; NaN and infinities are skipped.
    public static func render(training: [(step: Int, value: Double)], validation: [(step: Int, value: Double)],
                              title: String, yLabel: String) -> String {
        // Clamping keeps every range difference below in Double's finite range.
        func clean(_ s: [(step: Int, value: Double)]) -> [(step: Int, value: Double)] {
            downsample(s.filter { $0.value.isFinite }.map { (step: $0.step, value: min(max($0.value, -1e300), 1e300)) })
        }
        let train = clean(training), valid = clean(validation)
        let all = train + valid

        let (width, height) = (800.0, 480.0)
        let (left, right, top, bottom) = (80.0, 24.0, 44.0, 56.0)
        let plotW = width - left - right, plotH = height - top - bottom

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
        <text x="\(f(width / 2))" y="24" text-anchor="middle" font-size="16">\(escape(title))</text>

        """

        let (x0, x1, y0, y1) = ranges(all)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotH }

        // Grid, ticks and labels.
        svg += "<g stroke=\"#ddd\" stroke-width=\"1\">\n"
        let xt = ticks(x0, x1), yt = ticks(y0, y1)
        for t in xt.values { svg += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotH))\"/>\n" }
        for t in yt.values { svg += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(t)))\"/>\n" }
        svg += "</g>\n<g fill=\"#333\">\n"
        for t in xt.values {
            svg += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(label(t, step: xt.step))</text>\n"
        }
        for t in yt.values {
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(label(t, step: yt.step))</text>\n"
        }
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">step</text>\n"
        svg += "<text x=\"18\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" "
            + "transform=\"rotate(-90 18 \(f(top + plotH / 2)))\">\(escape(yLabel))</text>\n</g>\n"
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        if all.isEmpty {
            svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(top + plotH / 2))\" text-anchor=\"middle\" fill=\"#999\">no data</text>\n"
        }

        // Series.
        func series(_ points: [(step: Int, value: Double)], color: String, id: String, markers: Bool) {
            guard !points.isEmpty else { return }
            let coords = points.map { "\(f(px(Double($0.step)))),\(f(py($0.value)))" }.joined(separator: " ")
            svg += "<polyline id=\"\(id)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(coords)\"/>\n"
            if markers || points.count == 1 {
                svg += "<g fill=\"\(color)\">\n"
                for p in points.prefix(200) {
                    svg += "<circle cx=\"\(f(px(Double(p.step))))\" cy=\"\(f(py(p.value)))\" r=\"3\"/>\n"
                }
                svg += "</g>\n"
            }
        }
        series(train, color: "#1f77b4", id: "training", markers: false)
        series(valid, color: "#ff7f0e", id: "validation", markers: valid.count <= 200)

        svg += legend(x: left + plotW - 150, y: top + 10)
        return svg
    }

    /// The plotted ranges: the data's, with a little headroom; a single value gets a unit-wide window.
    static func ranges(_ all: [(step: Int, value: Double)]) -> (x0: Double, x1: Double, y0: Double, y1: Double) {
        var (x0, x1) = (all.map { Double($0.step) }.min() ?? 0, all.map { Double($0.step) }.max() ?? 1)
        var (y0, y1) = (all.map(\.value).min() ?? 0, all.map(\.value).max() ?? 1)
        if x1 - x0 <= 0 { x0 -= 1; x1 += 1 }
        if y1 - y0 <= 0 || !(y1 - y0).isFinite {
            let pad = max(abs(y0) * 0.1, 1)
            (y0, y1) = (y0 - pad, y1 + pad)
        } else {
            let pad = (y1 - y0) * 0.05
            (y0, y1) = (y0 - pad, y1 + pad)
        }
        if !(y1 - y0).isFinite { (y0, y1) = (-Double.greatestFiniteMagnitude / 4, Double.greatestFiniteMagnitude / 4) }
        return (x0, x1, y0, y1)
    }

    /// The legend box, its top-left corner at (lx, ly), and the closing tag of the document.
    static func legend(x lx: Double, y ly: Double) -> String {
        """
        <g>
        <rect x="\(f(lx))" y="\(f(ly))" width="140" height="46" fill="white" stroke="#999"/>
        <line x1="\(f(lx + 8))" y1="\(f(ly + 15))" x2="\(f(lx + 32))" y2="\(f(ly + 15))" stroke="#1f77b4" stroke-width="2"/>
        <text x="\(f(lx + 40))" y="\(f(ly + 19))">training</text>
        <line x1="\(f(lx + 8))" y1="\(f(ly + 33))" x2="\(f(lx + 32))" y2="\(f(ly + 33))" stroke="#ff7f0e" stroke-width="2"/>
        <text x="\(f(lx + 40))" y="\(f(ly + 37))">validation</text>
        </g>
        </svg>

        """
    }

    /// At most `maxPointsPerSeries` points: each of half as many buckets keeps its min and max
    /// in step order.
    static func downsample(_ points: [(step: Int, value: Double)]) -> [(step: Int, value: Double)] {
        guard points.count > maxPointsPerSeries else { return points }
        let buckets = maxPointsPerSeries / 2
        var out: [(step: Int, value: Double)] = []
        out.reserveCapacity(maxPointsPerSeries)
        for b in 0 ..< buckets {
            let lo = b * points.count / buckets, hi = (b + 1) * points.count / buckets
            guard lo < hi else { continue }
            let slice = points[lo ..< hi]
            let mn = slice.indices.min { points[$0].value < points[$1].value }!
            let mx = slice.indices.max { points[$0].value < points[$1].value }!
            if mn == mx { out.append(points[mn]) } else {
                out.append(points[min(mn, mx)])
                out.append(points[max(mn, mx)])
            }
        }
        return out
    }

    /// Round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi], about five to eight of them.
    static func ticks(_ lo: Double, _ hi: Double) -> (values: [Double], step: Double) {
        let raw = (hi - lo) / 7
        guard raw > 0, raw.isFinite else { return ([lo], 1) }
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.min { abs(log($0 / raw)) < abs(log($1 / raw)) }!
        var values: [Double] = []
        var t = ceil(lo / step) * step
        while t <= hi + step * 1e-9, values.count < 50 {
            values.append(t)
            t += step
        }
        return (values, step)
    }

    private static func label(_ v: Double, step: Double) -> String {
        let decimals = max(0, min(6, -Int(floor(log10(step)))))
        if abs(v) >= 1e6 || (abs(v) < 1e-4 && v != 0) { return String(format: "%.2g", v) }
        return String(format: "%.\(decimals)f", abs(v) < step * 1e-9 ? 0 : v)
    }

    /// A coordinate; never NaN or infinite, whatever the data.
    private static func f(_ x: Double) -> String {
        String(format: "%.2f", x.isFinite ? min(max(x, -1e6), 1e6) : 0)
    }

    private static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Characters XML 1.0 forbids are dropped.
            case _ where c.value < 0x20 && c != "\t" && c != "\n" && c != "\r": continue
            case _ where c.value == 0xFFFE || c.value == 0xFFFF: continue
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
