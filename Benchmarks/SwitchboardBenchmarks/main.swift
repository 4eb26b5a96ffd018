import Foundation

#if DEBUG
    FileHandle.standardError.write(
        Data("benchmarks refuse to run in a debug build: use Benchmarks/run (swift build -c release)\n".utf8))
    exit(2)
#else
    let arguments = Array(CommandLine.arguments.dropFirst())
    let quick = arguments.contains("--quick")
    let selected = arguments.filter { !$0.hasPrefix("--") }
    do {
        switch selected.first {
        case "probe":
            try PassProbe.run(rows: 1_000_000, columns: 64); try PassProbe.run(rows: 200_000, columns: 256)
        case "probe-scoring":
            try ScoringBenchmark.probe()
        case "probe-solvers":
            try PassProbe.solvers(rows: 1_000_000, columns: 64)
        case "match-fit":
            try MatchBenchmark.fitChild(Array(selected.dropFirst()))
        case "logistic-memory":
            try LogisticBenchmark.memory(Array(selected.dropFirst()))
        case let child? where child.hasPrefix("routing-"):
            try RoutingBenchmark.child(child, Array(selected.dropFirst()))
        case nil, "all":
            try LogisticBenchmark.run(quick: quick)
            print()
            try MatchBenchmark.run(quick: quick)
            print()
            try ScoringBenchmark.run(quick: quick)
            print()
            try RoutingBenchmark.run(quick: quick)
        case "logistic":
            try LogisticBenchmark.run(quick: quick)
        case "match":
            try MatchBenchmark.run(quick: quick)
        case "scoring":
            try ScoringBenchmark.run(quick: quick)
        case "routing":
            try RoutingBenchmark.run(quick: quick)
        case "serve-value":
            try ServeBenchmark.value()
        case let other?:
            throw BenchError("unknown benchmark '\(other)' (logistic, match, scoring, routing, serve-value; the server under load: Benchmarks/serve-wrk)")
        }
    } catch {
        FileHandle.standardError.write(Data("benchmark failed: \(error)\n".utf8))
        exit(1)
    }
#endif
