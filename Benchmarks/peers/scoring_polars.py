#!/usr/bin/env python3
"""`switchboard score` end to end the way a data team would write it: polars reads the incoming leads CSV, the
leads are one-hot encoded with numpy exactly as the match model encodes them (the vocabularies are read from the
model file), float32 BLAS scores every lead against every partner in blocks (U = L @ W, S = U @ R.T),
np.argpartition keeps each lead's top k, probabilities and expected values follow, and polars writes one CSV row per
(lead, partner) as `switchboard score` does.

The partner side (R: the partners' standardised encoding from the model's track records, and their ids in column
order) and W come from the Swift benchmark as raw little-endian float64, as the model would hand them to anyone.
Prints one JSON object: the wall seconds of reading, encoding, scoring and writing, their sum, the leads, numpy's
and polars' versions, and the BLAS library, kernel and threads numpy used (threadpoolctl).
"""
import argparse, json, time

import numpy as np
import polars as pl


def encode(df, encoding):
    n = df.height
    columns = [
        ("vertical", encoding["verticals"]),
        ("technology", encoding["technologies"]),
        ("region", encoding["regions"]),
        ("size_band", encoding["sizeBands"]),
    ]
    bounds = np.array([10_000.0, 50_000.0, 200_000.0])
    width = 1 + sum(len(v) for _, v in columns) + len(bounds) + 1 + len(encoding["sources"]) + len(encoding["certifications"])
    L = np.zeros((n, width), dtype=np.float32)
    L[:, 0] = 1
    rows = np.arange(n)
    offset = 1

    def one_hot(column, vocabulary):
        nonlocal offset
        index = df[column].replace_strict(vocabulary, list(range(len(vocabulary))), default=-1, return_dtype=pl.Int32).to_numpy()
        known = index >= 0
        L[rows[known], offset + index[known]] = 1
        offset += len(vocabulary)

    for column, vocabulary in columns:
        one_hot(column, vocabulary)
    values = df["estimated_value"].to_numpy()
    L[rows, offset + np.searchsorted(bounds, values, side="right")] = 1
    offset += len(bounds) + 1
    one_hot("source", encoding["sources"])
    if "required_certifications" in df.columns:
        required = (
            df.select(pl.int_range(pl.len()).alias("row"), pl.col("required_certifications").str.split(";"))
            .explode("required_certifications")
            .drop_nulls()
            .with_columns(pl.col("required_certifications").str.strip_chars())
        )
        index = (
            required["required_certifications"]
            .replace_strict(encoding["certifications"], list(range(len(encoding["certifications"]))), default=-1, return_dtype=pl.Int32)
            .to_numpy()
        )
        known = index >= 0
        L[required["row"].to_numpy()[known], offset + index[known]] = 1
    return L, values


def score(L, W, R, values, k, block=8192):
    n = L.shape[0]
    top = np.empty((n, k), dtype=np.int64)
    probability = np.empty((n, k), dtype=np.float64)
    RT = np.ascontiguousarray(R.T)
    for s in range(0, n, block):
        S = (L[s : s + block] @ W) @ RT
        index = np.argpartition(-S, k - 1, axis=1)[:, :k]
        chosen = np.take_along_axis(S, index, axis=1)
        order = np.argsort(-chosen, axis=1, kind="stable")
        top[s : s + block] = np.take_along_axis(index, order, axis=1)
        margins = np.take_along_axis(chosen, order, axis=1).astype(np.float64)
        probability[s : s + block] = 1 / (1 + np.exp(-margins))
    return top, probability, probability * values[:, None]


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        return [
            {key: info.get(key) for key in ("internal_api", "version", "architecture", "num_threads")}
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ]
    except Exception as error:  # threadpoolctl missing: say so
        return [{"error": str(error)}]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--leads", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--w", required=True)
    p.add_argument("--right", required=True)
    p.add_argument("--partner-ids", required=True)
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    encoding = json.load(open(a.model))["encoding"]
    partner_ids = np.array(open(a.partner_ids).read().split("\n")[:-1], dtype=object)
    R = np.fromfile(a.right, dtype="<f8").astype(np.float32).reshape(len(partner_ids), -1)
    W = np.fromfile(a.w, dtype="<f8").astype(np.float32).reshape(-1, R.shape[1])

    t0 = time.perf_counter()
    df = pl.read_csv(a.leads, infer_schema=False, schema_overrides={"estimated_value": pl.Float64})
    t1 = time.perf_counter()
    L, values = encode(df, encoding)
    t2 = time.perf_counter()
    top, probability, expected = score(L, W, R, values, a.k)
    t3 = time.perf_counter()
    n, k = top.shape
    pl.DataFrame(
        {
            "lead_id": np.repeat(df["id"].to_numpy(), k),
            "lead_score": np.repeat(probability[:, 0], k),
            "rank": np.tile(np.arange(1, k + 1), n),
            "partner_id": partner_ids[top.ravel()],
            "win_probability": probability.ravel(),
            "expected_value": np.round(expected.ravel(), 2),
        }
    ).write_csv(a.out, float_precision=9)
    t4 = time.perf_counter()
    print(
        json.dumps(
            {
                "seconds": t4 - t0,
                "read": t1 - t0,
                "encode": t2 - t1,
                "score": t3 - t2,
                "write": t4 - t3,
                "leads": n,
                "numpy": np.__version__,
                "polars": pl.__version__,
                "blas": blas_info(),
            }
        )
    )


if __name__ == "__main__":
    main()
