import Learning

/// How well the recommender's values rank what actions did in the history, with no truth: a Qini curve
/// (`QiniCurve`) over every (partner valued, eligible action) with a before/after comparison.
///
/// A unit is treated when the partner received the action before `asOf` and has resolved leads on both sides of its
/// first receipt τ: its outcome is its win rate on the resolved leads assigned after τ minus that before. A partner
/// that never received the action is a control unit, measured the same way around the median first-receipt time of
/// the action's treated units (left out without leads on both sides, or when no partner is treated). The score is the
/// recommender's expected value of the action for the partner.
public struct ActionUplift: Sendable, Equatable {
    public var curve: QiniCurve
    public var treatedCount: Int
    public var controlCount: Int

    /// - Throws: `RecommendError` when the records cannot be read as they were for the plan.
    public static func evaluate(_ plan: ActionPlan, ecosystem: Ecosystem) throws(RecommendError) -> ActionUplift {
        var settings = plan.settings
        settings.asOf = plan.asOf
        let context = try ActionContext(ecosystem, settings: settings)
        var actionIndex: [String: Int] = [:]
        for (a, action) in context.actions.enumerated() { actionIndex[action.id] = a }
        var firstTimes = [[Int64]](repeating: [], count: context.actions.count)
        for p in context.partners.indices {
            var seen = Set<Int>()
            for taken in context.received[p] where seen.insert(taken.action).inserted {
                firstTimes[taken.action].append(taken.time.secondsSinceEpoch)
            }
        }
        let pivot = firstTimes.map { times -> Int64? in times.isEmpty ? nil : times.sorted()[(times.count - 1) / 2] }
        func change(_ p: Int, around time: Int64) -> Double? {
            let outcomes = context.resolved[p]
            let before = outcomes.filter { $0.assigned < time }
            let after = outcomes.count - before.count
            guard !before.isEmpty && after > 0 else { return nil }
            let winsBefore = Double(before.count { $0.won })
            let winsAfter = Double(outcomes.count { $0.won }) - winsBefore
            return winsAfter / Double(after) - winsBefore / Double(before.count)
        }
        var scores: [Double] = [], treated: [Bool] = [], outcomes: [Double] = []
        for outlook in plan.partners {
            guard let p = context.partnerIndex[outlook.partnerID] else { continue }
            for r in outlook.ranked {
                guard let a = actionIndex[r.actionID], let pivotTime = pivot[a] else { continue }
                if let first = context.received[p].first(where: { $0.action == a }) {
                    guard let y = change(p, around: first.time.secondsSinceEpoch) else { continue }
                    (scores, treated, outcomes) = (scores + [r.expectedValue], treated + [true], outcomes + [y])
                } else if let y = change(p, around: pivotTime) {
                    (scores, treated, outcomes) = (scores + [r.expectedValue], treated + [false], outcomes + [y])
                }
            }
        }
        return ActionUplift(
            curve: QiniCurve(scores: scores, treated: treated, outcomes: outcomes), treatedCount: treated.count { $0 },
            controlCount: treated.count { !$0 })
    }
}
