#!/usr/bin/env python3
"""Switchboard's predictions against scikit-learn's on the same design matrix.

For each data set: `switchboard train` fits the model, `switchboard encode` writes the design matrix it saw
(standardised numerics plus one-hot categoricals), scikit-learn's LogisticRegression(C = 1/(lambda*n)) is fitted
on exactly that matrix, and the two sets of probabilities from `switchboard predict` and `predict_proba` are
compared. Passes when the largest absolute difference is at most 1e-6. Exits non-zero otherwise.
"""
import csv, json, os, subprocess, sys, tempfile
import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SB = os.path.join(ROOT, ".build", "release", "switchboard")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")

CASES = [
    ("sample leads (Data/)", os.path.join(ROOT, "Data", "sample-leads.csv"), ["--target", "converted", "--drop", "lead_id"]),
    ("telco churn", os.path.join(SHARED, "telco-churn", "WA_Fn-UseC_-Telco-Customer-Churn.csv"),
     ["--target", "Churn", "--drop", "customerID", "--missing", "impute"]),
    ("bank marketing, no duration", os.path.join(SHARED, "bank-marketing", "bank-full.csv"), ["--target", "y", "--drop", "duration"]),
    ("bank additional, no duration", os.path.join(SHARED, "bank-marketing", "bank-additional-full.csv"), ["--target", "y", "--drop", "duration"]),
]


def run(*args):
    subprocess.run([SB, *args], check=True, stdout=subprocess.DEVNULL)


def main():
    worst_overall = 0.0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path, options in CASES:
            if not os.path.exists(path):
                print(f"  {name}: skipped ({path} not found)")
                continue
            model, design, pred = (os.path.join(tmp, f) for f in ("m.json", "design.csv", "pred.csv"))
            run("train", "--data", path, *options, "--tolerance", "1e-11", "--out", model)
            run("encode", "--model", model, "--data", path, "--out", design)
            run("predict", "--model", model, "--data", path, "--out", pred)
            with open(design) as f:
                header = next(csv.reader(f))
            X = np.loadtxt(design, delimiter=",", skiprows=1)
            y = X[:, header.index("__target__")].astype(int)
            X = np.delete(X, header.index("__target__"), axis=1)
            ours = np.loadtxt(pred, delimiter=",", skiprows=1)
            lam = json.load(open(model))["training"]["l2Strength"]
            clf = LogisticRegression(C=1.0 / (lam * X.shape[0]), solver="newton-cholesky", tol=1e-12, max_iter=1000)
            clf.fit(X, y)
            theirs = clf.predict_proba(X)[:, 1]
            worst = float(np.max(np.abs(ours - theirs)))
            worst_overall = max(worst_overall, worst)
            rows.append((name, X.shape[0], X.shape[1], worst))
    print(f"  {'data set':32s} {'rows':>7s} {'features':>8s} {'max |p_switchboard - p_sklearn|':>32s}")
    for name, n, d, worst in rows:
        print(f"  {name:32s} {n:7d} {d:8d} {worst:32.2e}")
    ok = worst_overall <= 1e-6
    print(f"  parity with scikit-learn (goal: max difference <= 1e-6): {'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
