// LEMON's min-cost-flow solvers (NetworkSimplex, CostScaling) on the same routing instance as Switchboard's routing
// benchmark: the strongest open min-cost-flow codes, as a peer that a routing team could link into a C++ service.
//
// Build (Benchmarks/run does this): g++ -O3 -march=native -DNDEBUG routing_lemon.cpp -o routing_lemon -llemon
// Run:   routing_lemon --dir DIR --leads N --partners M --algorithm network-simplex|cost-scaling
//
// Reads the instance the Swift benchmark writes as raw little-endian arrays: lead.i32 and partner.i32 (one entry per
// candidate arc, arcs grouped by lead), value.i64 (the arc's value in cents) and capacity.i64 (one per partner), and
// solves, exactly as the OR-Tools peer does,
//     maximise  sum_arcs value * x   subject to   each lead on at most one arc,   partner j on at most capacity_j arcs
// as a min-cost flow: every lead supplies one unit; arcs lead -> partner (capacity 1, cost -value), lead -> sink
// (capacity 1, cost 0: the lead stays unassigned), partner -> sink (capacity_j, cost 0); the sink demands n. The graph
// is a StaticDigraph (LEMON's fastest, arcs sorted by source). Prints one JSON object: graph-building and solve
// seconds, status, optimum, leads assigned, the chosen arcs' value and this process's peak RSS.
#include <lemon/cost_scaling.h>
#include <lemon/network_simplex.h>
#include <lemon/static_graph.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

using Graph = lemon::StaticDigraph;

template <typename T>
static std::vector<T> readRaw(const std::string &path) {
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    if (!file) {
        std::fprintf(stderr, "routing_lemon: cannot read %s\n", path.c_str());
        std::exit(2);
    }
    std::streamsize size = file.tellg();
    file.seekg(0);
    std::vector<T> values(size / sizeof(T));
    file.read(reinterpret_cast<char *>(values.data()), values.size() * sizeof(T));
    return values;
}

static long peakRSSBytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6) * 1024;
    }
    return -1;
}

static double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <typename Solver>
static int solve(const Graph &graph, const Graph::ArcMap<int> &upper, const Graph::ArcMap<int64_t> &cost,
                 const Graph::NodeMap<int> &supply, const std::vector<int> &leadArcIndex, const std::vector<int64_t> &value,
                 double buildSeconds) {
    auto start = std::chrono::steady_clock::now();
    Solver solver(graph);
    solver.upperMap(upper).costMap(cost).supplyMap(supply);
    auto status = solver.run();
    double solveSeconds = secondsSince(start);
    if (status != Solver::OPTIMAL) {
        std::printf("{\"status\": %d, \"build_seconds\": %.6f, \"solve_seconds\": %.6f}\n", int(status), buildSeconds,
                    solveSeconds);
        return 1;
    }
    int64_t optimum = -solver.template totalCost<int64_t>();
    long assigned = 0;
    int64_t chosenValue = 0;
    for (size_t arc = 0; arc < leadArcIndex.size(); ++arc) {
        if (solver.flow(graph.arc(leadArcIndex[arc])) > 0) {
            ++assigned;
            chosenValue += value[arc];
        }
    }
    std::printf(
        "{\"status\": \"OPTIMAL\", \"build_seconds\": %.6f, \"solve_seconds\": %.6f, \"optimum\": %lld, \"assigned\": %ld, "
        "\"chosen_value\": %lld, \"peak_rss_bytes\": %ld}\n",
        buildSeconds, solveSeconds, (long long)optimum, assigned, (long long)chosenValue, peakRSSBytes());
    return 0;
}

int main(int argc, char **argv) {
    std::string directory, algorithm = "network-simplex";
    long leads = -1, partners = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--dir")) directory = argv[i + 1];
        else if (!std::strcmp(argv[i], "--leads")) leads = std::atol(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--partners")) partners = std::atol(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--algorithm")) algorithm = argv[i + 1];
        else {
            std::fprintf(stderr, "routing_lemon: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (directory.empty() || leads < 0 || partners < 0 ||
        (algorithm != "network-simplex" && algorithm != "cost-scaling")) {
        std::fprintf(stderr,
                     "usage: routing_lemon --dir DIR --leads N --partners M --algorithm network-simplex|cost-scaling\n");
        return 2;
    }
    auto lead = readRaw<int32_t>(directory + "/lead.i32");
    auto partner = readRaw<int32_t>(directory + "/partner.i32");
    auto value = readRaw<int64_t>(directory + "/value.i64");
    auto capacity = readRaw<int64_t>(directory + "/capacity.i64");
    if (lead.size() != partner.size() || lead.size() != value.size() || (long)capacity.size() != partners) {
        std::fprintf(stderr, "routing_lemon: the instance files disagree on their sizes\n");
        return 2;
    }

    auto start = std::chrono::steady_clock::now();
    const int sink = int(leads + partners);
    // Arcs sorted by source, as StaticDigraph requires: each lead's candidate arcs then its arc to the sink, then the
    // partners' arcs to the sink. Arc ids follow this order.
    std::vector<std::pair<int, int>> arcs;
    arcs.reserve(lead.size() + leads + partners);
    std::vector<int> leadArcIndex(lead.size());
    std::vector<int64_t> arcCost;
    std::vector<int> arcUpper;
    arcCost.reserve(arcs.capacity());
    arcUpper.reserve(arcs.capacity());
    size_t next = 0;
    for (long i = 0; i < leads; ++i) {
        while (next < lead.size() && lead[next] == i) {
            leadArcIndex[next] = int(arcs.size());
            arcs.emplace_back(int(i), int(leads + partner[next]));
            arcCost.push_back(-value[next]);
            arcUpper.push_back(1);
            ++next;
        }
        arcs.emplace_back(int(i), sink);
        arcCost.push_back(0);
        arcUpper.push_back(1);
    }
    if (next != lead.size()) {
        std::fprintf(stderr, "routing_lemon: arcs are not grouped by increasing lead\n");
        return 2;
    }
    for (long j = 0; j < partners; ++j) {
        arcs.emplace_back(int(leads + j), sink);
        arcCost.push_back(0);
        arcUpper.push_back(int(capacity[j]));
    }
    Graph graph;
    graph.build(int(leads + partners + 1), arcs.begin(), arcs.end());
    std::vector<std::pair<int, int>>().swap(arcs);
    Graph::ArcMap<int> upper(graph);
    Graph::ArcMap<int64_t> cost(graph);
    for (int a = 0; a < graph.arcNum(); ++a) {
        upper[graph.arc(a)] = arcUpper[a];
        cost[graph.arc(a)] = arcCost[a];
    }
    std::vector<int64_t>().swap(arcCost);
    std::vector<int>().swap(arcUpper);
    Graph::NodeMap<int> supply(graph, 0);
    for (long i = 0; i < leads; ++i) supply[graph.node(int(i))] = 1;
    supply[graph.node(sink)] = -int(leads);
    double buildSeconds = secondsSince(start);

    if (algorithm == "network-simplex") {
        return solve<lemon::NetworkSimplex<Graph, int, int64_t>>(graph, upper, cost, supply, leadArcIndex, value,
                                                                  buildSeconds);
    }
    return solve<lemon::CostScaling<Graph, int, int64_t>>(graph, upper, cost, supply, leadArcIndex, value, buildSeconds);
}
