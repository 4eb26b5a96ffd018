#!/usr/bin/env python3
"""Batch scoring the way a data team would in numpy: float32 U = L @ W, then for blocks of leads S = U_b @ R.T,
np.argpartition for each row's top k, and a sort of those k.

Reads raw little-endian float64 L (leads x d), W (d x d), R (partners x d) written by the Swift benchmark and
converts them to float32 (not timed). Prints one JSON object: the seconds of the scoring (median of 3 runs after a
warm-up), numpy's version and BLAS threads; writes each lead's top-k partner indices, best first, as float64 to
--top-out for the agreement check.
"""
import argparse, json, os, time
import numpy as np


def score(L, W, R, k, block=4096):
    U = L @ W
    top = np.empty((L.shape[0], k), dtype=np.int64)
    RT = np.ascontiguousarray(R.T)
    for s in range(0, L.shape[0], block):
        S = U[s : s + block] @ RT
        idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
        vals = np.take_along_axis(S, idx, axis=1)
        order = np.argsort(-vals, axis=1, kind="stable")
        top[s : s + block] = np.take_along_axis(idx, order, axis=1)
    return top


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--left", required=True)
    p.add_argument("--w", required=True)
    p.add_argument("--right", required=True)
    p.add_argument("--leads", type=int, required=True)
    p.add_argument("--partners", type=int, required=True)
    p.add_argument("--dimensions", type=int, required=True)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--top-out", required=True)
    a = p.parse_args()
    d = a.dimensions
    L = np.fromfile(a.left, dtype="<f8").reshape(a.leads, d).astype(np.float32)
    W = np.fromfile(a.w, dtype="<f8").reshape(d, d).astype(np.float32)
    R = np.fromfile(a.right, dtype="<f8").reshape(a.partners, d).astype(np.float32)
    top = score(L, W, R, a.k)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        top = score(L, W, R, a.k)
        times.append(time.perf_counter() - t0)
    top.astype("<f8").tofile(a.top_out)
    threads = "?"
    try:
        from threadpoolctl import threadpool_info

        threads = ",".join(str(i.get("num_threads")) for i in threadpool_info() if i.get("user_api") == "blas")
    except Exception:
        pass
    print(json.dumps({"seconds": float(np.median(times)), "all_seconds": times, "numpy": np.__version__, "threads": threads}))


if __name__ == "__main__":
    main()
