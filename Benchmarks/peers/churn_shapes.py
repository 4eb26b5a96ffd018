"""Do spline shape functions help the churn model? The churn features (`ChurnFeatures`: the five activity levels
as log1p, their trends, tenure, tier and type) of generated ecosystems, split in time (train on the first three
quarters of the periods, test on the rest, as `ChurnRecoveryTests` does), fitted by `switchboard train` with
`--shape linear` (the plain logistic regression on the same features) and `--shape auto` (splines and interactions
when inner cross-validation says they win, else the plain model), and scored against the generator's hidden truth
(the true churn probability of every row): held-out ROC AUC and log loss beside the truth's own, and the mean
absolute error of the predicted probability against the true one.

The ecosystems: the shipped sample (300 partners, 24 periods, seed 2026, regenerated with its truth and checked
against Data/ecosystem/activity.csv) and fresh ones (2,000 partners, 24 periods, seeds given by --seeds).

    python3 Benchmarks/peers/churn_shapes.py [--switchboard .build/release/switchboard] [--seeds 9,11,12]
"""

import argparse
import csv
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import log_loss, roc_auc_score

FIGURES = ["portal_logins", "trainings_completed", "deal_registrations", "marketing_funds_used", "revenue"]
TREND_WINDOW = 3


def churn_features(folder):
    """One row a (partner, period) as ChurnFeatures.build computes it, keyed by (partner, period)."""
    with open(os.path.join(folder, "partners.csv")) as f:
        partners = {row["id"]: row for row in csv.DictReader(f)}
    with open(os.path.join(folder, "activity.csv")) as f:
        activity = list(csv.DictReader(f))
    by_partner = {}
    for row in activity:
        by_partner.setdefault(row["partner_id"], []).append(row)
    rows = []
    for partner_id in sorted(by_partner):
        history = sorted(by_partner[partner_id], key=lambda r: int(r["period"]))
        logs = [[math.log1p(float(r[name])) for name in FIGURES] for r in history]
        first = int(history[0]["period"])
        for r, record in enumerate(history):
            period = int(record["period"])
            recent, earlier = [], []
            for back in range(r, -1, -1):
                p = int(history[back]["period"])
                if p <= period - 2 * TREND_WINDOW:
                    break
                (recent if p > period - TREND_WINDOW else earlier).append(logs[back])
            trends = [0.0] * len(FIGURES) if not earlier else list(np.mean(recent, axis=0) - np.mean(earlier, axis=0))
            features = dict(zip(FIGURES, logs[r]))
            features.update({name + "_trend": value for name, value in zip(FIGURES, trends)})
            features["tenure_periods"] = period - first
            features["tier"] = partners[partner_id]["tier"]
            features["type"] = partners[partner_id]["type"]
            features["churned_next"] = record["churned_next"]
            rows.append(((partner_id, period), features))
    return rows


def write(path, rows):
    names = list(rows[0][1].keys())
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        for _, features in rows:
            writer.writerow(features)


def generate(switchboard, folder, partners, leads, incoming, seed):
    subprocess.run(
        [switchboard, "generate", "ecosystem", "--partners", str(partners), "--leads", str(leads), "--periods", "24",
         "--incoming", str(incoming), "--seed", str(seed), "--out", folder],
        check=True, stdout=subprocess.DEVNULL)


def measure(switchboard, folder, work):
    rows = churn_features(folder)
    truth = {}
    with open(os.path.join(folder, "truth/churn.csv")) as f:
        for row in csv.DictReader(f):
            truth[(row["partner_id"], int(row["period"]))] = float(row["churn_probability"])
    periods = sorted({key[1] for key, _ in rows})
    cutoff = periods[(3 * len(periods)) // 4]
    train = [r for r in rows if r[0][1] < cutoff]
    test = [r for r in rows if r[0][1] >= cutoff]
    write(os.path.join(work, "train.csv"), train)
    write(os.path.join(work, "test.csv"), test)
    labels = np.array([features["churned_next"] == "true" for _, features in test])
    true_p = np.array([truth[key] for key, _ in test])
    result = {"rows": (len(train), len(test)), "churners": int(labels.sum()),
              "truth": (roc_auc_score(labels, true_p), log_loss(labels, true_p))}
    for shape in ("linear", "auto"):
        model = os.path.join(work, f"{shape}.json")
        summary = subprocess.run(
            [switchboard, "train", "--data", os.path.join(work, "train.csv"), "--target", "churned_next", "--positive",
             "true", "--shape", shape, "--out", model], check=True, capture_output=True, text=True).stdout
        chosen = [line.split(", chosen")[0] for line in summary.splitlines() if line.startswith("model:")]
        scores = os.path.join(work, f"{shape}.csv")
        subprocess.run([switchboard, "predict", "--model", model, "--data", os.path.join(work, "test.csv"), "--out",
                        scores], check=True, stdout=subprocess.DEVNULL)
        with open(scores) as f:
            p = np.array([float(row["probability"]) for row in csv.DictReader(f)])
        result[shape] = (roc_auc_score(labels, p), log_loss(labels, p), float(np.mean(np.abs(p - true_p))),
                         chosen[:2])
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--switchboard", default=".build/release/switchboard")
    parser.add_argument("--seeds", default="9,11,12")
    args = parser.parse_args()
    switchboard = os.path.abspath(args.switchboard)
    sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../Data/ecosystem/activity.csv")
    print("ecosystem | train / test rows | churners held out | AUC truth / plain / auto | log loss truth / plain / auto"
          " | mean |p − p_true| plain / auto | auto chose")
    for label, partners, leads, incoming, seed in [("sample (seed 2026, 300 partners)", 300, 20000, 3000, 2026)] + [
            (f"seed {s}, 2,000 partners", 2000, 20000, 0, int(s)) for s in args.seeds.split(",")]:
        with tempfile.TemporaryDirectory() as work:
            folder = os.path.join(work, "ecosystem")
            generate(switchboard, folder, partners, leads, incoming, seed)
            if seed == 2026:
                with open(os.path.join(folder, "activity.csv"), "rb") as a, open(sample, "rb") as b:
                    if a.read() != b.read():
                        raise SystemExit("the regenerated sample's activity.csv differs from Data/ecosystem's")
            r = measure(switchboard, folder, work)
            (ta, tl), (la, ll, le, _), (aa, al, ae, chosen) = r["truth"], r["linear"], r["auto"]
            print(f"{label} | {r['rows'][0]} / {r['rows'][1]} | {r['churners']} | {ta:.4f} / {la:.4f} / {aa:.4f} | "
                  f"{tl:.4f} / {ll:.4f} / {al:.4f} | {le:.4f} / {ae:.4f} | {' '.join(chosen)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
