#!/usr/bin/env python3
"""scikit-learn's logistic regression on the explicit outer-product design of Switchboard's match benchmark.

Reads the first `rows` rows of the raw little-endian float64 designs Phi (n x a) and Psi (n x b), both with a
constant 1 in column 0, and the float64 0/1 labels written by the Swift benchmark; builds X with rows
phi_i (x) psi_i without the constant (x) constant column (a*b - 1 columns, float64, C order); fits
LogisticRegression(C = 1/(lambda*rows), fit_intercept=True) with each of `--solvers` (lbfgs, newton-cholesky,
newton-cg, ...), whose objective is exactly the bilinear one: (1/n) sum log(1 + exp(-y z)) + (lambda/2) |w|^2,
intercept W00 unpenalised. Stopping rules, with tol = `--tol`: lbfgs stops when L-BFGS-B's max |projected gradient|
<= tol (or the relative decrease of f <= 64 eps); newton-cholesky when max |gradient| <= tol and half the squared
Newton decrement <= tol. Prints one JSON object on stdout: the design's build seconds and size, and per solver the
fit seconds (median of repeats), iterations, the objective of its solution computed on X, and this process's peak
RSS after that fit; the objective of Switchboard's W (`--ours`, a*b raw float64, row-major) computed the same way.
Writes each solver's W (intercept first, then coef_) to `--coef-out` + "." + solver, for the Swift side to check.
"""
import argparse, json, sys, time, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.exceptions import ConvergenceWarning


def peak_rss_bytes():
    # VmHWM of this process (ru_maxrss would survive exec and report a large parent's peak).
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def reset_peak_rss():
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so each fit's peak is its own.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def objective(X, y, w, b, lam, block=8192):
    loss = 0.0
    for s in range(0, X.shape[0], block):
        z = X[s : s + block] @ w + b
        t = np.where(y[s : s + block] > 0.5, z, -z)
        loss += float(np.sum(np.logaddexp(0.0, -t)))
    return loss / X.shape[0] + 0.5 * lam * float(np.dot(w, w))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--phi", required=True)
    p.add_argument("--psi", required=True)
    p.add_argument("--y", required=True)
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--a", type=int, required=True)
    p.add_argument("--b", type=int, required=True)
    p.add_argument("--l2", type=float, required=True)
    p.add_argument("--tol", type=float, required=True)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--solvers", default="lbfgs")
    p.add_argument("--ours")
    p.add_argument("--coef-out")
    a = p.parse_args()
    n = a.rows
    phi = np.fromfile(a.phi, dtype="<f8", count=n * a.a).reshape(n, a.a)
    psi = np.fromfile(a.psi, dtype="<f8", count=n * a.b).reshape(n, a.b)
    y = np.fromfile(a.y, dtype="<f8", count=n).astype(np.int64)
    assert np.all(phi[:, 0] == 1) and np.all(psi[:, 0] == 1)

    t0 = time.perf_counter()
    X = np.empty((n, a.a * a.b - 1))
    block = 4096
    for s in range(0, n, block):
        e = min(n, s + block)
        X[s:e] = (phi[s:e, :, None] * psi[s:e, None, :]).reshape(e - s, a.a * a.b)[:, 1:]
    build = time.perf_counter() - t0

    C = 1.0 / (a.l2 * n)
    warnings.simplefilter("ignore", ConvergenceWarning)
    out = {
        "sklearn": __import__("sklearn").__version__,
        "design_gib": X.nbytes / 2**30,
        "build_seconds": build,
        "fits": {},
    }
    for solver in a.solvers.split(","):
        times, model = [], None
        for _ in range(a.repeats):
            m = LogisticRegression(C=C, solver=solver, tol=a.tol, max_iter=100000, fit_intercept=True)
            reset_peak_rss()
            t0 = time.perf_counter()
            m.fit(X, y)
            times.append(time.perf_counter() - t0)
            model = m
        peak = peak_rss_bytes()
        w, b = model.coef_.ravel(), float(model.intercept_[0])
        out["fits"][solver] = {
            "seconds": float(np.median(times)),
            "all_seconds": times,
            "iterations": int(np.max(model.n_iter_)),
            "objective": objective(X, y, w, b, a.l2),
            "peak_rss_bytes": peak,
        }
        if a.coef_out:
            np.concatenate([[b], w]).astype("<f8").tofile(a.coef_out + "." + solver)
        del model, m
    if a.ours:
        ours = np.fromfile(a.ours, dtype="<f8")
        out["ours_objective"] = objective(X, y, ours[1:], float(ours[0]), a.l2)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
