// MixWindow: where the synthesizer sums its notes before the room: planar channels over a window
// of the timeline, not the whole of it. Notes come in order of their start, so frames before the
// latest start are final and leave the window (through the room) as soon as it moves on; the
// window holds only what sounding notes can still add to (usually well under a second, so it
// stays in cache), and grows only for a note longer than itself.

/// A window of planar frames `[start, start + capacity)` on an absolute frame timeline, frames
/// below `zeroed` cleared for summing. Not thread-safe; one per render.
final class MixWindow {
    let channels: Int
    private(set) var capacity: Int
    /// Absolute frame held at offset 0.
    private(set) var start = 0
    /// Absolute frames `[start, zeroed)` are zeroed or summed into.
    private(set) var zeroed = 0
    private var storage: UnsafeMutablePointer<Float>

    /// `capacity` frames to begin with (at least 1); `channels` 1 or 2.
    init(channels: Int, capacity: Int) {
        precondition(channels == 1 || channels == 2, "MixWindow: \(channels) channels")
        self.channels = channels
        self.capacity = max(1, capacity)
        storage = .allocate(capacity: self.capacity * channels)
    }

    deinit { storage.deallocate() }

    /// Channel `c`'s sample at absolute frame `frame`, which must lie in `[start, start + capacity)`.
    func pointer(channel c: Int, frame: Int) -> UnsafeMutablePointer<Float> {
        precondition(frame >= start && frame <= start + capacity && c < channels, "MixWindow: frame \(frame) outside the window")
        return storage + c * capacity + (frame - start)
    }

    /// Makes absolute frames `[keep, end)` available, zeroed where nothing was summed yet: frames
    /// before `keep` may be dropped (they must be final), and the window moves or grows as needed.
    /// Cost: zeroing the new frames, plus copying the frames kept when the window moves (rarely: it
    /// moves only when full).
    func reserve(keep: Int, upTo end: Int) {
        precondition(keep >= start && keep <= zeroed && end >= keep, "MixWindow: reserve(\(keep), \(end)) from \(start)")
        if end - start > capacity {
            // Move the frames still open (keep ..< zeroed) to the front, into a bigger buffer when
            // even that leaves too little room (copyMemory is a memmove: the regions may overlap).
            let kept = zeroed - keep
            let needed = end - keep
            let target = needed > capacity ? UnsafeMutablePointer<Float>.allocate(capacity: max(2 * capacity, needed) * channels) : storage
            let newCapacity = needed > capacity ? max(2 * capacity, needed) : capacity
            for c in 0..<channels {
                UnsafeMutableRawPointer(target + c * newCapacity)
                    .copyMemory(from: storage + c * capacity + (keep - start), byteCount: kept * MemoryLayout<Float>.stride)
            }
            if target != storage { storage.deallocate(); storage = target; capacity = newCapacity }
            start = keep
        }
        if end > zeroed {
            for c in 0..<channels { (storage + c * capacity + (zeroed - start)).update(repeating: 0, count: end - zeroed) }
            zeroed = end
        }
    }
}
