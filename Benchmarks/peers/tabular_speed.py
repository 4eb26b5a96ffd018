"""The richer fit's time against the plain one's, in the same run: `switchboard train` on bank-full without
`duration` (45,211 rows) with --shape linear and --shape auto, each run `--repeats` times after a warm-up, the two
interleaved (so that a slow spell of a shared machine weighs on both), medians and their ratio (the goal: auto within
2× of linear), and the median of the run-by-run ratios. Wall-clock seconds of the whole command (reading the CSV,
inner cross-validation, the final fit, writing the model).

    python3 Benchmarks/peers/tabular_speed.py [--switchboard .build/release/switchboard] [--data ../shared/data]
        [--repeats 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--switchboard", default=".build/release/switchboard")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    source = os.path.join(args.data, "bank-marketing/bank-full.csv")
    if not os.path.exists(source):
        raise SystemExit(f"{source} is absent: the speed benchmark needs the shared bank-marketing data")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bank.csv")
        pd.read_csv(source, sep=";").drop(columns=["duration"]).to_csv(path, index=False)
        commands = {
            shape: [args.switchboard, "train", "--data", path, "--target", "y", "--positive", "yes",
                    "--missing", "impute", "--shape", shape, "--out", os.path.join(folder, f"{shape}.json")]
            for shape in ("linear", "auto")
        }
        for command in commands.values():  # warm-up
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Interleaved (linear, auto, linear, auto, ...), so that a slow spell of the machine weighs on both alike.
        times = {shape: [] for shape in commands}
        for _ in range(args.repeats):
            for shape, command in commands.items():
                started = time.perf_counter()
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[shape].append(time.perf_counter() - started)
        medians = {}
        for shape in commands:
            medians[shape] = statistics.median(times[shape])
            print(f"train --shape {shape}: median {medians[shape]:.2f} s over {args.repeats} runs "
                  f"({', '.join(f'{t:.2f}' for t in times[shape])})", flush=True)
        pairs = sorted(a / l for a, l in zip(times["auto"], times["linear"]))
        print(f"run by run, auto / linear: median {statistics.median(pairs):.2f}× "
              f"(range {pairs[0]:.2f}–{pairs[-1]:.2f}×)")
        ratio = medians["auto"] / medians["linear"]
        print(f"auto / linear: {ratio:.1f}× (goal ≤ 2×; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    sys.exit(main())
