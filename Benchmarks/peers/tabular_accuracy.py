"""Lead-score accuracy on the shared real data sets: `switchboard train` (its default, --shape auto) against
LightGBM (defaults) and scikit-learn's LogisticRegression (C=1, one-hot + standardised), on the same 5 stratified
folds (scikit-learn's StratifiedKFold, shuffle, seed 42), in one run.

Each fold's training and test rows are written as CSV files; switchboard trains on the first (`switchboard train`)
and scores the second (`switchboard predict`). The peers see the same columns, with each date column turned into
month, weekday, day of month and age in days (what switchboard derives itself). Out-of-fold figures are means over
folds: ROC AUC, log loss, ECE (10 equal-width bins, as `switchboard evaluate`), and fit seconds.

    python3 Benchmarks/peers/tabular_accuracy.py [--switchboard .build/release/switchboard] [--data ../shared/data]
        [--sets bank,xeducation,telco,olist,crm] [--shape auto]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd


def ece(y, p, bins=10):
    edges = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = edges == b
        if mask.any():
            total += mask.sum() * abs(p[mask].mean() - y[mask].mean())
    return total / len(y)


def ece_floor(p, draws=200, seed=42):
    """The ECE a perfectly calibrated model shows on this many rows: labels drawn from its own probabilities, averaged
    over draws. ECE on a finite test fold is biased upward by the binomial noise in each bin; a figure near this
    floor is noise, not miscalibration."""
    rng = np.random.default_rng(seed)
    return float(np.mean([ece((rng.random(len(p)) < p).astype(int), p) for _ in range(draws)]))


def load(name, data):
    """(frame with the target as 'yes'/'no' strings, target column, date columns, switchboard options)."""
    if name == "bank":
        df = pd.read_csv(f"{data}/bank-marketing/bank-full.csv", sep=";").drop(columns=["duration"])
        return df, "y", [], ["--missing", "impute"]
    if name == "xeducation":
        df = pd.read_csv(f"{data}/x-education-leads/Leads.csv")
        df = df.drop(columns=["Prospect ID", "Lead Number", "Tags", "Lead Quality"])
        df["Converted"] = np.where(df["Converted"] == 1, "yes", "no")
        return df, "Converted", [], ["--missing", "impute"]
    if name == "telco":
        df = pd.read_csv(f"{data}/telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv").drop(columns=["customerID"])
        df["TotalCharges"] = pd.to_numeric(df["TotalCharges"].str.strip().replace("", np.nan))
        df["Churn"] = np.where(df["Churn"] == "Yes", "yes", "no")
        return df, "Churn", [], ["--missing", "impute"]
    if name == "olist":
        leads = pd.read_csv(f"{data}/olist-funnel/olist_marketing_qualified_leads_dataset.csv")
        deals = pd.read_csv(f"{data}/olist-funnel/olist_closed_deals_dataset.csv")
        leads["closed_deal"] = np.where(leads["mql_id"].isin(set(deals["mql_id"])), "yes", "no")
        df = leads.drop(columns=["mql_id"])
        return df, "closed_deal", ["first_contact_date"], ["--missing", "impute"]
    if name == "crm":
        df = pd.read_csv(f"{data}/crm-sales-pipeline/sales_pipeline.csv")
        df = df[df["deal_stage"].isin(["Won", "Lost"])].copy()
        df["won"] = np.where(df["deal_stage"] == "Won", "yes", "no")
        df = df.drop(columns=["opportunity_id", "deal_stage", "close_date", "close_value"])
        return df, "won", ["engage_date"], ["--missing", "impute"]
    raise SystemExit(f"unknown data set {name}")


def peer_features(df, target, dates):
    """Features for the peers: dates expanded, categoricals as category dtype."""
    X = df.drop(columns=[target]).copy()
    for column in dates:
        d = pd.to_datetime(X[column])
        reference = d.max()
        X[column + "_month"] = d.dt.month.astype("Int64").astype(str)
        X[column + "_weekday"] = d.dt.weekday.astype("Int64").astype(str)
        X[column + "_day"] = d.dt.day
        X[column + "_age"] = (reference - d).dt.days
        X = X.drop(columns=[column])
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].astype("category")
    return X


def fit_lr(X_train, y_train, X_test):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    categorical = [c for c in X_train.columns if str(X_train[c].dtype) == "category"]
    numeric = [c for c in X_train.columns if c not in categorical]
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="mean", add_indicator=True), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
         categorical),
    ])
    model = make_pipeline(pre, LogisticRegression(C=1.0, max_iter=2000))
    Xtr = X_train.copy()
    Xte = X_test.copy()
    for c in categorical:
        Xtr[c] = Xtr[c].astype(object).where(Xtr[c].notna(), np.nan)
        Xte[c] = Xte[c].astype(object).where(Xte[c].notna(), np.nan)
    model.fit(Xtr, y_train)
    return model.predict_proba(Xte)[:, 1]


def fit_lightgbm(X_train, y_train, X_test):
    import lightgbm

    model = lightgbm.LGBMClassifier(verbose=-1, random_state=42)
    model.fit(X_train, y_train)
    return model.predict_proba(X_test)[:, 1]


def fit_switchboard(binary, train, test, target, options, shape, folder):
    train_path, test_path = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
    model_path, out_path = os.path.join(folder, "model.json"), os.path.join(folder, "p.csv")
    train.to_csv(train_path, index=False)
    test.drop(columns=[target]).to_csv(test_path, index=False)
    started = time.perf_counter()
    trained = subprocess.run(
        [binary, "train", "--data", train_path, "--target", target, "--positive", "yes", "--shape", shape,
         "--out", model_path] + options, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if trained.returncode != 0:
        raise SystemExit(f"switchboard train failed: {trained.stderr}")
    seconds = time.perf_counter() - started
    subprocess.run([binary, "predict", "--model", model_path, "--data", test_path, "--out", out_path], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return pd.read_csv(out_path)["probability"].to_numpy(), seconds


def main():
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    parser = argparse.ArgumentParser()
    parser.add_argument("--switchboard", default=".build/release/switchboard")
    parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data"))
    parser.add_argument("--sets", default="bank,xeducation,telco,olist,crm")
    parser.add_argument("--shape", default="auto")
    args = parser.parse_args()
    import lightgbm
    import sklearn

    print(f"5-fold stratified CV (scikit-learn StratifiedKFold, shuffle, seed 42); lightgbm {lightgbm.__version__} "
          f"defaults, scikit-learn {sklearn.__version__} LogisticRegression C=1; switchboard --shape {args.shape}")
    print("| data set | rows | switchboard AUC | LightGBM AUC | sklearn LR AUC | switchboard − LightGBM | "
          "switchboard − LR | switchboard log loss | LightGBM log loss | switchboard ECE | its noise floor | LightGBM ECE | LR ECE | "
          "switchboard s/fold | LightGBM s/fold |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        df, target, dates, options = load(name, args.data)
        y = (df[target] == "yes").to_numpy().astype(int)
        X = peer_features(df, target, dates)
        folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
        scores = {"sb": [], "lgb": [], "lr": []}
        losses = {"sb": [], "lgb": []}
        eces = {"sb": [], "lgb": [], "lr": []}
        floors = []
        seconds = {"sb": [], "lgb": []}
        with tempfile.TemporaryDirectory() as folder:
            for train_index, test_index in folds.split(X, y):
                p, s = fit_switchboard(args.switchboard, df.iloc[train_index], df.iloc[test_index], target, options,
                                       args.shape, folder)
                seconds["sb"].append(s)
                started = time.perf_counter()
                q = fit_lightgbm(X.iloc[train_index], y[train_index], X.iloc[test_index])
                seconds["lgb"].append(time.perf_counter() - started)
                r = fit_lr(X.iloc[train_index], y[train_index], X.iloc[test_index])
                yt = y[test_index]
                for key, probabilities in (("sb", p), ("lgb", q), ("lr", r)):
                    scores[key].append(roc_auc_score(yt, probabilities))
                for key, probabilities in (("sb", p), ("lgb", q)):
                    losses[key].append(log_loss(yt, np.clip(probabilities, 1e-15, 1 - 1e-15)))
                for key, probabilities in (("sb", p), ("lgb", q), ("lr", r)):
                    eces[key].append(ece(yt, probabilities))
                floors.append(ece_floor(p))
        m = {k: float(np.mean(v)) for k, v in scores.items()}
        print(f"| {name} | {len(df)} | {m['sb']:.4f} | {m['lgb']:.4f} | {m['lr']:.4f} | {m['sb'] - m['lgb']:+.4f} | "
              f"{m['sb'] - m['lr']:+.4f} | {np.mean(losses['sb']):.4f} | {np.mean(losses['lgb']):.4f} | "
              f"{np.mean(eces['sb']):.4f} | {np.mean(floors):.4f} | {np.mean(eces['lgb']):.4f} | {np.mean(eces['lr']):.4f} | "
              f"{np.mean(seconds['sb']):.1f} | "
              f"{np.mean(seconds['lgb']):.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
