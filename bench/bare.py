"""The bare limits EPA's figures are held against: the least work that gives the same
output, with no validation, no bookkeeping, no indexes and no insights.

    python -m bench.bare worker DATABASE_URL       COPY every task record out, sum them per
                                                   employee, fit the same scaler, KMeans,
                                                   IsolationForest and forest search as a
                                                   run, COPY the scores into a table
                                                   without indexes
    python -m bench.bare ingest DATABASE_URL FILE  COPY a task-records CSV into a temporary
                                                   table and upsert it in one statement
    python -m bench.bare analyze FILE              the pipeline of POST /analyze, called in
                                                   process on the body's records as arrays

Each prints one JSON line of its steps' seconds. bench.suite runs it as a process of its
own, so that its peak memory is measured exactly as EPA's is."""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import psycopg2
from sklearn.cluster import KMeans
from sklearn.ensemble import IsolationForest, RandomForestClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from analytics import analyze_records
from analytics.config import DEFAULT_CONFIG, TIER_NAMES

TASK_COLUMNS = ("employee_id", "period", "tasks_total", "tasks_completed", "hours_logged")


class Steps:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 3)


def _copy_out(conn, query: str) -> io.StringIO:
    buffer = io.StringIO()
    with conn.cursor() as cur:
        cur.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
    buffer.seek(0)
    return buffer


def worker(database_url: str) -> dict[str, float]:
    config, steps = DEFAULT_CONFIG, Steps()
    rng = np.random.default_rng(config.random_state)
    conn = psycopg2.connect(database_url)
    try:
        with steps("copy_out"):
            records = pd.read_csv(
                _copy_out(conn, f"SELECT {', '.join(TASK_COLUMNS)} FROM task_records"),
                names=list(TASK_COLUMNS),
                dtype={"employee_id": str},
            )
        with steps("features"):
            sums = records.groupby("employee_id", sort=False)[
                ["tasks_total", "tasks_completed", "hours_logged"]
            ].sum()
            del records
            total = sums["tasks_total"].to_numpy(dtype=float)
            completed = sums["tasks_completed"].to_numpy(dtype=float)
            hours = sums["hours_logged"].to_numpy(dtype=float)
            completion = np.divide(completed, total, out=np.zeros_like(total), where=total > 0)
            per_task = np.divide(hours, completed, out=np.zeros_like(hours), where=completed > 0)
            features = np.column_stack([completion, per_task, completed])
            span = np.ptp(features, axis=0)
            scaled = (features - features.min(axis=0)) / np.where(span > 0, span, 1)
            score = 100 * scaled @ np.array(config.weights)
        with steps("fit"):
            n = len(features)
            fit_rows = rng.choice(n, size=min(n, config.max_fit_samples), replace=False)
            tiers = Pipeline(
                [
                    ("scale", StandardScaler()),
                    ("kmeans", KMeans(config.n_clusters, n_init=config.kmeans_n_init,
                                      random_state=config.random_state)),
                ]
            ).fit(features[fit_rows])  # fmt: skip
            cluster = tiers.predict(features)
            order = np.argsort([-score[cluster == c].mean() for c in range(config.n_clusters)])
            tier = np.asarray(TIER_NAMES, dtype=object)[np.argsort(order)][cluster]
            anomalies = Pipeline(
                [
                    ("scale", StandardScaler()),
                    ("forest", IsolationForest(contamination=config.contamination,
                                               random_state=config.random_state, n_jobs=-1)),
                ]
            ).fit(features[fit_rows])  # fmt: skip
            is_anomaly = anomalies.predict(features) == -1
            train = rng.choice(n, size=min(n, config.predictor_sample_size), replace=False)
            search = GridSearchCV(
                RandomForestClassifier(
                    random_state=config.random_state,
                    class_weight="balanced",
                    max_samples=config.forest_max_samples,
                    n_jobs=config.n_jobs,
                ),
                {k: list(v) for k, v in config.param_grid.items()},
                scoring="f1_macro",
                cv=StratifiedKFold(config.cv_folds, shuffle=True,
                                   random_state=config.random_state),
            ).fit(features[train], tier[train])  # fmt: skip
            probabilities = search.best_estimator_.predict_proba(features)
            classes = list(search.best_estimator_.classes_)
        with steps("copy_in"):
            scores = pd.DataFrame(
                {
                    "employee_id": sums.index,
                    "score": score,
                    "tier": tier,
                    "is_anomaly": is_anomaly,
                    "predicted_tier": np.asarray(classes, dtype=object)[
                        probabilities.argmax(axis=1)
                    ],
                    **{f"p_{c.lower()}": probabilities[:, classes.index(c)] for c in classes},
                }
            )
            text = io.StringIO(scores.to_csv(index=False, header=False))
            with conn.cursor() as cur:
                cur.execute(
                    """CREATE TEMP TABLE bare_scores (employee_id text, score float8, tier text,
                           is_anomaly boolean, predicted_tier text, p_high float8,
                           p_low float8, p_medium float8)"""
                )
                columns = ", ".join(scores.columns)
                cur.copy_expert(f"COPY bare_scores ({columns}) FROM STDIN WITH (FORMAT csv)", text)
            conn.commit()
    finally:
        conn.close()
    return steps.seconds


def ingest(database_url: str, path: str) -> dict[str, float]:
    steps = Steps()
    conn = psycopg2.connect(database_url)
    try:
        with steps("copy_upsert"), conn, conn.cursor() as cur, open(path) as csv:
            cur.execute(
                "CREATE TEMP TABLE staging (LIKE task_records INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            cur.copy_expert(
                f"COPY staging ({', '.join(TASK_COLUMNS)}) FROM STDIN WITH (FORMAT csv, HEADER)",
                csv,
            )
            cur.execute(
                f"""INSERT INTO task_records ({", ".join(TASK_COLUMNS)})
                    SELECT {", ".join(TASK_COLUMNS)} FROM staging
                    ON CONFLICT (employee_id, period) DO UPDATE
                    SET tasks_total = excluded.tasks_total,
                        tasks_completed = excluded.tasks_completed,
                        hours_logged = excluded.hours_logged, updated_at = now()"""
            )
    finally:
        conn.close()
    return steps.seconds


def analyze(path: str) -> dict[str, float]:
    steps = Steps()
    with open(path) as body:
        records = pd.DataFrame(json.load(body)["records"])
    with steps("analyze"):
        analyze_records(records)
    return steps.seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("worker").add_argument("database_url")
    upsert = commands.add_parser("ingest")
    upsert.add_argument("database_url")
    upsert.add_argument("file")
    commands.add_parser("analyze").add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "worker":
        seconds = worker(args.database_url)
    elif args.command == "ingest":
        seconds = ingest(args.database_url, args.file)
    else:
        seconds = analyze(args.file)
    print(json.dumps(seconds))


if __name__ == "__main__":
    main()
