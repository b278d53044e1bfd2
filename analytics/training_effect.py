"""Training effectiveness: did participants' score and completion rate change after a
program more than those of comparable colleagues who took no training?

Rule (k = `InsightsConfig.effect_months`, months are monthly periods):

- Monthly measures: each month's population is scored with `analytics.scoring.score_window`
  (peer groups as in the run's config); the completion rate is completed / total tasks.
  A month without tasks (leave) says nothing about the effect and is not counted.
  With custom scorecards (analytics.scorecards) each month is scored by them instead: a
  person on a scorecard with task measures counts in the months they had tasks, as above;
  one on a KPI-only scorecard in the months with a value of one of its KPIs (the others
  get the peer median, as in a run). The completion rate is counted only in months with
  tasks, so a KPI-only organisation has a score effect and no completion effect.
- A completion on a day of month m is measured over the k months before m and the k months
  after m (m itself, the training month, is left out). It is measurable when the participant
  has at least one counted month in each window, the after-window has ended by `as_of`
  (m + k <= as_of's month), and at least one comparison colleague exists.
- Participant change = mean(after) - mean(before).
- Comparison colleagues of (job title, m): same job title, no completion of any program from
  the start of the before-window to the end of the after-window, at least one counted month
  in each window. Their mean change over the same months is what would have happened anyway.
- Effect of one completion = participant change - the comparison mean change of its
  (job title, m). Per program and metric: participants (measurable completions),
  comparison_employees (distinct colleagues used), the means before and after of both
  groups (averaged over the completions, so effect = (participants_after -
  participants_before) - (comparison_after - comparison_before)), the mean effect and its
  95% t interval (NULL below two participants). A program with completions but nothing
  measurable gets participants 0 and NULL figures.

Cost is bounded: only completions of the last `MEASURED_TRAINING_MONTHS` training months
whose after-window has ended are measured, so at most that many + 2k months of activity are
read (`activity_months` says which, for the store's reader); comparison colleagues are
the participants of other months plus a seeded sample (config.random_state) of at most
`MAX_COMPARISON_PER_TITLE` other people per job title. Completions after `as_of`'s month are
ignored. Windows are sums over a dense person x month matrix with cumulative sums; loops run
only over training months and metrics.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
from scipy import stats

from analytics.config import DEFAULT_CONFIG, DEFAULT_INSIGHTS, AnalysisConfig, InsightsConfig
from analytics.scorecards import Scorecards, score_scorecards
from analytics.scoring import check_task_arrays, task_scores

EFFECTIVENESS_COLUMNS = (
    "program_id",
    "program_name",
    "skill",
    "metric",
    "participants",
    "comparison_employees",
    "participants_before",
    "participants_after",
    "comparison_before",
    "comparison_after",
    "effect",
    "ci_low",
    "ci_high",
)
METRICS = ("score", "completion_rate")
# A t interval needs at least this many participants; below it the effect is one person's.
MIN_PARTICIPANTS = 2
# Training months measured per run: older completions were measured by earlier runs.
MEASURED_TRAINING_MONTHS = 12
# Comparison colleagues per job title: a seeded sample beyond this many keeps the matrices
# small; the mean change of 5,000 people is as good as that of 100,000 here.
MAX_COMPARISON_PER_TITLE = 5_000


def _month_number(values) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1) of dates or timestamps."""
    values = np.asarray(values)
    if values.dtype.kind == "M" and not np.isnat(values).any():
        # Ten million task records' periods: numpy's month unit, not a calendar per row.
        return values.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    when = pd.DatetimeIndex(pd.to_datetime(pd.Series(values)))
    return np.asarray(when.year * 12 + when.month - 1, dtype=np.int64)


def _as_date(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, 1)


def measured_training_months(as_of: dt.date, insights: InsightsConfig) -> tuple[int, int]:
    """(first, last) month numbers of the training months a run measures."""
    last = as_of.year * 12 + as_of.month - 1 - insights.effect_months
    return last - MEASURED_TRAINING_MONTHS + 1, last


def activity_months(
    completions: pd.DataFrame, as_of: dt.date, insights: InsightsConfig = DEFAULT_INSIGHTS
) -> list[dt.date]:
    """The monthly periods whose task records `training_effectiveness` needs: the windows
    around the measured completions (none when nothing is measurable)."""
    if completions.empty:
        return []
    first, last = measured_training_months(as_of, insights)
    months = np.unique(_month_number(completions["completed_on"]))
    months = months[(months >= first) & (months <= last)]
    k = insights.effect_months
    needed = np.unique((months[:, None] + np.arange(-k, k + 1)[None, :]).ravel())
    return [_as_date(int(m)) for m in needed]


def _task_frame(activity: pd.DataFrame, emp_code: np.ndarray) -> pd.DataFrame:
    """The monthly task records with employee codes, in the column names of scoring."""
    return pd.DataFrame(
        {
            "emp": emp_code,
            "month": _month_number(activity["period"]),
            "total_tasks": activity["tasks_total"].to_numpy(dtype=np.int64),
            "completed_tasks": activity["tasks_completed"].to_numpy(dtype=np.int64),
            "hours_logged": activity["hours_logged"].to_numpy(dtype=np.float64),
        }
    )


def _monthly_measures(
    activity: pd.DataFrame,
    emp_code: np.ndarray,
    months: np.ndarray,
    span: tuple[int, int],
    peer_groups: np.ndarray | None,
    keep: np.ndarray,
    config: AnalysisConfig,
) -> pd.DataFrame:
    """(emp, month, score, completion_rate) for the months with tasks in `span` (first,
    last month number) of the employees whose code is True in `keep`, `emp` being the
    employee's code. Every month's whole population is scored together, as a run scores
    its window, but only the kept rows are returned: at scale the months hold ten million
    rows, of which the comparison uses a few hundred thousand."""
    groups = None
    if peer_groups is not None:
        # Grouped as score_window groups them (by the names as text), through integer codes.
        groups = pd.factorize(pd.Series(peer_groups, dtype=object).astype(str))[0][emp_code]
    total = activity["tasks_total"].to_numpy(dtype=np.float64)
    completed = activity["tasks_completed"].to_numpy(dtype=np.float64)
    hours = activity["hours_logged"].to_numpy(dtype=np.float64)
    check_task_arrays(total, completed, hours)
    # A stable sort of small month offsets (a radix sort) lists each month's rows in order.
    offset = months - months.min() if len(months) else months
    order = np.argsort(offset.astype(np.int16), kind="stable")
    bounds = np.searchsorted(offset[order], np.arange(offset.max() + 2 if len(offset) else 1))
    parts = []
    for start, stop in itertools.pairwise(bounds):
        if start == stop or not span[0] <= months[order[start]] <= span[1]:
            continue
        rows = order[start:stop]
        scored = task_scores(
            total[rows],
            completed[rows],
            hours[rows],
            None if groups is None else groups[rows],
            config,
        )
        kept = keep[emp_code[rows]] & (total[rows] > 0)
        parts.append(
            pd.DataFrame(
                {
                    "emp": emp_code[rows][kept],
                    "month": months[rows][kept],
                    "score": np.asarray(scored["score"], dtype=np.float64)[kept],
                    "completion_rate": np.asarray(scored["completion_rate"], np.float64)[kept],
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            {c: pd.Series(dtype=np.float64) for c in ("emp", "month", *METRICS)}
        ).astype({"emp": np.int64, "month": np.int64})
    return pd.concat(parts, ignore_index=True)


def _monthly_scorecard_measures(
    activity: pd.DataFrame,
    activity_code: np.ndarray,
    kpi_values: pd.DataFrame,
    kpi_code: np.ndarray,
    emp_ids: pd.Index,
    employees: pd.DataFrame,
    scorecards: Scorecards,
    config: AnalysisConfig,
) -> pd.DataFrame:
    """(emp, month, score, completion_rate) with each month scored by the scorecards; NaN
    where the month does not count for that measure (see the module docstring)."""
    info = employees.set_index("employee_id").reindex(emp_ids)
    tasks = _task_frame(activity, activity_code)
    values = pd.DataFrame(
        {
            "emp": kpi_code,
            "month": _month_number(kpi_values["period"]),
            "kpi_id": kpi_values["kpi_id"].astype(str).to_numpy(),
            "value": kpi_values["value"].to_numpy(dtype=np.float64),
        }
    )
    keys = scorecards.keys_of(info["job_title"])
    value_keys = keys[values["emp"].to_numpy()]
    on_tasks = np.full(len(keys), scorecards.default.uses_tasks)
    own_kpi = np.zeros(len(values), dtype=bool)  # a KPI of the person's own scorecard
    for key, card in scorecards.by_job_title.items():
        on_tasks[keys == key] = card.uses_tasks
        own_kpi |= (value_keys == key) & values["kpi_id"].isin(card.custom_kpis).to_numpy()
    frames = []
    for month in np.union1d(tasks["month"].unique(), values["month"].unique()):
        worked = tasks[(tasks["month"] == month) & on_tasks[tasks["emp"].to_numpy()]]
        month_values = values[(values["month"] == month).to_numpy() & own_kpi]
        kpi_only = np.setdiff1d(month_values["emp"].unique(), worked["emp"].to_numpy())
        kpi_only = kpi_only[~on_tasks[kpi_only]]
        emps = np.concatenate([worked["emp"].to_numpy(), kpi_only]).astype(np.int64)
        frame = pd.DataFrame(
            {
                "employee_id": emp_ids[emps].astype(str),
                "job_title": info["job_title"].to_numpy()[emps],
                "total_tasks": np.concatenate([worked["total_tasks"], np.zeros(len(kpi_only))]),
                "completed_tasks": np.concatenate(
                    [worked["completed_tasks"], np.zeros(len(kpi_only))]
                ),
                "hours_logged": np.concatenate([worked["hours_logged"], np.zeros(len(kpi_only))]),
            }
        )
        if config.peer_group is not None and config.peer_group in info.columns:
            frame[config.peer_group] = info[config.peer_group].to_numpy()[emps]
        pivot = month_values.assign(employee_id=emp_ids[month_values["emp"]].astype(str))
        pivot = pivot.pivot(index="employee_id", columns="kpi_id", values="value")
        scored = score_scorecards(frame, scorecards, pivot, config, with_flags=False).frame
        counted = ~on_tasks[emps] | (frame["total_tasks"].to_numpy() > 0)
        frames.append(
            pd.DataFrame({"emp": emps, "month": month,
                          "score": np.where(counted, scored["score"].to_numpy(), np.nan)})
        )  # fmt: skip
    scores = pd.concat(frames, ignore_index=True) if frames else None
    # The completion rate of everyone with tasks, whatever their scorecard.
    with_tasks = tasks[tasks["total_tasks"] > 0]
    completion = with_tasks.assign(
        completion_rate=with_tasks["completed_tasks"] / with_tasks["total_tasks"]
    )[["emp", "month", "completion_rate"]]
    if scores is None:
        return completion.assign(score=np.nan)
    return scores.merge(completion, on=["emp", "month"], how="outer")


def _by_code(column: pd.Series, at: np.ndarray) -> np.ndarray:
    """The column's values at rows `at`, NaN where -1: reindexing by the ids, by position."""
    values = np.full(len(at), np.nan, dtype=object)
    found = at >= 0
    values[found] = column.to_numpy(dtype=object)[at[found]]
    return values


def _empty_rows(program_ids: np.ndarray, programs: pd.DataFrame) -> pd.DataFrame:
    info = programs.set_index("program_id").reindex(program_ids)
    rows = pd.DataFrame(
        {
            "program_id": np.repeat(program_ids, len(METRICS)),
            "program_name": np.repeat(info["name"].to_numpy(dtype=object), len(METRICS)),
            "skill": np.repeat(info["skill"].to_numpy(dtype=object), len(METRICS)),
            "metric": np.tile(np.array(METRICS, dtype=object), len(program_ids)),
            "participants": 0,
            "comparison_employees": 0,
        }
    )
    for column in EFFECTIVENESS_COLUMNS[6:]:
        rows[column] = np.nan
    return rows[list(EFFECTIVENESS_COLUMNS)]


def training_effectiveness(
    monthly_activity: pd.DataFrame,
    employees: pd.DataFrame,
    completions: pd.DataFrame,
    programs: pd.DataFrame,
    config: AnalysisConfig = DEFAULT_CONFIG,
    insights: InsightsConfig = DEFAULT_INSIGHTS,
    as_of: dt.date | None = None,
    *,
    scorecards: Scorecards | None = None,
    monthly_kpis: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per program with completions up to `as_of` and per metric (score, completion_rate):
    the training_effectiveness columns (minus run_id), sorted by program_id then metric in
    METRICS order. See the module docstring for the rule.

    monthly_activity: employee_id, period, tasks_total, tasks_completed, hours_logged (the
    months of `activity_months`); employees: employee_id, department, job_title (and the
    config's peer-group column); completions: employee_id, program_id, completed_on;
    scorecards: the run's (None: everybody on the default scorecard); monthly_kpis:
    employee_id, period, kpi_id, value of the same months (custom KPIs)."""
    if as_of is None:
        raise ValueError("as_of (the run's latest period) is required")
    k = insights.effect_months
    as_of_month = as_of.year * 12 + as_of.month - 1
    done = completions.assign(month=_month_number(completions["completed_on"]))
    done = done[done["month"] <= as_of_month]
    program_ids = np.sort(pd.unique(done["program_id"]).astype(object))
    empty = _empty_rows(program_ids, programs)
    first, last = measured_training_months(as_of, insights)
    title_of = employees.set_index("employee_id")["job_title"]
    measured = done[(done["month"] >= first) & (done["month"] <= last)]
    measured = measured[measured["employee_id"].isin(title_of.index)].reset_index(drop=True)
    by_scorecards = bool(scorecards and scorecards.by_job_title) and monthly_kpis is not None
    if measured.empty or (monthly_activity.empty and not (by_scorecards and len(monthly_kpis))):
        return empty

    # Employees as integer codes from here on: one hash of the ids, not one per step.
    lo, hi = int(measured["month"].min()) - k, int(measured["month"].max()) + k
    if by_scorecards:
        emp_ids = pd.Index(
            pd.unique(np.concatenate([np.asarray(monthly_activity["employee_id"], dtype=object),
                                      np.asarray(monthly_kpis["employee_id"], dtype=object)]))
        )  # fmt: skip
        measures = _monthly_scorecard_measures(
            monthly_activity,
            emp_ids.get_indexer(monthly_activity["employee_id"]),
            monthly_kpis,
            emp_ids.get_indexer(monthly_kpis["employee_id"]),
            emp_ids,
            employees,
            scorecards,
            config,
        )
        measures = measures[(measures["month"] >= lo) & (measures["month"] <= hi)]
        active = pd.unique(measures["emp"])
    else:
        emp_code, emp_ids = pd.factorize(monthly_activity["employee_id"])
        emp_ids = pd.Index(np.asarray(emp_ids, dtype=object))  # plain, also from a categorical
        # The people with a counted month in range, known before any month is scored, so
        # that the scoring keeps only the rows the comparison uses.
        months = _month_number(monthly_activity["period"])
        counted = (monthly_activity["tasks_total"].to_numpy() > 0) & (months >= lo) & (months <= hi)
        active = pd.unique(emp_code[counted])
    employee_at = title_of.index.get_indexer(emp_ids)
    code_title = _by_code(employees["job_title"], employee_at)

    # Rows: every participant, and a seeded sample of colleagues per job title in question.
    measured = measured.assign(emp=emp_ids.get_indexer(measured["employee_id"]))
    participants = pd.unique(measured["emp"][measured["emp"] >= 0])
    titles = pd.unique(code_title[participants])
    candidates = pd.DataFrame({"emp": active, "job_title": code_title[active]})
    candidates = candidates[
        candidates["job_title"].isin(titles) & ~candidates["emp"].isin(participants)
    ]
    rng = np.random.default_rng(config.random_state)
    candidates = candidates.assign(draw=rng.random(len(candidates)))
    draw_rank = candidates.groupby("job_title")["draw"].rank(method="first")
    candidates = candidates[draw_rank <= MAX_COMPARISON_PER_TITLE]
    rows = np.concatenate([participants, candidates["emp"].to_numpy()]).astype(np.int64)
    row_of_code = np.full(len(emp_ids), -1, dtype=np.int64)
    row_of_code[rows] = np.arange(len(rows))
    row_title, title_names = pd.factorize(code_title[rows])
    if not by_scorecards:
        peer = config.peer_group
        peer_groups = None
        if peer is not None and peer in employees.columns:
            peer_groups = _by_code(employees[peer], employee_at)
        measures = _monthly_measures(
            monthly_activity,
            emp_code,
            months,
            (lo, hi),
            peer_groups,
            row_of_code >= 0,
            config,
        )
    n_rows, n_months = len(rows), hi - lo + 1

    # Dense row x month matrices; cumulative sums with a leading 0 make any window a subtraction.
    in_rows = row_of_code[measures["emp"].to_numpy()]
    kept = measures[in_rows >= 0]
    r, c = in_rows[in_rows >= 0], kept["month"].to_numpy() - lo
    # Per metric, as a month may count for one measure and not the other (NaN).
    cum_count, cum_value = {}, {}
    for metric in METRICS:
        measure = kept[metric].to_numpy(dtype=np.float64)
        ok = ~np.isnan(measure)
        counted = np.zeros((n_rows, n_months + 1))
        np.add.at(counted[:, 1:], (r[ok], c[ok]), 1.0)
        cum_count[metric] = np.cumsum(counted, axis=1)
        value = np.zeros((n_rows, n_months + 1))
        np.add.at(value[:, 1:], (r[ok], c[ok]), measure[ok])
        cum_value[metric] = np.cumsum(value, axis=1)
    trained = np.zeros((n_rows, n_months + 1))
    t_code = emp_ids.get_indexer(done["employee_id"])
    t_rows = np.where(t_code >= 0, row_of_code[np.maximum(t_code, 0)], -1)
    t_cols = done["month"].to_numpy() - lo
    inside = (t_rows >= 0) & (t_cols >= 0) & (t_cols < n_months)
    np.add.at(trained[:, 1:], (t_rows[inside], t_cols[inside]), 1.0)
    cum_trained = np.cumsum(trained, axis=1)

    def window(cum: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Sum over month columns start..stop-1, clipped to the matrix."""
        start = min(max(start, 0), n_months)
        stop = min(max(stop, start), n_months)
        return cum[:, stop] - cum[:, start]

    per_completion = []
    n_titles = len(title_names)
    # Bit i of a row: it is a comparison colleague (on the score) for the i-th training month.
    comparison_bits = np.zeros(n_rows, dtype=np.int64)
    for bit, month in enumerate(np.unique(measured["month"])):
        j = int(month) - lo
        busy = window(cum_trained, j - k, j + k + 1) > 0
        these = measured[(measured["month"] == month) & (measured["emp"] >= 0)]
        p_row = row_of_code[these["emp"].to_numpy()]
        p_title = row_title[p_row]
        out = pd.DataFrame(
            {"program_id": these["program_id"].to_numpy(), "bit": bit, "title": p_title}
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            for metric in METRICS:
                n_before = window(cum_count[metric], j - k, j)
                n_after = window(cum_count[metric], j + 1, j + k + 1)
                valid = ~busy & (n_before > 0) & (n_after > 0)
                n_comparison = np.bincount(row_title[valid], minlength=n_titles)
                if metric == METRICS[0]:
                    comparison_bits[valid] |= 1 << bit
                out[f"{metric}_measurable"] = (
                    (n_before[p_row] > 0) & (n_after[p_row] > 0) & (n_comparison[p_title] > 0)
                )
                before = window(cum_value[metric], j - k, j) / n_before
                after = window(cum_value[metric], j + 1, j + k + 1) / n_after
                c_before = np.bincount(row_title[valid], before[valid], n_titles) / n_comparison
                c_after = np.bincount(row_title[valid], after[valid], n_titles) / n_comparison
                out[f"{metric}_pb"] = before[p_row]
                out[f"{metric}_pa"] = after[p_row]
                out[f"{metric}_cb"] = c_before[p_title]
                out[f"{metric}_ca"] = c_after[p_title]
        per_completion.append(out)
    each = pd.concat(per_completion, ignore_index=True)
    each = each[each[[f"{m}_measurable" for m in METRICS]].any(axis=1)]
    if each.empty:
        return empty

    # Distinct comparison colleagues per program: a row counts when it is a colleague for
    # any (its title, training month) of the program's completions. Rows with the same
    # title and bits count alike, so the test runs per (title, bits) group, not per row.
    program_code, program_names = pd.factorize(each["program_id"])
    wanted = np.zeros((len(program_names), n_titles), dtype=np.int64)
    np.bitwise_or.at(wanted, (program_code, each["title"].to_numpy()), 1 << each["bit"].to_numpy())
    groups = pd.DataFrame({"title": row_title, "bits": comparison_bits})
    groups = groups[groups["bits"] > 0].value_counts().reset_index()
    hit = (wanted[:, groups["title"].to_numpy()] & groups["bits"].to_numpy()[None, :]) != 0
    comparison_n = pd.Series(hit @ groups["count"].to_numpy(), index=program_names)

    frames = []
    for metric in METRICS:
        rows_of = each[each[f"{metric}_measurable"]]
        figures = rows_of[["program_id"]].assign(
            pb=rows_of[f"{metric}_pb"],
            pa=rows_of[f"{metric}_pa"],
            cb=rows_of[f"{metric}_cb"],
            ca=rows_of[f"{metric}_ca"],
        )
        figures["effect"] = (figures.pa - figures.pb) - (figures.ca - figures.cb)
        by = figures.groupby("program_id")
        agg = by[["pb", "pa", "cb", "ca", "effect"]].mean()
        n = by.size()
        sd = by["effect"].std(ddof=1)
        half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
        half = half.where(n >= MIN_PARTICIPANTS)
        frames.append(
            pd.DataFrame(
                {
                    "program_id": agg.index,
                    "metric": metric,
                    "participants": n.to_numpy(),
                    "comparison_employees": comparison_n.reindex(agg.index).to_numpy(),
                    "participants_before": agg.pb.to_numpy(),
                    "participants_after": agg.pa.to_numpy(),
                    "comparison_before": agg.cb.to_numpy(),
                    "comparison_after": agg.ca.to_numpy(),
                    "effect": agg.effect.to_numpy(),
                    "ci_low": (agg.effect - half).to_numpy(),
                    "ci_high": (agg.effect + half).to_numpy(),
                }
            )
        )
    found = pd.concat(frames, ignore_index=True)
    result = empty[["program_id", "program_name", "skill", "metric"]].merge(
        found, on=["program_id", "metric"], how="left"
    )
    for column in ("participants", "comparison_employees"):
        result[column] = result[column].fillna(0).astype(np.int64)
    return result[list(EFFECTIVENESS_COLUMNS)]
