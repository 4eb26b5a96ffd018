import Learning

/// Writes records in the CSV schemas `RecordLoader` reads, so a written file loads back to the same records.
public enum RecordWriter {
    public static func partners(_ partners: [Partner]) -> String {
        var text = CSVWriter.line(RecordLoader.partnerColumns)
        for p in partners {
            text += CSVWriter.line(
                [
                    p.id, p.name, p.type.rawValue, p.tier.rawValue, p.region, p.country, set(p.verticals),
                    set(p.technologies), set(p.certifications), "\(p.capacity)", "\(p.openLeads)", p.status.rawValue,
                    p.managerID, p.joined.dateDescription,
                ] + figures(p.activity))
        }
        return text
    }

    public static func leads(_ leads: [Lead]) -> String {
        var text = CSVWriter.line(RecordLoader.leadColumns + RecordLoader.leadOptionalColumns)
        for l in leads {
            text += CSVWriter.line([
                l.id, l.created.description, l.region, l.country, l.vertical, l.technology, l.sizeBand,
                number(l.estimatedValue), l.source, set(l.requiredCertifications), l.accountID ?? "",
            ])
        }
        return text
    }

    public static func outcomes(_ outcomes: [Outcome]) -> String {
        var text = CSVWriter.line(RecordLoader.outcomeColumns)
        for o in outcomes {
            text += CSVWriter.line([
                o.leadID, o.partnerID, o.assigned.description, o.outcome.rawValue, o.closed?.description ?? "",
                number(o.revenue),
            ])
        }
        return text
    }

    public static func activity(_ rows: [PartnerActivity]) -> String {
        var text = CSVWriter.line(RecordLoader.activityColumns)
        for a in rows {
            text += CSVWriter.line([a.partnerID, "\(a.period)"] + figures(a.figures) + [a.churnedNext ? "true" : "false"])
        }
        return text
    }

    public static func actions(_ actions: [Action]) -> String {
        var text = CSVWriter.line(RecordLoader.actionColumns)
        for a in actions {
            text += CSVWriter.line([
                a.id, a.name, a.type.rawValue, a.eligibleTypes.map(\.rawValue).joined(separator: ";"),
                a.eligibleTiers.map(\.rawValue).joined(separator: ";"), number(a.cost),
                a.effects.map { "\($0.attribute)=\($0.change >= 0 ? "+" : "")\(number($0.change))" }.joined(separator: ";"),
            ])
        }
        return text
    }

    public static func actionHistory(_ rows: [ActionTaken]) -> String {
        var text = CSVWriter.line(RecordLoader.actionHistoryColumns)
        for r in rows { text += CSVWriter.line([r.partnerID, r.actionID, r.time.description]) }
        return text
    }

    static func set(_ items: [String]) -> String { items.joined(separator: ";") }

    static func figures(_ f: ActivityFigures) -> [String] {
        [
            number(f.portalLogins), number(f.trainingsCompleted), number(f.dealRegistrations), number(f.marketingFundsUsed),
            number(f.revenue),
        ]
    }

    /// Whole numbers without a fraction; others in Swift's shortest round-trip form.
    public static func number(_ value: Double) -> String { RecordColumns.format(value) }
}
