import LinearAlgebra
import Testing
@testable import Learning
import TestSupport

// MARK: - Helpers

/// A CSV with signal in `tenure`, `usage` and `plan`, an identifier column, and a yes/no target, from a seed.
private func trainingTable(seed: UInt64, rows: Int) throws -> CSVTable {
    var rng = SeededGenerator(seed: seed)
    var text = "account,tenure,usage,plan,region,churned\n"
    let plans = ["basic", "plus", "pro"], regions = ["north", "south", "east", "west"]
    for row in 0..<rows {
        let tenure = rng.uniform(0, 72), usage = rng.nextGaussian() * 3 + 10
        let plan = plans[Int(rng.next() % 3)], region = regions[Int(rng.next() % 4)]
        let margin = 1 - 0.05 * tenure + 0.3 * (usage - 10) + (plan == "basic" ? 0.9 : plan == "pro" ? -0.7 : 0)
        let churned = rng.nextUniform() < Kernels.sigmoid(margin)
        text += "acct-\(row),\(tenure),\(usage),\(plan),\(region),\(churned ? "yes" : "no")\n"
    }
    return try CSVTable(parsing: Array(text.utf8), source: "accounts.csv")
}

private func request(folds: Int? = nil, seed: UInt64 = 42, l2: Double? = nil) -> TabularTrainingRequest {
    TabularTrainingRequest(
        target: "churned", l2Strength: l2, crossValidationFolds: folds, seed: seed, dataChecksum: "feedfacecafebeef")
}

private func naiveMeanAndSampleDeviation(_ values: [Double]) -> (mean: Double, deviation: Double) {
    var sum = 0.0
    for v in values { sum += v }
    let mean = sum / Double(values.count)
    var squares = 0.0
    for v in values { squares += (v - mean) * (v - mean) }
    return (mean, (squares / Double(values.count - 1)).squareRoot())
}

// MARK: - Tests

@Suite("Tabular trainer")
struct TabularTrainerTests {
    @Test func crossValidationSummarisesEveryFold() throws {
        let table = try trainingTable(seed: 3, rows: 400)
        let result = try TabularTrainer.train(table, request: request(folds: 5, seed: 9))
        let summary = try #require(result.model.metrics.crossValidation)
        #expect(summary.foldCount == 5 && summary.seed == 9)
        #expect(summary.folds.count == 5)
        #expect(summary.folds.map(\.rowCount).reduce(0, +) == 400)

        let metrics: [(String, MeanAndDeviation, KeyPath<ClassificationReport, Double>)] = [
            ("rocAUC", summary.rocAUC, \.rocAUC),
            ("averagePrecision", summary.averagePrecision, \.averagePrecision),
            ("logLoss", summary.logLoss, \.logLoss),
            ("brierScore", summary.brierScore, \.brierScore),
            ("expectedCalibrationError", summary.expectedCalibrationError, \.expectedCalibrationError),
            ("liftTopDecile", summary.liftTopDecile, \.liftTopDecile),
        ]
        for (name, stored, path) in metrics {
            let (mean, deviation) = naiveMeanAndSampleDeviation(summary.folds.map { $0[keyPath: path] })
            #expect(isClose(stored.mean, mean), "\(name) mean")
            #expect(isClose(stored.standardDeviation, deviation), "\(name) deviation")
            #expect(deviation > 0, "\(name) varies across folds")
        }
        // There is signal to find.
        #expect(summary.rocAUC.mean > 0.7)
    }

    @Test func eachFoldReportMatchesAnIndependentFit() throws {
        let table = try trainingTable(seed: 4, rows: 300)
        let summary = try #require(
            try TabularTrainer.train(table, request: request(folds: 4, seed: 5)).model.metrics.crossValidation)
        let target = try TabularEncoder.target(in: table, column: "churned", positive: nil)
        let labels = try TabularEncoder.labels(in: table, target: target)
        let splits = try StratifiedKFold(labels: labels, foldCount: 4, seed: 5)
        for (index, fold) in splits.folds.enumerated() {
            let train = table.selectingRows(fold.trainIndices), test = table.selectingRows(fold.testIndices)
            let (schema, _) = try TabularEncoder.fit(table: train, excluding: "churned", options: ColumnOptions())
            let (design, _) = try TabularEncoder.encode(train, schema: schema)
            let (model, _) = try LogisticRegression.fit(
                design: design, labels: fold.trainIndices.map { labels[$0] },
                configuration: LogisticRegressionConfiguration(l2Strength: 1 / Double(train.rowCount)))
            let (testDesign, _) = try TabularEncoder.encode(test, schema: schema)
            let report = try Metrics.report(
                labels: fold.testIndices.map { labels[$0] },
                probabilities: model.probabilities(for: testDesign))
            #expect(isClose(summary.folds[index].rocAUC, report.rocAUC), "fold \(index)")
            #expect(isClose(summary.folds[index].logLoss, report.logLoss), "fold \(index)")
            #expect(summary.folds[index].rowCount == report.rowCount)
        }
    }

    @Test func theSeedDecidesTheFolds() throws {
        let table = try trainingTable(seed: 5, rows: 250)
        let first = try TabularTrainer.train(table, request: request(folds: 5, seed: 1)).model
        let again = try TabularTrainer.train(table, request: request(folds: 5, seed: 1)).model
        let other = try TabularTrainer.train(table, request: request(folds: 5, seed: 2)).model
        #expect(first.metrics.crossValidation == again.metrics.crossValidation)
        #expect(first == again)

        let firstFolds = try #require(first.metrics.crossValidation?.folds)
        let otherFolds = try #require(other.metrics.crossValidation?.folds)
        #expect(firstFolds.map(\.rocAUC) != otherFolds.map(\.rocAUC))
        #expect(firstFolds.map(\.logLoss) != otherFolds.map(\.logLoss))
        // The final model uses every row, so the seed does not change it.
        #expect(first.coefficients == other.coefficients && first.intercept == other.intercept)
    }

    @Test(arguments: [(UInt64(6), 120, nil), (7, 333, nil), (8, 500, 0.05), (9, 200, 1e-3)] as [(UInt64, Int, Double?)])
    func theFinalModelIsTheDirectFitOfTheEncodedDesign(seed: UInt64, rows: Int, l2: Double?) throws {
        let table = try trainingTable(seed: seed, rows: rows)
        let result = try TabularTrainer.train(table, request: request(l2: l2))
        let model = result.model

        let target = try TabularEncoder.target(in: table, column: "churned", positive: nil)
        let labels = try TabularEncoder.labels(in: table, target: target)
        let (schema, _) = try TabularEncoder.fit(table: table, excluding: "churned", options: ColumnOptions())
        let (design, _) = try TabularEncoder.encode(table, schema: schema)
        let lambda = l2 ?? 1 / Double(rows)
        let (direct, _) = try LogisticRegression.fit(
            design: design, labels: labels, configuration: LogisticRegressionConfiguration(l2Strength: lambda))

        #expect(model.schema == schema)
        #expect(model.featureNames == schema.featureNames)
        #expect(model.target == target)
        #expect(model.training.l2Strength == lambda)
        let (probabilities, _) = try model.probabilities(for: table)
        #expect(maxAbsDifference(probabilities, try direct.probabilities(for: design)) <= 1e-12)
        #expect(maxAbsDifference(model.coefficients, direct.coefficients) <= 1e-12)
        #expect(isClose(model.intercept, direct.intercept))

        // The stored training metrics are those of the final model on its own rows.
        #expect(model.metrics.training == (try Metrics.report(labels: labels, probabilities: probabilities)))
        #expect(model.metrics.crossValidation == nil)
    }

    @Test(arguments: [50, 137, 1000])
    func theDefaultL2StrengthIsOneOverTheRowCount(rows: Int) throws {
        let table = try trainingTable(seed: UInt64(rows), rows: rows)
        let model = try TabularTrainer.train(table, request: request()).model
        #expect(model.training.l2Strength == 1 / Double(rows))
        let explicit = try TabularTrainer.train(table, request: request(l2: 1 / Double(rows))).model
        #expect(explicit.coefficients == model.coefficients && explicit.intercept == model.intercept)
    }

    @Test func metadataDescribesTheRun() throws {
        let table = try trainingTable(seed: 10, rows: 260)
        let labels = try TabularEncoder.labels(
            in: table, target: TabularEncoder.target(in: table, column: "churned", positive: nil))
        let result = try TabularTrainer.train(table, request: request())
        let training = result.model.training
        #expect(training.source == "accounts.csv")
        #expect(training.rowCount == 260)
        #expect(training.positiveCount == labels.count { $0 })
        #expect(training.positiveCount > 0 && training.positiveCount < 260)
        #expect(training.converged)
        #expect(training.iterations > 0)
        #expect(training.gradientNorm.isFinite && training.gradientNorm <= 1e-8)
        #expect(training.objective.isFinite && training.objective > 0)
        #expect(training.dataChecksum == "feedfacecafebeef")
        #expect(result.model.target == TargetSpecification(column: "churned", positive: "yes", negative: "no"))
        // The account number is an identifier, left out with a note.
        #expect(result.notes.identifierColumns == ["account"])
        #expect(!result.model.featureNames.contains { $0.hasPrefix("account") })
        #expect(result.model.consistencyProblem() == nil)
    }

    @Test func aGivenPositiveValueFlipsTheLabels() throws {
        let table = try trainingTable(seed: 12, rows: 200)
        var flipped = request()
        flipped.positive = "no"
        let yes = try TabularTrainer.train(table, request: request()).model
        let no = try TabularTrainer.train(table, request: flipped).model
        #expect(no.target == TargetSpecification(column: "churned", positive: "no", negative: "yes"))
        #expect(no.training.positiveCount == 200 - yes.training.positiveCount)
        // Swapping the classes negates the logistic regression.
        #expect(maxAbsDifference(no.coefficients, yes.coefficients.map { -$0 }) <= 1e-6)
    }

    @Test func progressReportsFoldsThenTheFinalFit() throws {
        let table = try trainingTable(seed: 13, rows: 150)
        final class Stages: @unchecked Sendable {
            var folds: [Int] = []; var finalFits = 0; var iterations = 0; var order: [String] = []
        }
        let stages = Stages()
        _ = try TabularTrainer.train(table, request: request(folds: 3)) { stage in
            switch stage {
            case let .fold(index, count):
                #expect(count == 3)
                stages.folds.append(index)
                stages.order.append("fold")
            case .finalFit:
                stages.finalFits += 1
                stages.order.append("final")
            case .iteration:
                stages.iterations += 1
            }
        }
        #expect(stages.folds == [1, 2, 3])
        #expect(stages.finalFits == 1)
        #expect(stages.order == ["fold", "fold", "fold", "final"])
        #expect(stages.iterations > 0)
    }

    @Test(arguments: [-1.0, -1e-9, .nan, .infinity])
    func aBadL2StrengthIsRejectedAndQuoted(l2: Double) throws {
        let table = try trainingTable(seed: 14, rows: 50)
        let error = #expect(throws: LearningError.self) { try TabularTrainer.train(table, request: request(l2: l2)) }
        #expect(error == .invalidParameter(name: "l2Strength", value: "\(l2)", requirement: "must be finite and >= 0"))
        #expect(error?.description.contains("l2Strength") == true)
        #expect(error?.description.contains("(got \(l2))") == true)
        #expect(throws: LearningError.self) { try request(l2: l2).validate() }
    }

    @Test(arguments: [1, -1, -5])
    func fewerThanTwoFoldsIsRejectedAndQuoted(folds: Int) throws {
        let table = try trainingTable(seed: 15, rows: 50)
        let error = #expect(throws: LearningError.self) { try TabularTrainer.train(table, request: request(folds: folds)) }
        #expect(
            error
                == .invalidParameter(name: "crossValidationFolds", value: "\(folds)", requirement: "must be >= 2 (or 0 for none)")
        )
        #expect(error?.description.contains("(got \(folds))") == true)
    }

    @Test(arguments: [0, nil] as [Int?])
    func zeroOrNoFoldsMeansNoCrossValidation(folds: Int?) throws {
        let table = try trainingTable(seed: 16, rows: 80)
        let model = try TabularTrainer.train(table, request: request(folds: folds)).model
        #expect(model.metrics.crossValidation == nil)
        #expect(model.metrics.training != nil)
    }

    @Test func validationComesBeforeReadingTheTable() throws {
        // The table has no `churned` column, but the bad hyperparameter is reported first.
        let table = CSVTable(source: "empty.csv", header: ["x"], columns: [[]], recordLines: [])
        #expect(throws: LearningError.self) { try TabularTrainer.train(table, request: request(l2: -1)) }
        #expect(throws: TabularError.missingColumn(file: "empty.csv", column: "churned")) {
            try TabularTrainer.train(table, request: request())
        }
    }
}
