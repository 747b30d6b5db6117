// OutputFile: replaces files atomically, refuses devices, FIFOs and sockets, cleans only its own
// stale temporary files, and reports a full disk (a file-size limit here) without leaving debris.
import FileOutput
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class OutputFileTests: XCTestCase {
    func tempDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fileoutput-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func names(_ dir: URL) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }

    func testWriteCreatesAndReplacesLeavingOnlyTheTarget() throws {
        let dir = try tempDirectory()
        let url = dir.appendingPathComponent("a.txt")
        try OutputFile.write("one", to: url)
        try OutputFile.write("two", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "two")
        XCTAssertEqual(try names(dir), ["a.txt"])
    }

    func testRefusesDevicesFIFOsAndDirectoriesAndLeavesThemAlone() throws {
        XCTAssertThrowsError(try OutputFile.write("x", to: URL(fileURLWithPath: "/dev/null"))) { error in
            XCTAssertTrue("\(error)".contains("character device"), "\(error)")
        }
        var st = stat()
        XCTAssertEqual(stat("/dev/null", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR, "/dev/null must still be a device")

        let dir = try tempDirectory()
        let fifo = dir.appendingPathComponent("pipe")
        XCTAssertEqual(mkfifo(fifo.path, 0o644), 0)
        XCTAssertThrowsError(try OutputFile.write("x", to: fifo)) { error in
            XCTAssertTrue("\(error)".contains("FIFO"), "\(error)")
        }
        XCTAssertEqual(stat(fifo.path, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO)
        XCTAssertThrowsError(try OutputFile.write("x", to: dir)) { error in
            XCTAssertEqual(error as? OutputFileError, .isADirectory(dir.path))
        }
        XCTAssertEqual(try names(dir), ["pipe"])
    }

    func testASymbolicLinkUpdatesTheFileItPointsTo() throws {
        let dir = try tempDirectory()
        let real = dir.appendingPathComponent("real.txt"), link = dir.appendingPathComponent("link.txt")
        try OutputFile.write("old", to: real)
        XCTAssertEqual(symlink(real.path, link.path), 0)
        try OutputFile.write("new", to: link)
        XCTAssertEqual(try String(contentsOf: real, encoding: .utf8), "new")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), real.path)
    }

    func testAPathThroughARegularFileIsAClearError() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("file")
        try OutputFile.write("x", to: file)
        XCTAssertThrowsError(try OutputFile.write("y", to: file.appendingPathComponent("inside.txt"))) { error in
            XCTAssertEqual(error as? OutputFileError, .notADirectory(file.path))
        }
        XCTAssertThrowsError(try OutputFile.makeFolder(file.appendingPathComponent("sub/deeper").path)) { error in
            XCTAssertEqual(error as? OutputFileError, .notADirectory(file.path))
            XCTAssertTrue("\(error)".contains("is not a directory"), "\(error)")
        }
        try OutputFile.makeFolder(dir.appendingPathComponent("new/nested").path)
        try OutputFile.makeFolder(dir.appendingPathComponent("new/nested").path)  // existing: fine
    }

    func testStaleTemporariesOfDeadProcessesAreRemovedOthersKept() throws {
        let dir = try tempDirectory()
        // A pid that is not running: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = child.processIdentifier
        let stale = [".m.safetensors.tunegen-tmp-\(dead)-12345", ".latest.safetensors.tmp-\(dead)-99"]
        let kept = [".m.safetensors.tunegen-tmp-\(getppid())-1",   // a live process's write in progress
                    ".notes.tmp-abc-1", "other.tmp-\(dead)-1x", "plain.txt", ".hidden"]
        for name in stale + kept { try Data([1]).write(to: dir.appendingPathComponent(name)) }
        try OutputFile.write("x", to: dir.appendingPathComponent("out.txt"))
        XCTAssertEqual(try names(dir), (kept + ["out.txt"]).sorted())
    }

    /// A write that hits a file-size limit (EFBIG, as a full disk gives ENOSPC) fails with the
    /// system's reason, keeps the old file and leaves no temporary file.
    func testAFullDiskKeepsTheOldFileAndLeavesNoTemporary() throws {
        let dir = try tempDirectory()
        let url = dir.appendingPathComponent("big.bin")
        try OutputFile.write([UInt8](repeating: 7, count: 100), to: url)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved), 0)
        let previous = signal(SIGXFSZ, SIG_IGN)
        var limit = saved
        limit.rlim_cur = 4096
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit), 0)
        XCTAssertThrowsError(try OutputFile.write([UInt8](repeating: 1, count: 100_000), to: url)) { error in
            XCTAssertTrue("\(error)".contains("file-size limit"), "\(error)")
        }
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, previous)
        XCTAssertEqual(try Data(contentsOf: url), Data(repeating: 7, count: 100))
        XCTAssertEqual(try names(dir), ["big.bin"])
    }

    /// With /dev/full as standard output, a raw write reports ENOSPC rather than trapping.
    func testWriteAllReportsTheErrorOfAFullDevice() throws {
        let fd = open("/dev/full", O_WRONLY)
        try XCTSkipIf(fd < 0, "/dev/full is not available")
        defer { close(fd) }
        XCTAssertEqual(FileDescriptor.writeAll(fd, Array("hello".utf8)), ENOSPC)
    }
}
