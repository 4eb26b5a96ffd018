import Foundation

/// Request counts and latencies, written as Prometheus text with the service's gauges.
public final class ServiceMetrics: @unchecked Sendable {
    /// Histogram bucket upper bounds, in seconds.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

    struct Key: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    struct Latency {
        var counts = [Int](repeating: 0, count: ServiceMetrics.buckets.count)
        var total = 0
        var sum = 0.0
    }

    private let lock = NSLock()
    private var requests: [Key: Int] = [:]
    private var latency: [String: Latency] = [:]

    public init() {}

    /// Counts one request and its latency.
    public func record(method: String, route: String, status: Int, seconds: Double) {
        lock.withLock {
            requests[Key(method: method, route: route, status: status), default: 0] += 1
            var entry = latency[route, default: Latency()]
            for (index, bound) in Self.buckets.enumerated() where seconds <= bound { entry.counts[index] += 1 }
            entry.total += 1
            entry.sum += seconds
            latency[route] = entry
        }
    }

    /// The Prometheus text exposition: requests by method, route and status; latency histograms by route; the gauges.
    public func text(gauges: [String: Int]) -> String {
        let (requests, latency) = lock.withLock { (self.requests, self.latency) }
        func label(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        }
        var out = "# HELP switchboard_http_requests_total HTTP requests by method, route and status.\n"
        out += "# TYPE switchboard_http_requests_total counter\n"
        for (key, count) in requests.sorted(by: {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }) {
            out +=
                "switchboard_http_requests_total{method=\"\(key.method)\",route=\"\(label(key.route))\",status=\"\(key.status)\"} \(count)\n"
        }
        out += "# HELP switchboard_http_request_duration_seconds HTTP request latency by route.\n"
        out += "# TYPE switchboard_http_request_duration_seconds histogram\n"
        for (route, entry) in latency.sorted(by: { $0.key < $1.key }) {
            let name = "switchboard_http_request_duration_seconds"
            for (index, bound) in Self.buckets.enumerated() {
                out += "\(name)_bucket{route=\"\(label(route))\",le=\"\(bound)\"} \(entry.counts[index])\n"
            }
            out += "\(name)_bucket{route=\"\(label(route))\",le=\"+Inf\"} \(entry.total)\n"
            out += "\(name)_sum{route=\"\(label(route))\"} \(entry.sum)\n"
            out += "\(name)_count{route=\"\(label(route))\"} \(entry.total)\n"
        }
        out += "# HELP switchboard_queue_length Leads waiting for capacity.\n# TYPE switchboard_queue_length gauge\n"
        out += "switchboard_queue_length \(gauges["queue"] ?? 0)\n"
        out += "# HELP switchboard_leads Leads by state.\n# TYPE switchboard_leads gauge\n"
        for (name, value) in gauges.sorted(by: { $0.key < $1.key }) where name.hasPrefix("leads_") {
            out += "switchboard_leads{state=\"\(name.dropFirst("leads_".count))\"} \(value)\n"
        }
        out += "# HELP switchboard_offers Offers by state.\n# TYPE switchboard_offers gauge\n"
        for (name, value) in gauges.sorted(by: { $0.key < $1.key }) where name.hasPrefix("offers_") {
            out += "switchboard_offers{state=\"\(name.dropFirst("offers_".count))\"} \(value)\n"
        }
        out += "# HELP switchboard_ledger_events Events in the ledger.\n# TYPE switchboard_ledger_events gauge\n"
        out += "switchboard_ledger_events \(gauges["events"] ?? 0)\n"
        out += "# HELP switchboard_partners_paused Paused partners.\n# TYPE switchboard_partners_paused gauge\n"
        out += "switchboard_partners_paused \(gauges["partners_paused"] ?? 0)\n"
        return out
    }
}
