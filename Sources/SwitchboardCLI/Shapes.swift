import ArgumentParser
import Foundation
import Learning
import Switchboard

struct Shapes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write every term's shape function of a saved tabular model, as CSV or as an SVG image.",
        discussion: """
            The same bytes `switchboard train --shapes` writes for the model: CSV (term, input, log_odds), or one SVG \
            image with a panel a term when --out ends in .svg. A plain linear model gives each numeric column a \
            straight line over its training mean ± 2 standard deviations and each category a point.
            """)

    @Option(help: "The tabular model file written by `switchboard train`.") var model: String
    @Option(help: "The output file: CSV, or an SVG image when it ends in .svg (- for standard output, as CSV).")
    var out: String

    func run() throws {
        try reportingErrors {
            let tabular = try loadModel(TabularModel.self, from: model)
            let shapes = tabular.shapeFunctions()
            try FileIO.writeAtomically(ShapeText.bytes(tabular, for: out), to: out)
            if out != "-" { print("wrote \(shapes.count) shape functions to \(out)") }
        }
    }
}

/// Shape functions as text: one code path for `train --shapes` and `shapes`.
enum ShapeText {
    /// The file for `path`: an SVG image when it ends in `.svg` (any case), else CSV.
    static func bytes(_ model: TabularModel, for path: String) -> [UInt8] {
        Array((path.lowercased().hasSuffix(".svg") ? svg(model) : csv(model)).utf8)
    }

    /// `term,input,log_odds`, one line a point of every term's shape function.
    static func csv(_ model: TabularModel) -> String {
        var text = CSVWriter.line(["term", "input", "log_odds"])
        for shape in model.shapeFunctions() {
            for point in shape.points { text += CSVWriter.line([shape.term, point.input, Format.fixed(point.value, 6)]) }
        }
        return text
    }

    /// Every term's shape function as one SVG image, a panel a term (`ShapeChart`, as the report draws them).
    static func svg(_ model: TabularModel) -> String { ShapeChart.svg(model.shapeFunctions()) }
}
