#!/usr/bin/env python3
"""OR-Tools' SimpleMinCostFlow on the same routing instance as Switchboard's routing benchmark.

Reads the instance the Swift benchmark writes as raw little-endian arrays: `lead.i32` and `partner.i32` (one
entry per candidate arc; leads numbered 0..n-1, partners 0..m-1), `value.i64` (the arc's integer value, e.g.
expected value in cents) and `capacity.i64` (one per partner). Solves

    maximise  sum_arcs value * x   subject to   each lead on at most one arc,   partner j on at most capacity_j arcs

as a min-cost flow: every lead supplies one unit; arcs lead -> partner (capacity 1, cost -value), lead -> sink
(capacity 1, cost 0: the lead stays unassigned), partner -> sink (capacity_j, cost 0); the sink demands n.
The optimum is -optimal_cost. Prints one JSON object on stdout: the graph-building and solve seconds, the status,
the optimum, the number of leads assigned, a checksum of the chosen arcs and this process's peak RSS.
With --generate N M K SEED it instead writes a random instance of that shape to --dir (for calibration only).
"""
import argparse, json, sys, time
import numpy as np
from ortools.graph.python import min_cost_flow


def peak_rss_bytes():
    # VmHWM of this process (ru_maxrss would survive exec and report a large parent's peak).
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def generate(directory, n, m, k, seed):
    rng = np.random.default_rng(seed)
    quality = rng.lognormal(0.0, 0.8, m)
    popularity = quality ** 1.2
    popularity /= popularity.sum()
    lead = np.repeat(np.arange(n, dtype=np.int32), k)
    partner = np.empty(n * k, dtype=np.int32)
    for i in range(n):
        partner[i * k:(i + 1) * k] = rng.choice(m, size=k, replace=False, p=popularity)
    deal = rng.lognormal(np.log(1_000_000), 1.0, n)
    p = 1 / (1 + np.exp(-(-1.0 + np.log(quality[partner]) + rng.normal(0, 0.5, n * k))))
    value = np.maximum(1, np.round(p * np.repeat(deal, k))).astype(np.int64)
    size = rng.lognormal(0.0, 1.0, m)
    capacity = np.maximum(1, np.round(0.7 * n * size / size.sum())).astype(np.int64)
    lead.tofile(f"{directory}/lead.i32")
    partner.tofile(f"{directory}/partner.i32")
    value.tofile(f"{directory}/value.i64")
    capacity.tofile(f"{directory}/capacity.i64")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--leads", type=int)
    parser.add_argument("--partners", type=int)
    parser.add_argument("--generate", type=int, nargs=4, metavar=("N", "M", "K", "SEED"))
    args = parser.parse_args()
    if args.generate:
        generate(args.dir, *args.generate)
        return
    n, m = args.leads, args.partners
    lead = np.fromfile(f"{args.dir}/lead.i32", dtype="<i4").astype(np.int32)
    partner = np.fromfile(f"{args.dir}/partner.i32", dtype="<i4").astype(np.int32)
    value = np.fromfile(f"{args.dir}/value.i64", dtype="<i8")
    capacity = np.fromfile(f"{args.dir}/capacity.i64", dtype="<i8")
    assert capacity.shape[0] == m and lead.shape[0] == partner.shape[0] == value.shape[0]
    arcs = lead.shape[0]
    sink = n + m

    start = time.perf_counter()
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = np.concatenate([lead, np.arange(n, dtype=np.int32), np.arange(n, n + m, dtype=np.int32)])
    heads = np.concatenate([partner + n, np.full(n, sink, dtype=np.int32), np.full(m, sink, dtype=np.int32)])
    capacities = np.concatenate([np.ones(arcs, dtype=np.int64), np.ones(n, dtype=np.int64), capacity])
    costs = np.concatenate([-value, np.zeros(n, dtype=np.int64), np.zeros(m, dtype=np.int64)])
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = np.zeros(n + m + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    flow.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies)
    build_seconds = time.perf_counter() - start

    start = time.perf_counter()
    status = flow.solve()
    solve_seconds = time.perf_counter() - start
    if status != flow.OPTIMAL:
        json.dump({"status": int(status), "build_seconds": build_seconds, "solve_seconds": solve_seconds}, sys.stdout)
        sys.exit(1)
    chosen = flow.flows(np.arange(arcs, dtype=np.int64)) > 0
    optimum = -flow.optimal_cost()
    json.dump({
        "status": "OPTIMAL",
        "build_seconds": build_seconds,
        "solve_seconds": solve_seconds,
        "optimum": int(optimum),
        "assigned": int(chosen.sum()),
        "chosen_value": int(value[chosen].sum()),
        "peak_rss_bytes": peak_rss_bytes(),
    }, sys.stdout)


if __name__ == "__main__":
    main()
