import LinearAlgebra

/// A Platt recalibration of a logistic model's margins: z′ = slope·z + offset. Applied to a linear (or additive)
/// logistic regression it scales every coefficient by `slope` and maps the intercept b to slope·b + offset, so the
/// model stays one sum of per-term contributions and explanations stay exact.
public struct Recalibration: Sendable, Codable, Equatable {
    public var slope: Double
    public var offset: Double
    /// Mean held-out log loss of the inner folds' margins as they are, and after a recalibration fitted on the other
    /// folds' margins (cross-fitted).
    public var heldOutLogLossBefore: Double
    public var heldOutLogLossAfter: Double

    public init(slope: Double, offset: Double, heldOutLogLossBefore: Double, heldOutLogLossAfter: Double) {
        self.slope = slope
        self.offset = offset
        self.heldOutLogLossBefore = heldOutLogLossBefore
        self.heldOutLogLossAfter = heldOutLogLossAfter
    }

    /// The model with its margins recalibrated: w ← slope·w, b ← slope·b + offset.
    public func applied(to model: LogisticRegression) -> LogisticRegression {
        LogisticRegression(coefficients: model.coefficients.map { $0 * slope }, intercept: slope * model.intercept + offset)
    }

    /// The slope a and offset c minimising the mean log loss (1/n)·Σᵢ log(1 + exp(−ỹᵢ·(a·zᵢ + c))), by Newton's method
    /// on the two parameters with step halving (the objective is convex; a tiny ridge 1e-9·(a² + c²) keeps separable
    /// margins finite).
    /// - Complexity: O(n) per iteration, at most 100 iterations.
    public static func fit(margins: [Double], labels: [Bool]) -> (slope: Double, offset: Double) {
        precondition(margins.count == labels.count && !margins.isEmpty, "recalibration: margins and labels")
        let ridge = 1e-9
        let n = Double(margins.count)
        func loss(_ a: Double, _ c: Double) -> Double {
            var total = 0.0
            for i in margins.indices {
                let z = a * margins[i] + c
                total += Kernels.log1pexp(labels[i] ? -z : z)
            }
            return total / n + ridge / 2 * (a * a + c * c)
        }
        var a = 1.0, c = 0.0
        var current = loss(a, c)
        for _ in 0..<100 {
            var ga = ridge * a, gc = ridge * c, haa = ridge, hac = 0.0, hcc = ridge
            for i in margins.indices {
                let z = margins[i], p = Kernels.sigmoid(a * z + c)
                let r = (p - (labels[i] ? 1 : 0)) / n, w = p * (1 - p) / n
                ga += r * z
                gc += r
                haa += w * z * z
                hac += w * z
                hcc += w
            }
            let determinant = haa * hcc - hac * hac
            guard determinant > 0 else { break }
            let stepA = (hcc * ga - hac * gc) / determinant, stepC = (haa * gc - hac * ga) / determinant
            // The Newton decrement gᵀH⁻¹g bounds how far the loss is above its minimum: below 1e-16 there is nothing
            // left that rounding does not hide.
            if ga * stepA + gc * stepC < 1e-16 { break }
            var scale = 1.0, accepted = false
            for _ in 0..<30 {
                let next = loss(a - scale * stepA, c - scale * stepC)
                if next <= current {
                    a -= scale * stepA
                    c -= scale * stepC
                    current = next
                    accepted = true
                    break
                }
                scale /= 2
            }
            if !accepted { break }
        }
        return (a, c)
    }

    /// Mean log loss of `margins` under z′ = slope·z + offset.
    static func logLoss(margins: [Double], labels: [Bool], slope: Double = 1, offset: Double = 0) -> Double {
        var total = 0.0
        for i in margins.indices {
            let z = slope * margins[i] + offset
            total += Kernels.log1pexp(labels[i] ? -z : z)
        }
        return total / Double(max(1, margins.count))
    }

    /// Decides on a recalibration from the held-out margins of K inner folds (each fold's margins from a model that
    /// did not see its rows). Cross-fitted: for each fold the slope and offset are fitted on the other folds' margins
    /// and scored on its own; the recalibration is kept when that lowers mean held-out log loss by more than
    /// `minimumRelativeGain` of it, and is then refitted on every fold's margins. Nil when it does not pay.
    public static func crossFitted(
        margins: [[Double]], labels: [[Bool]], minimumRelativeGain: Double
    ) -> Recalibration? {
        precondition(margins.count == labels.count, "recalibration: one label array a fold")
        guard margins.count >= 2 else { return nil }
        var before = 0.0, after = 0.0
        for fold in margins.indices {
            var otherMargins: [Double] = [], otherLabels: [Bool] = []
            for other in margins.indices where other != fold {
                otherMargins += margins[other]
                otherLabels += labels[other]
            }
            guard !otherMargins.isEmpty, !margins[fold].isEmpty else { return nil }
            let (a, c) = fit(margins: otherMargins, labels: otherLabels)
            before += logLoss(margins: margins[fold], labels: labels[fold])
            after += logLoss(margins: margins[fold], labels: labels[fold], slope: a, offset: c)
        }
        before /= Double(margins.count)
        after /= Double(margins.count)
        guard after < before * (1 - minimumRelativeGain) else { return nil }
        let (a, c) = fit(margins: Array(margins.joined()), labels: Array(labels.joined()))
        guard a.isFinite, c.isFinite, a > 0 else { return nil }
        return Recalibration(slope: a, offset: c, heldOutLogLossBefore: before, heldOutLogLossAfter: after)
    }

    /// Each fold's margins mapped by z′ = a·z + c, the slope and offset fitted (`fit`) on the other folds' margins and
    /// labels, so no fold's map has seen its rows. A fold whose other folds hold no margins keeps its own.
    /// - Complexity: O(K·n) for K folds of n margins in all (each Platt fit at most 100 iterations).
    public static func crossFittedMargins(margins: [[Double]], labels: [[Bool]]) -> [[Double]] {
        precondition(margins.count == labels.count, "recalibration: one label array a fold")
        return margins.indices.map { fold in
            var otherMargins: [Double] = [], otherLabels: [Bool] = []
            for other in margins.indices where other != fold {
                otherMargins += margins[other]
                otherLabels += labels[other]
            }
            guard !otherMargins.isEmpty else { return margins[fold] }
            let (a, c) = fit(margins: otherMargins, labels: otherLabels)
            return margins[fold].map { a * $0 + c }
        }
    }

    /// Calibration of out-of-fold predictions: fold k's probabilities are σ(z) of its held-out margins z, or, when
    /// `recalibrated`, σ(a_k·z + c_k) with a_k, c_k fitted on the other folds' margins (`crossFittedMargins`); every
    /// fold's rows are pooled into one reliability table of `binCount` equal-width bins and its expected calibration
    /// error (`Metrics.calibration`).
    /// - Throws: `MetricsError` when there are no margins or `binCount` < 1.
    public static func heldOutCalibration(
        margins: [[Double]], labels: [[Bool]], recalibrated: Bool, binCount: Int = 10
    ) throws(MetricsError) -> CalibrationReport {
        precondition(margins.count == labels.count, "recalibration: one label array a fold")
        let mapped = recalibrated ? crossFittedMargins(margins: margins, labels: labels) : margins
        return try Metrics.calibration(
            labels: Array(labels.joined()), probabilities: mapped.joined().map { Kernels.sigmoid($0) }, binCount: binCount)
    }
}
