/// The ledger's stored form of an event: the JSON `JSONEncoder` would write for its `Codable` form (the same keys, nil
/// fields left out, `Timestamp` as `{"secondsSinceEpoch": …}`), written by `JSONWriter` with sorted keys. Stored
/// events are read back with `JSONDecoder`, so ledgers written before and after this change read the same.
extension LedgerEvent {
    /// The event as JSON.
    /// - Throws: `JSONWriter.Failure.notFinite` when a number is NaN or infinite (as `JSONEncoder` refuses them).
    public func jsonBytes() throws(JSONWriter.Failure) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + (candidates?.count ?? 0) * 96)
        try writer.object { (members) throws(JSONWriter.Failure) in
            members.string("actor", actor)
            if let candidates {
                members.key("candidates")
                try members.writer.array(candidates) { (writer, candidate) throws(JSONWriter.Failure) in
                    try candidate.write(to: &writer)
                }
            }
            if let expiresAt {
                members.key("expiresAt")
                expiresAt.write(to: &members.writer)
            }
            members.string("kind", kind.rawValue)
            if let lead {
                members.key("lead")
                try lead.write(to: &members.writer)
            }
            members.string("leadID", ifPresent: leadID)
            members.string("modelVersion", ifPresent: modelVersion)
            if let offer {
                members.key("offer")
                try offer.write(to: &members.writer)
            }
            members.string("offerID", ifPresent: offerID)
            members.string("partnerID", ifPresent: partnerID)
            if let prices {
                members.key("prices")
                try members.writer.object { (entries) throws(JSONWriter.Failure) in
                    for key in prices.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                        try entries.double(key, prices[key]!)
                    }
                }
            }
            members.string("reason", ifPresent: reason)
            try members.double("revenue", ifPresent: revenue)
            members.key("time")
            time.write(to: &members.writer)
            members.bool("won", ifPresent: won)
        }
        return writer.bytes
    }
}

extension Timestamp {
    func write(to writer: inout JSONWriter) {
        // A closure that cannot throw: the object holds one integer.
        try? writer.object { (members) throws(JSONWriter.Failure) in
            members.integer("secondsSinceEpoch", secondsSinceEpoch)
        }
    }
}

extension LiveCandidate {
    func write(to writer: inout JSONWriter) throws(JSONWriter.Failure) {
        try writer.object { (members) throws(JSONWriter.Failure) in
            try members.double("expectedValue", expectedValue)
            members.bool("isAccountOwner", isAccountOwner)
            members.string("partnerID", partnerID)
            try members.double("winProbability", ifPresent: winProbability)
        }
    }
}

extension OfferExplanation {
    func write(to writer: inout JSONWriter) throws(JSONWriter.Failure) {
        try writer.object { (members) throws(JSONWriter.Failure) in
            try members.double("alternativeExpectedValue", ifPresent: alternativeExpectedValue)
            members.string("alternativeNotChosen", ifPresent: alternativeNotChosen)
            members.string("basis", basis)
            members.string("bestAlternative", ifPresent: bestAlternative)
            members.integer("candidateCount", candidateCount)
            try members.double("expectedValue", expectedValue)
            members.integer("rank", rank)
            try members.double("shadowPrice", shadowPrice)
            try members.double("winProbability", ifPresent: winProbability)
        }
    }
}

extension Lead {
    func write(to writer: inout JSONWriter) throws(JSONWriter.Failure) {
        try writer.object { (members) throws(JSONWriter.Failure) in
            members.string("accountID", ifPresent: accountID)
            members.string("country", country)
            members.key("created")
            created.write(to: &members.writer)
            try members.double("estimatedValue", estimatedValue)
            members.string("id", id)
            members.string("region", region)
            members.key("requiredCertifications")
            // Strings only: the closure cannot throw.
            try members.writer.array(requiredCertifications) { (writer, name) throws(JSONWriter.Failure) in writer.string(name) }
            members.string("sizeBand", sizeBand)
            members.string("source", source)
            members.string("technology", technology)
            members.string("vertical", vertical)
        }
    }
}
