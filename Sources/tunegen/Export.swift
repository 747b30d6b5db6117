// `tunegen export MODEL -o OUT`: a checkpoint without its optimizer state — the weights,
// vocabulary and settings that `generate`, `eval` and PyTorch's load_state_dict need, at a
// third of the size. Used to make the shipped model.
import ArgumentParser
import CharModel
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model's weights without its training state (for sharing or shipping).")

    @Argument(help: "A tunegen model or checkpoint (.safetensors).")
    var model: String

    @Option(name: .shortAndLong, help: "Output file (.safetensors).")
    var output: String

    func run() throws {
        do {
            var checkpoint = try ModelFile.load(URL(fileURLWithPath: model)).checkpoint
            checkpoint.trainingState = nil
            let url = URL(fileURLWithPath: output)
            do { try checkpoint.write(to: url) } catch { throw CommandFailure("cannot write '\(output)': \(error)") }
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            print("\(output): \(checkpoint.parameters.count) parameters, \(size / 1024) KiB")
        } catch let failure as CommandFailure {
            CommandFailure.exit(failure)
        }
    }
}
