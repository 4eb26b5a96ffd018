#!/usr/bin/env python3
"""What a competent data scientist would write for the bilinear match model: scipy's L-BFGS-B on the bilinear
objective itself, with numpy GEMMs for the margins and the gradient (never the explicit outer-product design).

Reads the first `rows` rows of the raw little-endian float64 designs Phi (n x a) and Psi (n x b), both with a constant 1
in column 0, and the float64 0/1 labels written by the Swift benchmark, and minimises exactly Switchboard's objective

    f(W) = (1/n) sum_i log(1 + exp(-y~_i z_i)) + (lambda/2) (|W|_F^2 - W00^2),   z_i = phi_i' W psi_i,  y~ in {-1, +1}

with z = rowsum((Phi W) * Psi) (one GEMM) and grad = (1/n) Phi' diag(r) Psi + lambda W (one more GEMM; W00 unpenalised),
r_i = -y~_i sigmoid(-y~_i z_i), both over row blocks so memory stays O(n (a + b)). Stops when L-BFGS-B's max |projected
gradient| <= tol (the same rule as scikit-learn's lbfgs) with ftol at machine precision and m = 12 corrections (ours).
Prints one JSON object: seconds (median of repeats), iterations, function evaluations, the objective of its solution,
this process's peak RSS, numpy's BLAS (threadpoolctl) and, with --ours, the objective of Switchboard's W computed here.
Writes its W (a*b float64, row-major) to --coef-out.
"""
import argparse, json, sys, time
import numpy as np
from scipy.optimize import minimize


def peak_rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return -1


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        return [{k: pool.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                for pool in threadpool_info() if pool.get("user_api") == "blas"]
    except ImportError:
        return "threadpoolctl not installed"


class Bilinear:
    def __init__(self, phi, psi, y, lam, block=65536):
        self.phi, self.psi, self.lam, self.block = phi, psi, lam, block
        self.sign = np.where(y > 0.5, 1.0, -1.0)
        self.n, self.a, self.b = phi.shape[0], phi.shape[1], psi.shape[1]

    def value_and_gradient(self, w_flat):
        W = w_flat.reshape(self.a, self.b)
        loss, G = 0.0, np.zeros((self.a, self.b))
        for s in range(0, self.n, self.block):
            phi, psi, sign = self.phi[s:s + self.block], self.psi[s:s + self.block], self.sign[s:s + self.block]
            z = np.einsum("ij,ij->i", phi @ W, psi)
            t = sign * z
            loss += float(np.sum(np.logaddexp(0.0, -t)))
            r = -sign * np.exp(-np.logaddexp(0.0, t))  # -y~ * sigmoid(-t), stably
            G += phi.T @ (psi * r[:, None])
        penalised = W.copy()
        penalised[0, 0] = 0.0
        value = loss / self.n + 0.5 * self.lam * float(np.sum(penalised * penalised))
        G = G / self.n + self.lam * penalised
        return value, G.ravel()


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
    p.add_argument("--ours")
    p.add_argument("--coef-out")
    a = p.parse_args()
    n = a.rows
    phi = np.fromfile(a.phi, dtype="<f8", count=n * a.a).reshape(n, a.a)
    psi = np.fromfile(a.psi, dtype="<f8", count=n * a.b).reshape(n, a.b)
    y = np.fromfile(a.y, dtype="<f8", count=n)
    objective = Bilinear(phi, psi, y, a.l2)
    times, result = [], None
    for _ in range(a.repeats):
        start = time.perf_counter()
        result = minimize(objective.value_and_gradient, np.zeros(a.a * a.b), jac=True, method="L-BFGS-B",
                          options={"gtol": a.tol, "ftol": 64 * np.finfo(float).eps, "maxiter": 100000,
                                   "maxfun": 1000000, "maxcor": 12})
        times.append(time.perf_counter() - start)
    out = {
        "seconds": float(np.median(times)),
        "all_seconds": times,
        "iterations": int(result.nit),
        "evaluations": int(result.nfev),
        "objective": float(result.fun),
        "message": str(result.message),
        "peak_rss_bytes": peak_rss_bytes(),
        "blas": blas_info(),
    }
    if a.coef_out:
        result.x.astype("<f8").tofile(a.coef_out)
    if a.ours:
        ours = np.fromfile(a.ours, dtype="<f8")
        out["ours_objective"] = objective.value_and_gradient(ours)[0]
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
