import Foundation
import Learning
import LinearAlgebra
import Testing

@testable import Switchboard

/// Batch scoring against a naive per-pair evaluation: every rule checked by hand, every pair's probability from the
/// Double model, sorted, the owner put first.
@Suite("Lead scoring")
struct LeadScorerTests {
    static let fixture = GeneratedFixture(partners: 150, leads: 2500, periods: 6, incoming: 400, seed: 23)
    static var generated: GeneratedEcosystem { fixture.generated }
    static var trained: MatchModel { fixture.model }

    /// A random instance: the trained model with a random W, partners with random statuses, loads, certifications,
    /// and random rules (territory mode, per-partner territories, exclusions, owners).
    static func instance(seed: UInt64) -> (MatchModel, [Partner], [Lead], EligibilityRules) {
        var rng = SeededGenerator(seed: seed)
        var model = trained
        model.interaction = model.interaction.map { _ in 0.4 * rng.nextGaussian() }
        let certifications = Array(Set(generated.ecosystem.partners.flatMap(\.certifications))).sorted()
        let partners = generated.ecosystem.partners.shuffled(using: &rng).map { partner -> Partner in
            var p = partner
            let u = rng.nextUniform()
            p.status = u < 0.15 ? .paused : u < 0.25 ? .outOfOffice : .active
            p.openLeads = Int(rng.nextUniform() * Double(p.capacity + 2))
            p.certifications = certifications.filter { _ in rng.nextUniform() < 0.4 }
            return p
        }
        let leads = generated.incoming.map { lead -> Lead in
            var l = lead
            l.requiredCertifications = certifications.filter { _ in rng.nextUniform() < 0.15 }
            if rng.nextUniform() < 0.3 { l.accountID = "A\(Int(rng.nextUniform() * 40))" }
            return l
        }
        var rules = EligibilityRules()
        rules.territory = [.region, .country, .any][Int(rng.nextUniform() * 3)]
        let regions = Array(Set(leads.map(\.region))).sorted(), countries = Array(Set(leads.map(\.country))).sorted()
        for partner in partners where rng.nextUniform() < 0.1 {
            rules.territories[partner.id] = .init(
                regions: regions.filter { _ in rng.nextUniform() < 0.3 },
                countries: countries.filter { _ in rng.nextUniform() < 0.2 })
        }
        for account in 0..<40 {
            for _ in 0..<3 {
                rules.exclusions.append(
                    .init(account: "A\(account)", partner: partners[Int(rng.nextUniform() * Double(partners.count))].id))
            }
            if rng.nextUniform() < 0.6 {
                rules.accountOwners["A\(account)"] = partners[Int(rng.nextUniform() * Double(partners.count))].id
            }
        }
        rules.requireCertifications = rng.nextUniform() < 0.8
        return (model, partners, leads, rules)
    }

    /// The rules, spelled out pair by pair.
    static func naiveEligible(_ lead: Lead, _ partner: Partner, _ rules: EligibilityRules) -> Bool {
        if rules.ineligibleStatuses.contains(partner.status) { return false }
        if rules.requireCapacity && partner.openLeads >= partner.capacity { return false }
        if let listed = rules.territories[partner.id] {
            if !listed.regions.contains(lead.region) && !listed.countries.contains(lead.country) { return false }
        } else {
            switch rules.territory {
            case .region: if partner.region != lead.region { return false }
            case .country: if partner.country != lead.country { return false }
            case .any: break
            }
        }
        if rules.requireCertifications && !lead.requiredCertifications.allSatisfy(partner.certifications.contains) {
            return false
        }
        if let account = lead.accountID, rules.exclusions.contains(.init(account: account, partner: partner.id)) { return false }
        return true
    }

    static func naive(
        _ model: MatchModel, _ partners: [Partner], _ leads: [Lead], _ rules: EligibilityRules, k: Int, time: Timestamp
    )
        throws -> [LeadScore]
    {
        try leads.map { lead in
            let eligible = partners.filter { naiveEligible(lead, $0, rules) }
            let probabilities = try model.probabilities(
                leads: Array(repeating: lead, count: eligible.count), states: model.states(of: eligible, at: time))
            var ranked = zip(eligible, probabilities).map { ($0.id, $1) }
            ranked.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            let best = ranked.first?.1
            if let account = lead.accountID, let owner = rules.accountOwners[account],
                let at = ranked.firstIndex(where: { $0.0 == owner })
            {
                ranked.insert(ranked.remove(at: at), at: 0)
            }
            let owner = lead.accountID.flatMap { rules.accountOwners[$0] }
            let partners = ranked.prefix(k).enumerated().map { rank, entry in
                RankedPartner(
                    partnerID: entry.0, rank: rank + 1, winProbability: entry.1, expectedValue: entry.1 * lead.estimatedValue,
                    isAccountOwner: entry.0 == owner)
            }
            return LeadScore(leadID: lead.id, leadScore: best, eligibleCount: eligible.count, partners: partners, reason: nil)
        }
    }

    static func expectClose(_ got: [LeadScore], _ expected: [LeadScore]) {
        #expect(got.count == expected.count)
        for (g, e) in zip(got, expected) {
            #expect(g.leadID == e.leadID && g.eligibleCount == e.eligibleCount, "\(g.leadID)")
            #expect(g.partners.map(\.partnerID) == e.partners.map(\.partnerID), "\(g.leadID)")
            #expect(g.partners.map(\.isAccountOwner) == e.partners.map(\.isAccountOwner), "\(g.leadID)")
            #expect((g.leadScore == nil) == (e.leadScore == nil))
            if let a = g.leadScore, let b = e.leadScore { #expect(abs(a - b) < 1e-9) }
            for (p, q) in zip(g.partners, e.partners) {
                #expect(p.rank == q.rank && abs(p.winProbability - q.winProbability) < 1e-9)
                #expect(abs(p.expectedValue - q.expectedValue) <= 1e-9 * max(1, q.expectedValue))
            }
            #expect((g.reason == nil) == (e.eligibleCount > 0), "\(g.leadID): \(g.reason ?? "")")
        }
    }

    @Test(
        "equals naive per-pair scoring on random instances (masks, owners, exclusions, K beyond the eligible set)",
        arguments: [(UInt64(1), 1), (2, 5), (3, 40), (4, 200)])
    func matchesNaive(seed: UInt64, k: Int) throws {
        let (model, partners, leads, rules) = Self.instance(seed: seed)
        let time = model.historyEnd
        let scorer = try LeadScorer(model: model, partners: partners, rules: rules, at: time, blockSize: 64)
        let got = try scorer.score(leads, top: k)
        Self.expectClose(got, try Self.naive(model, partners, leads, rules, k: k, time: time))
        // The instances exercise masking and owners (leads with no eligible partner: `emptyAndReasons`).
        #expect(
            got.contains { $0.eligibleCount < scorer.poolCount } && got.contains { $0.partners.first?.isAccountOwner == true })
        // Chunked and single-threaded: the same answer.
        let chunked = try stride(from: 0, to: leads.count, by: 37).flatMap {
            try scorer.score(Array(leads[$0..<min(leads.count, $0 + 37)]), top: k, workers: 1)
        }
        #expect(chunked == got)
    }

    @Test("no rule narrows the pool (any territory, no certifications, no exclusions): no masks, equals naive")
    func everyPartnerEligible() throws {
        var (model, partners, leads, rules) = Self.instance(seed: 6)
        rules.territory = .any
        rules.territories = [:]
        rules.requireCertifications = false
        rules.exclusions = []
        let scorer = try LeadScorer(model: model, partners: partners, rules: rules, at: model.historyEnd, blockSize: 64)
        #expect(scorer.everyColumnEligible)
        let got = try scorer.score(leads, top: 5)
        Self.expectClose(got, try Self.naive(model, partners, leads, rules, k: 5, time: model.historyEnd))
        #expect(got.allSatisfy { $0.eligibleCount == scorer.poolCount })
        #expect(got.contains { $0.partners.first?.isAccountOwner == true })
        // One exclusion is enough to need masks again.
        rules.exclusions = [.init(account: "A1", partner: partners.first { LeadScorer.takesLeads($0, rules) }!.id)]
        let masked = try LeadScorer(model: model, partners: partners, rules: rules, at: model.historyEnd, blockSize: 64)
        #expect(!masked.everyColumnEligible)
        Self.expectClose(
            try masked.score(leads, top: 5), try Self.naive(model, partners, leads, rules, k: 5, time: model.historyEnd))
    }

    @Test("no leads, no partners taking leads, and the reasons given")
    func emptyAndReasons() throws {
        let (model, partners, leads, _) = Self.instance(seed: 9)
        let scorer = try LeadScorer(model: model, partners: partners, rules: EligibilityRules(), at: model.historyEnd)
        #expect(try scorer.score([], top: 3).isEmpty)
        let asleep = partners.map { p -> Partner in
            var q = p
            q.status = .paused
            return q
        }
        let none = try LeadScorer(model: model, partners: asleep, rules: EligibilityRules(), at: model.historyEnd)
        let scores = try none.score(Array(leads.prefix(10)), top: 3)
        #expect(scores.allSatisfy { $0.partners.isEmpty && $0.leadScore == nil && $0.eligibleCount == 0 })
        #expect(scores.allSatisfy { $0.reason?.contains("paused or out of office") == true }, "\(scores.map(\.reason))")
        // A region nobody covers, and certifications nobody holds.
        var lead = leads[0]
        lead.region = "Atlantis"
        lead.country = "AT"
        #expect(try scorer.score([lead], top: 1)[0].reason == "no partner covers region Atlantis, country AT")
        lead = leads[0]
        lead.requiredCertifications = ["underwater welding"]
        #expect(try scorer.score([lead], top: 1)[0].reason?.contains("holds underwater welding") == true)
        #expect(throws: LearningError.self) { try scorer.score([lead], top: 0) }
    }

    @Test("the output formats: one CSV row per ranked partner, one JSON object per lead")
    func formats() throws {
        let score = LeadScore(
            leadID: "L\"1", leadScore: 0.75, eligibleCount: 2,
            partners: [
                RankedPartner(partnerID: "P1", rank: 1, winProbability: 0.75, expectedValue: 750, isAccountOwner: true),
                RankedPartner(partnerID: "P2", rank: 2, winProbability: 0.5, expectedValue: 500, isAccountOwner: false),
            ], reason: nil)
        let table = try CSVTable(parsing: Array((LeadScore.header(.csv) + score.output(.csv)).utf8), source: "scores.csv")
        #expect(table.header == LeadScore.csvHeader && table.rowCount == 2)
        #expect(
            table.columns[0] == ["L\"1", "L\"1"] && table.columns[4] == ["P1", "P2"]
                && table.columns[5] == ["0.750000000", "0.500000000"])
        #expect(table.columns[6] == ["750.00", "500.00"] && table.columns[7] == ["true", "false"])
        let json = try JSONSerialization.jsonObject(with: Data(score.output(.jsonl).utf8)) as! [String: Any]
        #expect(json["lead_id"] as? String == "L\"1" && (json["partners"] as? [[String: Any]])?.count == 2)
        let none = LeadScore(leadID: "L2", leadScore: nil, eligibleCount: 0, partners: [], reason: "no partner covers X")
        let row = try CSVTable(parsing: Array((LeadScore.header(.csv) + none.output(.csv)).utf8), source: "s.csv")
        #expect(row.rowCount == 1 && row.columns[8] == ["no partner covers X"] && row.columns[4] == [""])
        let parsed = try JSONSerialization.jsonObject(with: Data(none.output(.jsonl).utf8)) as! [String: Any]
        #expect(parsed["lead_score"] is NSNull && parsed["reason"] as? String == "no partner covers X")
    }

    @Test("rules files: defaults, unknown keys, wrong types, unknown partners")
    func rulesFiles() throws {
        #expect(try EligibilityRules.parse(Array("{}".utf8), source: "r.json") == EligibilityRules())
        let rules = try EligibilityRules.parse(
            Array(#"{"territory":"any","exclusions":[{"account":"A1","partner":"P1"}],"accountOwners":{"A2":"P2"}}"#.utf8),
            source: "r.json")
        #expect(rules.territory == .any && rules.exclusions.count == 1 && rules.accountOwners["A2"] == "P2")
        #expect(
            throws: RulesError(
                source: "r.json",
                message:
                    "unknown key 'teritory' (known: territory, territories, requireCertifications, ineligibleStatuses, requireCapacity, exclusions, accountOwners)"
            )
        ) {
            try EligibilityRules.parse(Array(#"{"teritory":"any"}"#.utf8), source: "r.json")
        }
        #expect(throws: RulesError.self) {
            try EligibilityRules.parse(Array(#"{"requireCapacity":"yes"}"#.utf8), source: "r.json")
        }
        #expect(throws: RulesError.self) { try EligibilityRules.parse(Array("{not json".utf8), source: "r.json") }
        #expect(throws: RulesError.self) { try rules.validate(partnerIDs: ["P2"], source: "r.json") }
        try rules.validate(partnerIDs: ["P1", "P2"], source: "r.json")
    }
}
