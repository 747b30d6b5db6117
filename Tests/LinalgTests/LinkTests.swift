import XCTest
@testable import Linalg

final class LinkTests: XCTestCase {
    func testOpenBLASLoadsAndReportsItself() {
        XCTAssertFalse(BLAS.coreName.isEmpty)
        XCTAssertFalse(BLAS.config.isEmpty)
        let before = BLAS.threads
        BLAS.setThreads(1)
        XCTAssertEqual(BLAS.threads, 1)
        BLAS.setThreads(before)
    }
}
