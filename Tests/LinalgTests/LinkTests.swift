import XCTest
@testable import Linalg
