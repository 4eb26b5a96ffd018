import Learning
import Testing

@testable import Switchboard

@Suite struct ModelRouterTests {
    /// Scores are matched to their leads by id, not by position: the same scores in another order give the same
    /// candidates and deal values per lead, and a score for a lead that was not given is an error.
    @Test func theProblemIsKeyedByLeadID() throws {
        let fixture = RecommendFixture.small
        let e = fixture.ecosystem
        let leads = Array(e.leads.prefix(40))
        let router = ModelRouter(
            model: fixture.match, partners: e.partners, rules: EligibilityRules(ineligibleStatuses: [], requireCapacity: false),
            at: fixture.match.historyEnd, candidatesPerLead: 5)
        let (problem, scores) = try router.problem(for: leads, workers: 1)
        #expect(problem.leadIDs == leads.map(\.id))
        let reversed = try ModelRouter.problem(
            scores: scores.reversed(), leads: leads, partners: e.partners, model: fixture.match, at: router.time)
        #expect(reversed.leadIDs == leads.map(\.id).reversed())
        for lead in leads {
            let a = try #require(problem.leadPosition(of: lead.id)), b = try #require(reversed.leadPosition(of: lead.id))
            #expect(problem.dealValues[a] == lead.estimatedValue && reversed.dealValues[b] == lead.estimatedValue)
            let first = (problem.candidateStart[a]..<problem.candidateStart[a + 1]).map(problem.candidate)
            let second = (reversed.candidateStart[b]..<reversed.candidateStart[b + 1]).map(reversed.candidate)
            #expect(first == second)
        }
        #expect(throws: RoutingError.unknownLead(leads[0].id)) {
            _ = try ModelRouter.problem(
                scores: scores, leads: Array(leads.dropFirst()), partners: e.partners, model: fixture.match, at: router.time)
        }
    }
}
