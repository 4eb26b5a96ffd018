import Learning
import LinearAlgebra

/// One partner on a lead's list.
public struct RankedPartner: Sendable, Equatable {
    public var partnerID: String
    /// 1 for the head of the list.
    public var rank: Int
    /// P(win) from the match model (Double precision).
    public var winProbability: Double
    /// winProbability × the lead's estimated deal value.
    public var expectedValue: Double
    /// Whether the partner owns the lead's account (and so heads the list).
    public var isAccountOwner: Bool
}

/// A lead's score and its best eligible partners.
public struct LeadScore: Sendable, Equatable {
    public var leadID: String
    /// The win probability with its best eligible partner; nil when no partner is eligible.
    public var leadScore: Double?
    /// How many partners are eligible for it.
    public var eligibleCount: Int
    /// The top eligible partners: the account owner first when it is eligible, then by win probability (ties by
    /// partner id).
    public var partners: [RankedPartner]
    /// Why no partner is eligible (nil when one is).
    public var reason: String?
}

/// Scores leads against every eligible partner with the match model, keeping each lead's top K.
///
/// The partners are fixed when the scorer is built (their states as of `time`: track records from the model, open
/// leads and capacity as given); leads are scored in chunks by `score(_:top:)`, so memory is bounded by a chunk and
/// the partner side. Partners that no lead can get (an ineligible status, or no capacity left when capacity is
/// required) are dropped up front; the rest form the columns of a `BilinearTopK` (Float32 GEMM screening under a
/// certificate, then the canonical Double margins of `BilinearMargins`), ordered by partner id so ties go to the
/// lower id. Per-lead eligibility (territory, certifications, blocked accounts) is a column mask, built once per
/// distinct (region, country, required certifications, blocked account) within a call.
///
/// Every figure of a lead's score depends only on that lead, the partners, the rules and the model: not on the other
/// leads of the call, on how leads are split into calls, on `workers`, BLAS's thread count or the CPU. The scorer
/// holds no mutable state, so one scorer can serve concurrent calls.
public final class LeadScorer: Sendable {
    public let model: MatchModel
    public let rules: EligibilityRules
    /// All partners, by id.
    public let partners: [Partner]
    /// Indices into `partners` of those that can take leads at all: the scorer's columns.
    let pool: [Int]
    let topK: BilinearTopK
    let coverage: [Coverage]
    let excluded: [String: [Int]]
    let poolColumn: [String: Int]
    /// The partner id of each column.
    let columnIDs: [String]
    /// Whether every lead may go to every column (no territory, certification or blocked account narrows the pool):
    /// then no lead needs a mask.
    let everyColumnEligible: Bool

    /// - Throws: `LearningError` when the model's W or the partners' encoding holds a non-finite value.
    public init(model: MatchModel, partners: [Partner], rules: EligibilityRules, at time: Timestamp, blockSize: Int = 512)
        throws(LearningError)
    {
        self.model = model
        self.rules = rules
        self.partners = partners.sorted { $0.id < $1.id }
        let sorted = self.partners
        pool = sorted.indices.filter { Self.takesLeads(sorted[$0], rules) }
        let coverage = sorted.map { Coverage($0, rules) }
        self.coverage = coverage
        var column: [String: Int] = [:]
        for (c, p) in pool.enumerated() { column[sorted[p].id] = c }
        poolColumn = column
        columnIDs = pool.map { sorted[$0].id }
        var blocked: [String: [Int]] = [:]
        for exclusion in rules.exclusions {
            if let c = column[exclusion.partner] { blocked[exclusion.account, default: []].append(c) }
        }
        excluded = blocked
        everyColumnEligible =
            !rules.requireCertifications && blocked.isEmpty && pool.allSatisfy { coverage[$0].any }
        let states = model.states(of: pool.map { sorted[$0] }, at: time)
        topK = try BilinearTopK(
            interaction: model.regression.matrix, right: model.encoding.rightDesign(states), blockSize: blockSize)
    }

    static func takesLeads(_ partner: Partner, _ rules: EligibilityRules) -> Bool {
        !rules.ineligibleStatuses.contains(partner.status) && (!rules.requireCapacity || partner.remainingCapacity > 0)
    }

    /// Where a partner takes leads from.
    struct Coverage {
        var any: Bool
        var regions: Set<String>
        var countries: Set<String>

        init(_ partner: Partner, _ rules: EligibilityRules) {
            if let listed = rules.territories[partner.id] {
                any = false
                regions = Set(listed.regions)
                countries = Set(listed.countries)
            } else {
                any = rules.territory == .any
                regions = rules.territory == .region ? [partner.region] : []
                countries = rules.territory == .country ? [partner.country] : []
            }
        }

        func covers(_ lead: Lead) -> Bool { any || regions.contains(lead.region) || countries.contains(lead.country) }
    }

    /// The number of partners that can take leads at all (status and capacity).
    public var poolCount: Int { pool.count }

    /// Scores `leads`: each lead's score, its eligible count and its top `k` partners, in input order.
    /// - Complexity: O(n·a·b + n·m·b) with m the partners that take leads; memory O(n·k) besides the scorer.
    public func score(_ leads: [Lead], top k: Int, workers: Int? = nil) throws(LearningError) -> [LeadScore] {
        guard k >= 1 else { throw .invalidParameter(name: "top", value: "\(k)", requirement: "must be at least 1") }
        if leads.isEmpty { return [] }
        var cache = MaskCache()
        let rowMasks =
            everyColumnEligible ? [Int32](repeating: -1, count: leads.count) : leads.map { rowMask(for: $0, in: &cache) }
        let masks = cache.masks
        let design = model.encoding.leftDesign(leads)
        // One more than k, so that an owner at the head of the list still leaves k others to choose from.
        let selection = try topK.select(left: design, k: k + 1, masks: masks, rowMasks: rowMasks, workers: workers)
        let a = design.columnCount, slots = selection.k
        var scores: [LeadScore] = []
        scores.reserveCapacity(leads.count)
        for (i, lead) in leads.enumerated() {
            let chosen = Int(selection.counts[i])
            let eligible = Int(selection.eligibleCounts[i])
            guard chosen > 0 else {
                scores.append(
                    LeadScore(leadID: lead.id, leadScore: nil, eligibleCount: 0, partners: [], reason: reason(lead)))
                continue
            }
            let first = i * slots
            var partners: [RankedPartner] = []
            partners.reserveCapacity(min(k, chosen + 1))
            func append(column: Int, margin: Double, owner: Bool) {
                let probability = Kernels.sigmoid(margin)
                partners.append(
                    RankedPartner(
                        partnerID: columnIDs[column], rank: partners.count + 1, winProbability: probability,
                        expectedValue: probability * lead.estimatedValue, isAccountOwner: owner))
            }
            var ownerColumn = -1
            if let account = lead.accountID, let ownerID = rules.accountOwners[account], let owner = poolColumn[ownerID],
                rowMasks[i] < 0 || masks[Int(rowMasks[i])].contains(owner)
            {
                let held = (first..<(first + chosen)).first { Int(selection.columns[$0]) == owner }
                let margin =
                    held.map { selection.margins[$0] }
                    ?? topK.margin(left: design.storage[(i * a)..<((i + 1) * a)], column: owner)
                append(column: owner, margin: margin, owner: true)
                ownerColumn = owner
            }
            for slot in first..<(first + chosen) where partners.count < k {
                let column = Int(selection.columns[slot])
                if column != ownerColumn { append(column: column, margin: selection.margins[slot], owner: false) }
            }
            scores.append(
                LeadScore(
                    leadID: lead.id, leadScore: Kernels.sigmoid(selection.margins[first]), eligibleCount: eligible,
                    partners: partners, reason: nil))
        }
        return scores
    }

    /// The column masks of one call, each built once.
    struct MaskCache {
        var masks: [ColumnMask] = []
        var maskIndex: [MaskKey: Int32] = [:]
        var territoryMasks: [TerritoryKey: ColumnMask] = [:]
        var certificationMasks: [[String]: ColumnMask] = [:]
    }

    /// What decides a lead's mask: its territory, the certifications it requires (sorted, once each; empty when
    /// certifications are not required) and its account when the account is blocked for some partner.
    struct MaskKey: Hashable {
        var region: String
        var country: String
        var required: [String]
        var blockedAccount: String?
    }

    struct TerritoryKey: Hashable {
        var region: String
        var country: String
    }

    /// The index of the lead's column mask (-1 when every column is eligible), built and cached on first use.
    private func rowMask(for lead: Lead, in cache: inout MaskCache) -> Int32 {
        let required = rules.requireCertifications ? Self.sortedOnce(lead.requiredCertifications) : []
        let blocked = lead.accountID.flatMap { excluded[$0] } ?? []
        let key = MaskKey(
            region: lead.region, country: lead.country, required: required,
            blockedAccount: blocked.isEmpty ? nil : lead.accountID)
        if let index = cache.maskIndex[key] { return index }
        var mask = territoryMask(lead, &cache)
        if !required.isEmpty { mask = mask.intersection(certificationMask(required, &cache)) }
        for column in blocked { mask.remove(column) }
        let index: Int32
        if mask.count == pool.count {
            index = -1
        } else {
            index = Int32(cache.masks.count)
            cache.masks.append(mask)
        }
        cache.maskIndex[key] = index
        return index
    }

    /// `values` sorted with duplicates removed (as read from a file they already are: then no copy is made).
    static func sortedOnce(_ values: [String]) -> [String] {
        var ascending = true
        for index in values.indices.dropFirst() where !(values[index - 1] < values[index]) {
            ascending = false
            break
        }
        return ascending ? values : Array(Set(values)).sorted()
    }

    private func territoryMask(_ lead: Lead, _ cache: inout MaskCache) -> ColumnMask {
        let key = TerritoryKey(region: lead.region, country: lead.country)
        if let mask = cache.territoryMasks[key] { return mask }
        let mask = ColumnMask(columnCount: pool.count, columns: pool.indices.filter { coverage[pool[$0]].covers(lead) })
        cache.territoryMasks[key] = mask
        return mask
    }

    private func certificationMask(_ required: [String], _ cache: inout MaskCache) -> ColumnMask {
        if let mask = cache.certificationMasks[required] { return mask }
        let mask = ColumnMask(
            columnCount: pool.count,
            columns: pool.indices.filter { Set(partners[pool[$0]].certifications).isSuperset(of: required) })
        cache.certificationMasks[required] = mask
        return mask
    }

    /// Why no partner is eligible for `lead`: the first rule that leaves none, applied in order.
    func reason(_ lead: Lead) -> String {
        let covering = partners.indices.filter { coverage[$0].covers(lead) }
        let place = "region \(lead.region), country \(lead.country)"
        if covering.isEmpty { return "no partner covers \(place)" }
        let active = covering.filter { !rules.ineligibleStatuses.contains(partners[$0].status) }
        if active.isEmpty { return "every partner covering \(place) is \(statusList())" }
        let open = active.filter { !rules.requireCapacity || partners[$0].remainingCapacity > 0 }
        if open.isEmpty { return "every active partner covering \(place) has no capacity left" }
        let required = rules.requireCertifications ? Set(lead.requiredCertifications) : []
        let certified = open.filter { Set(partners[$0].certifications).isSuperset(of: required) }
        if certified.isEmpty {
            return "no active partner with capacity covering \(place) holds \(required.sorted().joined(separator: " + "))"
        }
        return "account \(lead.accountID ?? "") is blocked for every partner that would qualify"
    }

    private func statusList() -> String {
        rules.ineligibleStatuses.map(\.rawValue).joined(separator: " or ")
    }
}
