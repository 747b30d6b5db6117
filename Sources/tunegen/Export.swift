// `tunegen export MODEL -o OUT`: a checkpoint without its optimizer state — the weights,
// vocabulary and settings that `generate`, `eval` and PyTorch's load_state_dict need, at a
// third of the size. Used to make the shipped model.
import ArgumentParser
import Composer

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a model's weights without its training state (for sharing or shipping).")

    @Argument(help: "A tunegen model or checkpoint (.safetensors).")
    var model: String

    @Option(name: .shortAndLong, help: "Output file (.safetensors).")
    var output: String

    func run() throws {
        try Output.stdout(try ModelFile.export(model, to: output) + "\n")
    }
}
