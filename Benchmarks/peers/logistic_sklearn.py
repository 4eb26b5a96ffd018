#!/usr/bin/env python3
"""scikit-learn's logistic regression on the same data as Switchboard's benchmark.

Reads a raw little-endian float64 design matrix (rows x cols, row-major) and float64 0/1 labels written by
the Swift benchmark, fits LogisticRegression(C = 1/(lambda*n)) with each solver, times fit and predict_proba,
and prints one JSON object on stdout: per solver the fit seconds (median of repeats), the objective
(1/n) sum log(1+exp(-y z)) + (lambda/2)|w|^2 of its solution, iterations, and the predict_proba seconds.
"""
import argparse, json, sys, time, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.exceptions import ConvergenceWarning


def objective(X, y, w, b, lam):
    z = X @ w + b
    s = np.where(y > 0.5, z, -z)
    return float(np.mean(np.logaddexp(0.0, -s)) + 0.5 * lam * np.dot(w, w))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--x", required=True)
    p.add_argument("--y", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--cols", type=int, required=True)
    p.add_argument("--l2", type=float, required=True)
    p.add_argument("--tol", type=float, default=1e-10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--solvers", default="lbfgs,newton-cholesky")
    a = p.parse_args()
    X = np.fromfile(a.x, dtype="<f8").reshape(a.rows, a.cols)
    y = np.fromfile(a.y, dtype="<f8").astype(np.int64)
    C = 1.0 / (a.l2 * a.rows)
    out = {"sklearn": __import__("sklearn").__version__, "solvers": {}}
    warnings.simplefilter("ignore", ConvergenceWarning)
    for solver in a.solvers.split(","):
        times = []
        model = None
        for _ in range(a.repeats):
            m = LogisticRegression(C=C, solver=solver, tol=a.tol, max_iter=10000)
            t0 = time.perf_counter()
            m.fit(X, y)
            times.append(time.perf_counter() - t0)
            model = m
        w, b = model.coef_.ravel(), float(model.intercept_[0])
        ptimes = []
        for _ in range(a.repeats):
            t0 = time.perf_counter()
            proba = model.predict_proba(X)
            ptimes.append(time.perf_counter() - t0)
        out["solvers"][solver] = {
            "seconds": float(np.median(times)),
            "all_seconds": times,
            "objective": objective(X, y, w, b, a.l2),
            "iterations": int(np.max(model.n_iter_)),
            "predict_seconds": float(np.median(ptimes)),
            "proba_checksum": float(proba[:, 1].sum()),
        }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
