import Learning

extension SegmentReport {
    public static let partnerColumns = [
        "partner_id", "name", "period", "type", "expertise_cell", "expertise_cells", "lifecycle", "value_tier", "behaviour",
        "tenure_periods", "engagement_trend", "revenue", "pipeline", "value_score", "leads_received", "won", "resolved",
        "win_rate", "open_leads", "capacity", "utilisation", "churn_risk",
    ]
    public static let kpiColumns = [
        "dimension", "segment", "description", "partners", "leads_received", "won", "resolved", "win_rate", "revenue",
        "pipeline", "mean_churn_risk", "churn_scored", "open_leads", "capacity", "utilisation",
    ]
    public static let moveColumns = ["partner_id", "dimension", "from", "to", "from_period", "to_period"]

    /// One row a partner as of the latest period (`partnerColumns`); blank cells for what is unknown (no period
    /// without activity, no win rate without resolved leads, no churn risk without a model).
    public func partnersCSV() -> String {
        var text = CSVWriter.line(Self.partnerColumns)
        for p in partners {
            text += CSVWriter.line([
                p.partnerID, p.name, p.period.map { "\($0)" } ?? "", p.type.rawValue, p.expertiseCell,
                p.expertiseCells.joined(separator: ";"), p.lifecycle.rawValue, p.valueTier.rawValue, p.behaviour,
                p.tenurePeriods.map { "\($0)" } ?? "", "\(p.engagementTrend)", RecordColumns.format(p.revenue),
                RecordColumns.format(p.pipeline), "\(p.valueScore)", "\(p.leadsReceived)", "\(p.wins)", "\(p.resolved)",
                Self.optional(p.winRate), "\(p.openLeads)", "\(p.capacity)", Self.optional(p.utilisation),
                Self.optional(p.churnRisk),
            ])
        }
        return text
    }

    /// One row a segment (`kpiColumns`); the first is every partner, with dimension and segment `all`.
    public func kpisCSV() -> String {
        var text = CSVWriter.line(Self.kpiColumns)
        for k in kpis {
            text += CSVWriter.line([
                k.dimension?.rawValue ?? "all", k.segment, k.description, "\(k.partners)", "\(k.leadsReceived)", "\(k.wins)",
                "\(k.resolved)", Self.optional(k.winRate), RecordColumns.format(k.revenue), RecordColumns.format(k.pipeline),
                Self.optional(k.meanChurnRisk), "\(k.churnScored)", "\(k.openLeads)", "\(k.capacity)",
                Self.optional(k.utilisation),
            ])
        }
        return text
    }

    /// One row a move (`moveColumns`).
    public func movesCSV() -> String {
        var text = CSVWriter.line(Self.moveColumns)
        for move in moves {
            text += CSVWriter.line([
                move.partnerID, move.dimension.rawValue, move.from, move.to, "\(move.fromPeriod)", "\(move.toPeriod)",
            ])
        }
        return text
    }

    static func optional(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
}
