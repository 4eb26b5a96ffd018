import Learning
@testable import Switchboard

/// Maps Maven Analytics' CRM sales-pipeline export (agents × accounts × products, won or lost) onto ecosystem
/// records, so the match model can be run on it: each sales agent becomes a partner (region = regional office,
/// manager = manager), each closed opportunity a lead (vertical = the account's sector, technology = the product
/// series, size band from the account's head count, value = the product's list price, created = the engage date)
/// and an outcome (assigned on the engage date, closed on the close date). Open opportunities count towards each
/// agent's open leads; the export does not say how many an agent can carry, so every agent gets the same capacity,
/// the largest open pipeline. The pipeline's `GTXPro` is matched to the product list's `GTX Pro`.
public enum CRMSalesPipeline {
    public static func ecosystem(pipeline: CSVTable, teams: CSVTable, accounts: CSVTable, products: CSVTable)
        throws(RecordError) -> Ecosystem
    {
        let t = try RecordColumns(teams, required: ["sales_agent", "manager", "regional_office"])
        let a = try RecordColumns(accounts, required: ["account", "sector", "employees", "office_location"])
        let p = try RecordColumns(products, required: ["product", "series", "sales_price"])
        let o = try RecordColumns(
            pipeline,
            required: [
                "opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date", "close_value",
            ])
        var account: [String: (sector: String, employees: Double, country: String)] = [:]
        for row in 0..<a.rowCount {
            account[try a.text("account", row)] = (
                try a.text("sector", row), try a.number("employees", row, minimum: 0), try a.text("office_location", row)
            )
        }
        var product: [String: (series: String, price: Double)] = [:]
        for row in 0..<p.rowCount {
            product[try p.text("product", row).replacingSpaces()] = (
                try p.text("series", row), try p.number("sales_price", row, minimum: 0)
            )
        }
        var open: [String: Int] = [:]
        var leads: [Lead] = []
        var outcomes: [Outcome] = []
        var ids = UniqueKeys()
        for row in 0..<o.rowCount {
            let id = try o.text("opportunity_id", row)
            try ids.insert(id, column: "opportunity_id", row: row, in: o)
            let agent = try o.text("sales_agent", row)
            let stage = try o.text("deal_stage", row)
            guard stage == "Won" || stage == "Lost" else {
                open[agent, default: 0] += 1
                continue
            }
            let accountName = try o.text("account", row)
            guard let customer = account[accountName] else {
                throw .unknownReference(
                    file: o.file, line: o.line(row), column: "account", id: accountName, referencedFile: accounts.source)
            }
            let productName = try o.text("product", row)
            guard let item = product[productName.replacingSpaces()] else {
                throw .unknownReference(
                    file: o.file, line: o.line(row), column: "product", id: productName, referencedFile: products.source)
            }
            let engaged = try o.time("engage_date", row), closed = try o.time("close_date", row)
            if closed < engaged {
                throw .outOfOrder(file: o.file, line: o.line(row), column: "close_date", reason: "closed before it was engaged")
            }
            let size = customer.employees < 1000 ? "smb" : customer.employees < 5000 ? "mid-market" : "enterprise"
            leads.append(
                Lead(
                    id: id, created: engaged, region: customer.country, country: customer.country, vertical: customer.sector,
                    technology: item.series, sizeBand: size, estimatedValue: item.price, source: "crm",
                    requiredCertifications: [], accountID: accountName))
            let won = stage == "Won"
            outcomes.append(
                Outcome(
                    leadID: id, partnerID: agent, assigned: engaged, outcome: won ? .won : .lost, closed: closed,
                    revenue: won ? try o.number("close_value", row, minimum: 0) : 0))
        }
        let capacity = max(1, open.values.max() ?? 0)
        var partners: [Partner] = []
        var agents = UniqueKeys()
        for row in 0..<t.rowCount {
            let agent = try t.text("sales_agent", row)
            try agents.insert(agent, column: "sales_agent", row: row, in: t)
            partners.append(
                Partner(
                    id: agent, name: agent, type: .reseller, tier: .registered, region: try t.text("regional_office", row),
                    country: "US", verticals: [], technologies: [], certifications: [], capacity: capacity,
                    openLeads: open[agent] ?? 0, status: .active, managerID: try t.text("manager", row),
                    joined: Timestamp(year: 2016, month: 1, day: 1),
                    activity: ActivityFigures(
                        portalLogins: 0, trainingsCompleted: 0, dealRegistrations: 0, marketingFundsUsed: 0, revenue: 0)))
        }
        let known = Set(partners.map(\.id))
        for row in 0..<o.rowCount where !known.contains(try o.text("sales_agent", row)) {
            throw .unknownReference(
                file: o.file, line: o.line(row), column: "sales_agent", id: try o.text("sales_agent", row),
                referencedFile: teams.source)
        }
        return Ecosystem(partners: partners, leads: leads, outcomes: outcomes)
    }
}

extension String {
    fileprivate func replacingSpaces() -> String { filter { $0 != " " } }
}
