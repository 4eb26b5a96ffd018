import LinearAlgebra

/// What the generator returns: the records a CRM or partner portal would export, the leads still to route, and
/// the hidden truth they were drawn from.
public struct GeneratedEcosystem: Sendable {
    public var ecosystem: Ecosystem
    /// New leads created after the history ends, not yet assigned.
    public var incoming: [Lead]
    public var truth: EcosystemTruth
    /// Firmographics, partner-sourced performance, applicants and their truth (`PotentialGenerator`).
    public var potential: GeneratedPotential? = nil
    /// Onboarding cohorts and their truth (`OnboardingGenerator`).
    public var onboarding: GeneratedOnboarding? = nil
}

/// A seeded simulation of a partner ecosystem, month by month.
///
/// Partners have a long-tailed size (capacity is Pareto distributed: a few large partners, many small), expertise
/// in a few verticals and technologies, certifications, a hidden quality and per-vertical skill, and a latent
/// engagement that drifts (for some it fades) and drives their portal activity. Each month, leads arrive and are
/// routed the way vendors do today (candidates from the lead's region, weighted by size and expertise, account
/// owners first), then worked: declined when the partner is over capacity, left to expire, won or lost with the
/// probability in `EcosystemTruth`. Partners churn with a probability driven by falling engagement; channel
/// managers push actions (more often to fading partners) whose true effects raise quality and engagement.
/// Everything depends only on the seed.
public struct EcosystemGenerator: Sendable {
    public var partnerCount: Int
    /// Historical leads (each yields one outcome, or two when the first partner declines).
    public var leadCount: Int
    /// Months of history.
    public var periodCount: Int
    /// Leads created after the history, for scoring and routing.
    public var incomingCount: Int
    public var seed: UInt64
    /// The first day of the history.
    public var start = Timestamp(year: 2024, month: 1, day: 1)
    /// Whether partner potential's drivers differ by partner type (`PotentialGenerator`).
    public var potentialEffects = PotentialEffects.segmentSpecific

    public init(partnerCount: Int, leadCount: Int, periodCount: Int, incomingCount: Int, seed: UInt64) {
        self.partnerCount = partnerCount
        self.leadCount = leadCount
        self.periodCount = periodCount
        self.incomingCount = incomingCount
        self.seed = seed
    }

    /// The catalogue of actions, with the effects it advertises and the true effects the simulation applies.
    static let catalogue:
        [(
            id: String, name: String, type: ActionType, types: [PartnerType], tiers: [PartnerTier], cost: Double,
            advertised: [ActionEffect], winLogit: Double, engagement: Double
        )] = [
            (
                "ACT01", "Security specialist certification", .certification, [], [], 2500,
                [ActionEffect(attribute: "trainings_completed", change: 2)], 0.30, 0.10
            ),
            (
                "ACT02", "Cloud architect certification", .certification, [], [], 2500,
                [ActionEffect(attribute: "trainings_completed", change: 2)], 0.25, 0.10
            ),
            (
                "ACT03", "Sales enablement training", .training, [], [], 600,
                [ActionEffect(attribute: "trainings_completed", change: 1)], 0.15, 0.15
            ),
            (
                "ACT04", "Technical deep-dive training", .training, [], [], 900,
                [ActionEffect(attribute: "trainings_completed", change: 1)], 0.20, 0.05
            ),
            (
                "ACT05", "Co-marketing campaign", .campaign, [.reseller, .msp, .systemIntegrator, .distributor], [], 5000,
                [
                    ActionEffect(attribute: "marketing_funds_used", change: 5000),
                    ActionEffect(attribute: "deal_registrations", change: 3),
                ], 0.05, 0.25
            ),
            (
                "ACT06", "Deal registration incentive", .incentive, [], [], 1500,
                [ActionEffect(attribute: "deal_registrations", change: 2)], 0.10, 0.20
            ),
            (
                "ACT07", "Onboarding accelerator", .onboarding, [], [.registered, .silver], 800,
                [
                    ActionEffect(attribute: "portal_logins", change: 10),
                    ActionEffect(attribute: "trainings_completed", change: 1),
                ], 0.20, 0.35
            ),
            ("ACT08", "Quarterly business review", .businessReview, [], [.platinum, .gold], 1200, [], 0.10, 0.20),
            (
                "ACT09", "Referral bonus", .incentive, [.referral], [], 500,
                [ActionEffect(attribute: "deal_registrations", change: 1)], 0.0, 0.15
            ),
            (
                "ACT10", "Partner portal webinar", .training, [], [], 100,
                [ActionEffect(attribute: "portal_logins", change: 2)], 0.02, 0.02
            ),
        ]

    /// Runs the simulation.
    /// - Complexity: O(leads · candidates + partners · periods); about a second per 100,000 leads in release builds.
    public func generate() -> GeneratedEcosystem {
        var rng = SeededGenerator(seed: seed)
        var world = World(generator: self, rng: &rng)
        for period in 0..<periodCount { world.simulate(period: period, rng: &rng) }
        var generated = world.finish(rng: &rng)
        generated.potential = PotentialGenerator(
            seed: seed, effects: potentialEffects,
            applicantCount: PotentialGenerator.defaultApplicantCount(partnerCount: partnerCount)
        ).generate(ecosystem: generated.ecosystem, periodCount: periodCount, start: start)
        let counts = OnboardingGenerator.defaultCounts(partnerCount: partnerCount)
        generated.onboarding = OnboardingGenerator(seed: seed, historyCount: counts.history, newCount: counts.new)
            .generate(actions: generated.ecosystem.actions)
        return generated
    }

    func periodStart(_ period: Int) -> Timestamp {
        let (y, m, _) = Timestamp.civilFromDays(Int(start.secondsSinceEpoch / 86_400))
        let months = (m - 1) + period
        return Timestamp(year: y + months / 12, month: months % 12 + 1, day: 1)
    }
}

/// The simulation's mutable state.
struct World {
    let generator: EcosystemGenerator
    var partners: [Partner] = []
    var quality: [Double] = []
    var skill: [[Double]] = []
    var engagement: [Double] = []
    var drift: [Double] = []
    var fadeFrom: [Int] = []
    var joinPeriod: [Int] = []
    var churnedAfter: [Int?] = []
    var held: [[(assigned: Int64, closed: Int64)]] = []
    var history: [[ActivityFigures]] = []
    var wonRevenue: [Double] = []
    var accounts: [(id: String, owner: Int)] = []
    var leads: [Lead] = []
    var outcomes: [Outcome] = []
    var activity: [PartnerActivity] = []
    var actionsTaken: [ActionTaken] = []
    var truthPairs: [(leadID: String, partnerID: String, winProbability: Double)] = []
    var truthChurn: [(partnerID: String, period: Int, churnProbability: Double)] = []
    var nextLead = 1

    init(generator: EcosystemGenerator, rng: inout SeededGenerator) {
        self.generator = generator
        let n = generator.partnerCount
        let prefixes = [
            "Blue", "North", "Apex", "Cedar", "Summit", "Iron", "Nimbus", "Vertex", "Harbor", "Quantum", "Silver", "Bright",
        ]
        let suffixes = [
            "Systems", "Solutions", "Networks", "Partners", "Technologies", "Consulting", "IT", "Digital", "Group", "Labs",
        ]
        let typeWeights: [(PartnerType, Double)] = [
            (.reseller, 0.30), (.msp, 0.20), (.systemIntegrator, 0.15), (.isv, 0.10), (.oem, 0.05), (.referral, 0.15),
            (.distributor, 0.05),
        ]
        let managers = max(1, (n + 24) / 25)
        for index in 0..<n {
            // Pareto(α = 1.2) size: capacity 2…250, median about 5.
            let size = Kernels.exponential(-Kernels.logarithm(1 - rng.nextUniform()) / 1.2)
            let capacity = min(250, max(2, Int((3 * size).rounded())))
            let logSize = Kernels.logarithm(Double(capacity))
            let tierScore = logSize + 0.5 * rng.nextGaussian()
            let tier: PartnerTier =
                tierScore > 3.4 ? .platinum : tierScore > 2.5 ? .gold : tierScore > 1.6 ? .silver : .registered
            let type = weighted(typeWeights, &rng)
            let region = Int(rng.nextUniform() * Double(Vocabulary.regions.count))
            let countries = Vocabulary.regions[region].countries
            let breadth = min(4, 1 + Int(rng.nextUniform() * 2) + (capacity > 20 ? 1 : 0) + (capacity > 60 ? 1 : 0))
            let verticals = sample(Vocabulary.verticals, breadth, &rng)
            let technologies = sample(Vocabulary.technologies, min(3, max(1, breadth - Int(rng.nextUniform() * 2))), &rng)
            var certifications: [String] = []
            for (t, technology) in Vocabulary.technologies.enumerated() {
                let held = technologies.contains(technology) ? 0.6 : 0.04
                if rng.nextUniform() < held { certifications.append(Vocabulary.certifications[t]) }
            }
            let joins = rng.nextUniform() < 0.2 ? 1 + Int(rng.nextUniform() * Double(max(1, generator.periodCount - 1))) : 0
            let joined: Timestamp =
                joins == 0
                ? generator.start.adding(days: -(30 + rng.nextUniform() * 6 * 365).rounded())
                : generator.periodStart(joins).adding(days: (rng.nextUniform() * 27).rounded())
            let name =
                "\(prefixes[Int(rng.nextUniform() * Double(prefixes.count))]) \(suffixes[Int(rng.nextUniform() * Double(suffixes.count))])"
            partners.append(
                Partner(
                    id: "P\(pad(index + 1, 4))", name: name, type: type, tier: tier,
                    region: Vocabulary.regions[region].name, country: countries[Int(rng.nextUniform() * Double(countries.count))],
                    verticals: verticals.sorted(), technologies: technologies.sorted(), certifications: certifications.sorted(),
                    capacity: capacity, openLeads: 0, status: .active, managerID: "M\(pad(index % managers + 1, 2))",
                    joined: joined,
                    activity: ActivityFigures(
                        portalLogins: 0, trainingsCompleted: 0, dealRegistrations: 0, marketingFundsUsed: 0, revenue: 0)))
            quality.append(0.12 * rng.nextGaussian() + 0.08 * (logSize - 1.6))
            skill.append((0..<Vocabulary.verticals.count).map { _ in 0.08 * rng.nextGaussian() })
            engagement.append(0.4 * rng.nextGaussian())
            let fades = rng.nextUniform() < 0.3
            drift.append(fades ? -0.12 - 0.08 * rng.nextUniform() : 0.02 * rng.nextGaussian())
            fadeFrom.append(fades ? joins + Int(rng.nextUniform() * Double(generator.periodCount)) : Int.max)
            joinPeriod.append(joins)
            churnedAfter.append(nil)
            held.append([])
            history.append([])
            for _ in 0..<(1 + capacity / 3) { accounts.append(("A\(pad(accounts.count + 1, 6))", index)) }
        }
        wonRevenue = [Double](repeating: 0, count: n)
    }

    func isActive(_ p: Int, in period: Int) -> Bool {
        joinPeriod[p] <= period && (churnedAfter[p].map { period <= $0 } ?? true)
    }

    mutating func simulate(period: Int, rng: inout SeededGenerator) {
        let n = partners.count
        let from = generator.periodStart(period), to = generator.periodStart(period + 1)
        let active = (0..<n).filter { isActive($0, in: period) }
        var byRegion: [String: [Int]] = [:]
        for p in active { byRegion[partners[p].region, default: []].append(p) }
        for p in active { wonRevenue[p] = 0 }
        // Leads of the month, in time order.
        let perPeriod =
            generator.leadCount / generator.periodCount + (period < generator.leadCount % generator.periodCount ? 1 : 0)
        let span = Double(to.secondsSinceEpoch - from.secondsSinceEpoch)
        let times = (0..<perPeriod).map { _ in from.secondsSinceEpoch + Int64(rng.nextUniform() * span) }.sorted()
        for (index, time) in times.enumerated() where !active.isEmpty {
            if index % 256 == 0 { forgetClosed(before: Timestamp(secondsSinceEpoch: time)) }
            let (lead, owner) = makeLead(created: Timestamp(secondsSinceEpoch: time), rng: &rng)
            leads.append(lead)
            work(lead, owner: owner, active: active, byRegion: byRegion, period: period, rng: &rng)
        }
        // Activity, churn and actions.
        for p in active {
            let e = engagement[p]
            let logCapacity = Kernels.logarithm(Double(partners[p].capacity))
            let figures = ActivityFigures(
                portalLogins: poisson(Kernels.exponential(2.3 + 0.25 * logCapacity + e), &rng),
                trainingsCompleted: poisson(Kernels.exponential(-0.7 + 0.8 * e), &rng),
                dealRegistrations: poisson(Kernels.exponential(-0.5 + 0.45 * logCapacity + 0.7 * e), &rng),
                marketingFundsUsed: rng.nextUniform() < 0.4
                    ? (500 * Double(partners[p].capacity).squareRoot() * Kernels.exponential(0.5 * e + 0.5 * rng.nextGaussian()))
                        .rounded()
                    : 0,
                revenue: wonRevenue[p].rounded())
            history[p].append(figures)
            let churnProbability = Kernels.sigmoid(EcosystemTruth.churnLogit(history: history[p], tier: partners[p].tier))
            let churns = rng.nextUniform() < churnProbability
            activity.append(PartnerActivity(partnerID: partners[p].id, period: period, figures: figures, churnedNext: churns))
            truthChurn.append((partners[p].id, period, churnProbability))
            if churns { churnedAfter[p] = period }
            // Channel managers push actions, more often to partners whose engagement is fading.
            let fading = period >= fadeFrom[p]
            if !churns, rng.nextUniform() < (fading ? 0.16 : 0.06) {
                let eligible = EcosystemGenerator.catalogue.indices.filter { index in
                    let action = EcosystemGenerator.catalogue[index]
                    return (action.types.isEmpty || action.types.contains(partners[p].type))
                        && (action.tiers.isEmpty || action.tiers.contains(partners[p].tier))
                }
                let chosen = EcosystemGenerator.catalogue[eligible[Int(rng.nextUniform() * Double(eligible.count))]]
                actionsTaken.append(
                    ActionTaken(
                        partnerID: partners[p].id, actionID: chosen.id,
                        time: Timestamp(secondsSinceEpoch: from.secondsSinceEpoch + Int64(rng.nextUniform() * span))))
                quality[p] += chosen.winLogit
                engagement[p] += chosen.engagement
            }
            engagement[p] += (fading ? drift[p] : 0.02 * rng.nextGaussian()) + 0.1 * rng.nextGaussian()
        }
    }

    mutating func makeLead(created: Timestamp, rng: inout SeededGenerator) -> (Lead, Int?) {
        var owner: Int? = nil
        var accountID: String? = nil
        var region = weightedIndex([0.4, 0.3, 0.2, 0.1], &rng)
        if rng.nextUniform() < 0.1 {
            let account = accounts[Int(rng.nextUniform() * Double(accounts.count))]
            accountID = account.id
            owner = account.owner
            region = Vocabulary.regions.firstIndex { $0.name == partners[account.owner].region }!
        }
        let countries = Vocabulary.regions[region].countries
        let size = weightedIndex([0.5, 0.35, 0.15], &rng)
        let technology = Int(rng.nextUniform() * Double(Vocabulary.technologies.count))
        let value = ([8_000.0, 40_000, 180_000][size] * Kernels.exponential(0.7 * rng.nextGaussian())).rounded()
        var required: [String] = []
        if rng.nextUniform() < [0.1, 0.2, 0.4][size] { required = [Vocabulary.certifications[technology]] }
        let lead = Lead(
            id: "L\(pad(nextLead, 7))", created: created, region: Vocabulary.regions[region].name,
            country: countries[Int(rng.nextUniform() * Double(countries.count))],
            vertical: Vocabulary.verticals[weightedIndex([0.18, 0.17, 0.15, 0.14, 0.1, 0.08, 0.08, 0.1], &rng)],
            technology: Vocabulary.technologies[technology], sizeBand: Vocabulary.sizeBands[size], estimatedValue: value,
            source: Vocabulary.sources[weightedIndex([0.35, 0.15, 0.12, 0.18, 0.1, 0.1], &rng)],
            requiredCertifications: required, accountID: accountID)
        nextLead += 1
        return (lead, owner)
    }

    /// Today's routing: the account owner when there is one and it is active; otherwise one of ten random
    /// candidates (mostly from the lead's region) drawn with weight size^0.8 × expertise, with partners at
    /// capacity rarely picked. A decline sends the lead to a second partner.
    mutating func work(
        _ lead: Lead, owner: Int?, active: [Int], byRegion: [String: [Int]], period: Int, rng: inout SeededGenerator
    ) {
        var assigned = lead.created.adding(days: 0.1 + 1.9 * rng.nextUniform())
        var excluded: Int? = nil
        for attempt in 0..<2 {
            var chosen: Int
            if attempt == 0, let owner, isActive(owner, in: period) {
                chosen = owner
            } else {
                let pool = rng.nextUniform() < 0.85 ? (byRegion[lead.region] ?? active) : active
                var candidates: [(Int, Double)] = []
                for _ in 0..<10 {
                    let p = pool[Int(rng.nextUniform() * Double(pool.count))]
                    if p == excluded { continue }
                    let partner = partners[p]
                    var weight = Kernels.exponential(0.8 * Kernels.logarithm(Double(partner.capacity)))
                    if partner.verticals.contains(lead.vertical) { weight *= 3 }
                    if partner.technologies.contains(lead.technology) { weight *= 2.5 }
                    if openCount(p, at: assigned) >= partner.capacity { weight *= 0.2 }
                    candidates.append((p, weight))
                }
                guard !candidates.isEmpty else { return }
                chosen = weighted(candidates, &rng)
            }
            let utilisation = Double(openCount(chosen, at: assigned)) / Double(partners[chosen].capacity)
            let partnerID = partners[chosen].id
            let declineProbability = min(0.9, 0.02 + 0.5 * max(0, utilisation - 1))
            if rng.nextUniform() < declineProbability {
                let closed = assigned.adding(days: 0.5 + 2.5 * rng.nextUniform())
                outcomes.append(
                    Outcome(
                        leadID: lead.id, partnerID: partnerID, assigned: assigned, outcome: .declined, closed: closed, revenue: 0)
                )
                excluded = chosen
                assigned = closed
                continue
            }
            let z = EcosystemTruth.winLogit(
                lead: lead, partner: partners[chosen], quality: quality[chosen], verticalSkill: skill[chosen],
                utilisation: utilisation)
            let p = Kernels.sigmoid(z)
            truthPairs.append((lead.id, partnerID, p))
            let kind: OutcomeKind, closed: Timestamp
            let cycle = [1.0, 1.5, 2.5][Vocabulary.sizeBands.firstIndex(of: lead.sizeBand)!]
            if rng.nextUniform() < p {
                kind = .won
                closed = assigned.adding(days: (cycle * 21 * Kernels.exponential(0.5 * rng.nextGaussian())).rounded())
            } else if rng.nextUniform() < EcosystemTruth.expiryProbability(utilisation: utilisation) {
                kind = .expired
                closed = assigned.adding(days: 30)
            } else {
                kind = .lost
                closed = assigned.adding(days: (cycle * 21 * Kernels.exponential(0.5 * rng.nextGaussian())).rounded())
            }
            var revenue = 0.0
            if kind == .won {
                revenue = (lead.estimatedValue * (0.7 + 0.5 * rng.nextUniform())).rounded()
                wonRevenue[chosen] += revenue
            }
            outcomes.append(
                Outcome(
                    leadID: lead.id, partnerID: partnerID, assigned: assigned, outcome: kind, closed: closed, revenue: revenue))
            held[chosen].append((assigned.secondsSinceEpoch, closed.secondsSinceEpoch))
            return
        }
    }

    /// Open leads of partner `p` at `time`: accepted before it and not closed by it.
    func openCount(_ p: Int, at time: Timestamp) -> Int {
        held[p].count { $0.assigned < time.secondsSinceEpoch && $0.closed > time.secondsSinceEpoch }
    }

    /// Forgets leads closed before `time`; later questions are never about earlier moments than the lead being
    /// created now.
    mutating func forgetClosed(before time: Timestamp) {
        for p in held.indices { held[p].removeAll { $0.closed <= time.secondsSinceEpoch } }
    }

    mutating func finish(rng: inout SeededGenerator) -> GeneratedEcosystem {
        let end = generator.periodStart(generator.periodCount)
        for p in partners.indices {
            partners[p].openLeads = openCount(p, at: end)
            let recent = history[p].suffix(12)
            partners[p].activity = ActivityFigures(
                portalLogins: recent.reduce(0) { $0 + $1.portalLogins },
                trainingsCompleted: recent.reduce(0) { $0 + $1.trainingsCompleted },
                dealRegistrations: recent.reduce(0) { $0 + $1.dealRegistrations },
                marketingFundsUsed: recent.reduce(0) { $0 + $1.marketingFundsUsed },
                revenue: recent.reduce(0) { $0 + $1.revenue })
            if churnedAfter[p] != nil {
                partners[p].status = .paused
            } else {
                let u = rng.nextUniform()
                partners[p].status = u < 0.92 ? .active : u < 0.97 ? .paused : .outOfOffice
            }
        }
        // Incoming leads: the first days after the history; account leads only for accounts already won.
        var owned = Set<String>()
        for lead in leads where lead.accountID != nil { owned.insert(lead.accountID!) }
        var incoming: [Lead] = []
        let span = 14.0 * 86_400
        let times = (0..<generator.incomingCount).map { _ in end.secondsSinceEpoch + Int64(rng.nextUniform() * span) }.sorted()
        for time in times {
            var (lead, _) = makeLead(created: Timestamp(secondsSinceEpoch: time), rng: &rng)
            if let account = lead.accountID, !owned.contains(account) { lead.accountID = nil }
            incoming.append(lead)
        }
        let actions = EcosystemGenerator.catalogue.map {
            Action(
                id: $0.id, name: $0.name, type: $0.type, eligibleTypes: $0.types.sorted { $0.rawValue < $1.rawValue },
                eligibleTiers: $0.tiers.sorted { $0.rawValue < $1.rawValue }, cost: $0.cost,
                effects: $0.advertised.sorted { $0.attribute < $1.attribute })
        }
        var qualityByID: [String: Double] = [:], skillByID: [String: [Double]] = [:]
        for (p, partner) in partners.enumerated() {
            qualityByID[partner.id] = quality[p]
            skillByID[partner.id] = skill[p]
        }
        let truth = EcosystemTruth(
            quality: qualityByID, verticalSkill: skillByID, pairs: truthPairs, churn: truthChurn,
            actionEffects: EcosystemGenerator.catalogue.map { ($0.id, $0.winLogit, $0.engagement) })
        return GeneratedEcosystem(
            ecosystem: Ecosystem(
                partners: partners, leads: leads, outcomes: outcomes, activity: activity, actions: actions,
                actionHistory: actionsTaken),
            incoming: incoming, truth: truth)
    }
}

func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

func weightedIndex(_ weights: [Double], _ rng: inout SeededGenerator) -> Int {
    let total = weights.reduce(0, +)
    let u = rng.nextUniform() * total
    var sum = 0.0
    for (index, weight) in weights.enumerated() {
        sum += weight
        if u < sum { return index }
    }
    return weights.count - 1
}

func weighted<T>(_ items: [(T, Double)], _ rng: inout SeededGenerator) -> T {
    items[weightedIndex(items.map(\.1), &rng)].0
}

/// `count` distinct items in random order.
func sample(_ items: [String], _ count: Int, _ rng: inout SeededGenerator) -> [String] {
    var pool = items
    var chosen: [String] = []
    for _ in 0..<min(count, items.count) {
        chosen.append(pool.remove(at: Int(rng.nextUniform() * Double(pool.count))))
    }
    return chosen
}

/// A Poisson draw: Knuth's product of uniforms below a mean of 30, a rounded normal above.
func poisson(_ mean: Double, _ rng: inout SeededGenerator) -> Double {
    if mean >= 30 { return max(0, (mean + mean.squareRoot() * rng.nextGaussian()).rounded()) }
    let limit = Kernels.exponential(-mean)
    var product = rng.nextUniform()
    var count = 0.0
    while product > limit {
        count += 1
        product *= rng.nextUniform()
    }
    return count
}
