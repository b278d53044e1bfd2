"""The demo organisations of `seed-demo --profile`: each is valid as a whole, scores each
job title on a scorecard of KPIs it has values for, and its KPIs relate to each other as
they would in such an organisation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from store.datasets import BUILTIN_KPIS, DATASETS
from store.validation import validate
from worker.cli import cli
from worker.demo import generate_organisation
from worker.demo.departments import TASK_COMPANY
from worker.demo.profiles import PROFILES

END = dt.date(2026, 6, 1)
KPI_PROFILES = ("restaurant", "sales", "remote")


@pytest.fixture(scope="module")
def organisations() -> dict[str, dict[str, pd.DataFrame]]:
    return {
        name: generate_organisation(employees=1500, seed=11, end_period=END, company=company)
        for name, company in PROFILES.items()
    }


def person_means(values: pd.DataFrame, kpis: list[str]) -> pd.DataFrame:
    """employee_id x kpi_id: each person's mean monthly value."""
    wide = values[values["kpi_id"].isin(kpis)].pivot_table(
        index="employee_id", columns="kpi_id", values="value", aggfunc="mean"
    )
    return wide.dropna()


def spearman(a: pd.Series, b: pd.Series) -> float:
    return float(a.rank().corr(b.rank()))


@pytest.mark.parametrize("profile", list(PROFILES))
def test_every_dataset_of_a_profile_passes_the_ingest_validation(organisations, profile):
    checked = 0
    for name, frame in organisations[profile].items():
        if len(frame):
            validated = validate(frame, DATASETS[name])  # raises naming row and column
            assert len(validated) == len(frame), name
            checked += 1
    assert checked >= 7  # employees, task records or KPI values, skills, training, ...


def test_the_task_profile_is_the_default_organisation_and_has_no_kpis(organisations):
    assert PROFILES["tasks"] is TASK_COMPANY
    default = generate_organisation(employees=1500, seed=11, end_period=END)
    for name, frame in default.items():
        pd.testing.assert_frame_equal(frame, organisations["tasks"][name])
    assert all(len(organisations["tasks"][n]) == 0 for n in ("kpis", "kpi-values", "scorecards"))


def test_the_restaurant_group_is_scored_on_kpis_alone_without_a_task_record(organisations):
    org = organisations["restaurant"]
    assert len(org["task-records"]) == 0
    titles = set(org["employees"]["job_title"])
    assert set(org["scorecards"]["job_title"]) == titles  # nobody on the default scorecard
    assert not set(org["scorecards"]["kpi_id"]) & set(BUILTIN_KPIS)


@pytest.mark.parametrize("profile", KPI_PROFILES)
def test_each_scorecard_names_known_kpis_and_held_titles_and_everyone_has_their_values(
    organisations, profile
):
    org = organisations[profile]
    custom = set(org["kpis"]["kpi_id"])
    cards = org["scorecards"]
    assert set(cards["kpi_id"]) <= custom | set(BUILTIN_KPIS)
    assert set(cards["job_title"]) <= set(org["employees"]["job_title"])
    assert (cards["weight"] > 0).all()
    assert not cards.duplicated(["job_title", "kpi_id"]).any()
    # Everybody on a scorecard with custom KPIs reports them (bar a leave or a gap).
    people = org["employees"].merge(cards[cards["kpi_id"].isin(custom)], on="job_title")
    reported = org["kpi-values"].groupby(["employee_id", "kpi_id"]).size()
    expected = pd.MultiIndex.from_frame(people[["employee_id", "kpi_id"]].drop_duplicates())
    assert expected.isin(reported.index).mean() > 0.99
    # Values are only ever given for the KPIs of the person's own scorecard.
    given = org["kpi-values"][["employee_id", "kpi_id"]].drop_duplicates()
    assert len(given.merge(people[["employee_id", "kpi_id"]])) == len(given)


@pytest.mark.parametrize("profile", KPI_PROFILES)
def test_people_on_task_measures_have_task_records_and_the_others_none(organisations, profile):
    org = organisations[profile]
    cards = org["scorecards"]
    custom_only = set(cards.groupby("job_title")["kpi_id"].agg(
        lambda k: not set(k) & set(BUILTIN_KPIS)
    ).loc[lambda s: s].index)  # fmt: skip
    employees = org["employees"].set_index("employee_id")["job_title"]
    with_tasks = set(org["task-records"]["employee_id"])
    assert not {e for e in with_tasks if employees[e] in custom_only}
    on_tasks = employees[~employees.isin(custom_only)]
    # Everybody else is on the task measures (their own scorecard or the default one).
    assert on_tasks.empty or on_tasks.index.isin(list(with_tasks)).mean() > 0.95


def test_better_servers_have_more_satisfied_guests_more_accurate_orders_shorter_waits(
    organisations,
):
    org = organisations["restaurant"]
    servers = org["employees"].loc[org["employees"]["job_title"] == "Server", "employee_id"]
    values = org["kpi-values"][org["kpi-values"]["employee_id"].isin(servers)]
    means = person_means(values, ["guest_satisfaction", "order_accuracy", "table_wait_minutes"])
    assert len(means) > 100
    assert spearman(means["guest_satisfaction"], means["order_accuracy"]) > 0.2
    assert spearman(means["guest_satisfaction"], means["table_wait_minutes"]) < -0.2
    assert spearman(means["order_accuracy"], means["table_wait_minutes"]) < -0.2


def test_sales_representatives_who_convert_more_also_reach_more_of_their_quota(organisations):
    org = organisations["sales"]
    means = person_means(org["kpi-values"], ["quota_attainment", "conversion_rate"])
    assert spearman(means["quota_attainment"], means["conversion_rate"]) > 0.2


def test_after_hours_load_rises_before_the_completion_rate_falls(organisations):
    """Remote-first: people whose after-hours load is high in the first half of the window
    lose completion rate in the second half."""
    org = organisations["remote"]
    periods = sorted(org["kpi-values"]["period"].unique())
    early = periods[: len(periods) // 2]
    after_hours = org["kpi-values"][
        (org["kpi-values"]["kpi_id"] == "after_hours_pct")
        & org["kpi-values"]["period"].isin(early)
    ].groupby("employee_id")["value"].mean()  # fmt: skip
    tasks = org["task-records"].assign(late=lambda t: ~t["period"].isin(early))
    totals = tasks.groupby(["employee_id", "late"])[["tasks_completed", "tasks_total"]].sum()
    rate = (totals["tasks_completed"] / totals["tasks_total"]).unstack()
    change = (rate[True] - rate[False]).dropna()
    both = after_hours.index.intersection(change.index)
    assert len(both) > 500
    assert spearman(after_hours[both], change[both]) < -0.15


def test_seed_demo_names_the_profiles_and_refuses_an_unknown_one():
    listed = CliRunner().invoke(cli, ["seed-demo", "--help"])
    assert all(name in listed.output for name in PROFILES)
    refused = CliRunner().invoke(
        cli, ["seed-demo", "--profile", "bakery", "--database-url", "postgresql:///unused"]
    )
    assert refused.exit_code == 2
    assert "'bakery' is not one of" in refused.output


def test_a_profile_depends_only_on_its_arguments():
    first = generate_organisation(
        employees=300, seed=4, end_period=END, company=PROFILES["restaurant"]
    )
    again = generate_organisation(
        employees=300, seed=4, end_period=END, company=PROFILES["restaurant"]
    )
    for name, frame in first.items():
        pd.testing.assert_frame_equal(frame, again[name])
    assert np.isfinite(first["kpi-values"]["value"]).all()
