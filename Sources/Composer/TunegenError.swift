// TunegenError: a failure the user caused or can fix (a bad file, flag or folder), as opposed
// to a bug. The library throws it; the executable prints it once, as `tunegen: message`, and
// exits with its status (2 for usage and I/O problems, as `check` documents).
import Foundation

public struct TunegenError: Error, CustomStringConvertible, Equatable {
    public var description: String
    /// The process's exit status when this ends the command.
    public var exitStatus: Int32

    public init(_ description: String, exitStatus: Int32 = 2) {
        self.description = description
        self.exitStatus = exitStatus
    }
}
