import XCTest
@testable import Synth
