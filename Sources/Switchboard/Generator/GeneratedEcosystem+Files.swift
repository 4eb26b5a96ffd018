import Learning

extension GeneratedEcosystem {
    /// The files `switchboard generate` writes, relative to the output folder, with their contents: the records
    /// (partners, leads, outcomes, activity, actions, action history), the incoming leads, and the ground truth under
    /// `truth/`, then partner intelligence's files and onboarding's.
    public func files() -> [(name: String, text: String)] {
        var pairs = CSVWriter.line(["lead_id", "partner_id", "win_probability"])
        for pair in truth.pairs { pairs += "\(pair.leadID),\(pair.partnerID),\(pair.winProbability)\n" }
        var churn = CSVWriter.line(["partner_id", "period", "churn_probability"])
        for row in truth.churn { churn += "\(row.partnerID),\(row.period),\(row.churnProbability)\n" }
        var effects = CSVWriter.line(["action_id", "win_logit_effect", "engagement_effect"])
        for effect in truth.actionEffects { effects += "\(effect.actionID),\(effect.winLogit),\(effect.engagement)\n" }
        var partners = CSVWriter.line(["partner_id", "quality"] + Vocabulary.verticals.map { "skill_\($0)" })
        for partner in ecosystem.partners {
            partners += CSVWriter.line(
                [partner.id, "\(truth.quality[partner.id]!)"] + truth.verticalSkill[partner.id]!.map { "\($0)" })
        }
        return [
            ("partners.csv", RecordWriter.partners(ecosystem.partners)),
            ("leads.csv", RecordWriter.leads(ecosystem.leads)),
            ("outcomes.csv", RecordWriter.outcomes(ecosystem.outcomes)),
            ("activity.csv", RecordWriter.activity(ecosystem.activity)),
            ("actions.csv", RecordWriter.actions(ecosystem.actions)),
            ("action_history.csv", RecordWriter.actionHistory(ecosystem.actionHistory)),
            ("incoming.csv", RecordWriter.leads(incoming)),
            ("truth/pairs.csv", pairs),
            ("truth/churn.csv", churn),
            ("truth/actions.csv", effects),
            ("truth/partners.csv", partners),
        ] + (potential?.files(partners: ecosystem.partners) ?? []) + (onboarding?.files() ?? [])
    }
}
