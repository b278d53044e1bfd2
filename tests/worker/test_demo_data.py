"""The demo organisation: valid under every rule of store/datasets.py, and realistic."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from store.datasets import DATASETS, Field
from worker.demo import generate_organisation

SIZE = 300
END = dt.date(2026, 6, 1)
MONTHS = 12
WINDOW_START = dt.date(2025, 7, 1)  # the first of the MONTHS periods up to END


@pytest.fixture(scope="module")
def org() -> dict[str, pd.DataFrame]:
    return generate_organisation(employees=SIZE, seed=7, months=MONTHS, end_period=END)


@pytest.fixture(scope="module")
def large_org() -> dict[str, pd.DataFrame]:
    """For the properties of a few percent of people: ~1% of 2000 is a couple of dozen."""
    return generate_organisation(employees=2000, seed=7, months=MONTHS, end_period=END)


@pytest.fixture(scope="module")
def per_person(org) -> pd.DataFrame:
    """Window totals per employee, with their department and mean survey answers."""
    tasks = (
        org["task-records"]
        .groupby("employee_id")[["tasks_total", "tasks_completed", "hours_logged"]]
        .sum()
    )
    surveys = org["surveys"].groupby("employee_id")[["engagement", "satisfaction"]].mean()
    people = org["employees"].set_index("employee_id")[["department", "job_title"]]
    out = people.join(tasks).join(surveys)
    out["completion_rate"] = out.tasks_completed / out.tasks_total
    out["hours_per_task"] = out.hours_logged / out.tasks_total
    return out


def _walk_to_root(employees: pd.DataFrame) -> np.ndarray:
    """Steps from each employee up to the top; -1 for anyone caught in a cycle."""
    index = pd.Index(employees.employee_id)
    parent = index.get_indexer(employees.manager_id.fillna(""))  # -1 for the root
    node = np.arange(len(employees))
    steps = np.zeros(len(employees), dtype=np.int64)
    for _ in range(len(employees) + 1):
        up = node >= 0
        if not up.any():
            return steps - 1
        node[up] = parent[node[up]]
        steps[up] += 1
    return np.full(len(employees), -1)


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames(org):
    again = generate_organisation(employees=SIZE, seed=7, months=MONTHS, end_period=END)
    assert again.keys() == org.keys()
    for name, frame in org.items():
        pd.testing.assert_frame_equal(again[name], frame, obj=name)


def test_another_seed_gives_different_frames(org):
    other = generate_organisation(employees=SIZE, seed=8, months=MONTHS, end_period=END)
    for name in ("employees", "task-records", "surveys", "skills"):
        assert not other[name].equals(org[name]), name


# --------------------------------------------------------------------------- the contract

# The task-based organisation is scored on the default scorecard: these stay empty.
SCORECARD_DATASETS = ("kpis", "kpi-values", "scorecards")


def test_there_is_one_frame_per_dataset_with_its_columns_in_order(org):
    assert list(org) == list(DATASETS)
    for name, dataset in DATASETS.items():
        assert list(org[name].columns) == dataset.columns, name
        # The task-based organisation is scored on the default scorecard.
        assert (len(org[name]) == 0) == (name in SCORECARD_DATASETS), name


@pytest.mark.parametrize("name", list(DATASETS))
def test_keys_are_unique(org, name):
    frame = org[name]
    key = list(DATASETS[name].key)
    assert not frame.duplicated(subset=key).any(), frame[frame.duplicated(subset=key, keep=False)]


def _field_problems(column: pd.Series, f: Field, today: dt.date) -> list[str]:
    problems = []
    present = column.notna()
    if f.required and not present.all():
        problems.append(f"{(~present).sum()} missing value(s)")
    values = column[present]
    if f.kind == "text":
        if not values.map(lambda v: isinstance(v, str)).all():
            problems.append("non-text values")
        elif (values.str.strip() == "").any():
            problems.append("blank values")
        elif f.max_length is not None and (values.str.len() > f.max_length).any():
            problems.append(f"longer than {f.max_length}")
    elif f.kind == "int":
        if not pd.api.types.is_integer_dtype(column):
            problems.append(f"dtype {column.dtype} is not an integer type")
    elif f.kind == "float":
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            problems.append(f"dtype {column.dtype} is not numeric")
        elif not np.isfinite(values.to_numpy(dtype=float)).all():
            problems.append("non-finite values")
    elif f.kind == "date":
        is_date = values.map(lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime))
        if not is_date.all():
            problems.append("values that are not datetime.date")
            return problems
        if f.month_start and (values.map(lambda d: d.day) != 1).any():
            problems.append("dates not on the first of a month")
        if f.not_future and (values > today).any():
            problems.append(f"dates after {today}")
    if f.min is not None and (values < f.min).any():
        problems.append(f"values below {f.min}")
    if f.max is not None and (values > f.max).any():
        problems.append(f"values above {f.max}")
    return problems


@pytest.mark.parametrize(
    ("name", "field_name"),
    [(d.name, f.name) for d in DATASETS.values() for f in d.fields],
)
def test_every_field_keeps_its_rules(org, name, field_name):
    f = DATASETS[name].field(field_name)
    assert _field_problems(org[name][field_name], f, dt.date.today()) == []


def test_the_field_check_catches_broken_values():
    # The generic check above must be able to fail, or its passing means nothing.
    today = dt.date(2026, 1, 15)
    period = DATASETS["task-records"].field("period")
    assert _field_problems(pd.Series([dt.date(2026, 1, 2)], dtype=object), period, today)
    hire = DATASETS["employees"].field("hire_date")
    assert _field_problems(pd.Series([dt.date(2026, 2, 1)], dtype=object), hire, today)
    level = DATASETS["skills"].field("level")
    assert _field_problems(pd.Series([6]), level, today)
    assert _field_problems(pd.Series([2.0]), level, today)  # a float is not an int
    name = DATASETS["employees"].field("name")
    assert _field_problems(pd.Series(["x" * 201]), name, today)
    assert _field_problems(pd.Series([None], dtype="str"), name, today)


@pytest.mark.parametrize("name", [name for name, d in DATASETS.items() if d.row_checks])
def test_row_checks_hold(org, name):
    for check in DATASETS[name].row_checks:
        valid = check.valid(org[name])
        assert valid.all(), f"{check.message}: {(~valid).sum()} row(s)"


@pytest.mark.parametrize(
    "name", [n for n, d in DATASETS.items() if d.employee_refs and n not in SCORECARD_DATASETS]
)
def test_employee_references_name_generated_employees(org, name):
    known = set(org["employees"].employee_id)
    for column in DATASETS[name].employee_refs:
        referenced = set(org[name][column].dropna())
        assert referenced, f"{name}.{column} refers to nobody"
        assert referenced <= known, sorted(referenced - known)[:5]


def test_every_employee_has_task_records_skills_and_most_answer_surveys(org):
    ids = set(org["employees"].employee_id)
    assert set(org["task-records"].employee_id) == ids
    assert set(org["skills"].employee_id) == ids
    assert len(set(org["surveys"].employee_id)) > 0.7 * len(ids)


def test_role_requirements_and_programs_cover_the_skills_in_use(org):
    titles = set(org["role-requirements"].job_title)
    assert set(org["employees"].job_title) <= titles
    required = set(org["role-requirements"].skill)
    assert required <= set(org["training-programs"].skill)
    assert set(org["skills"].skill) <= required | set(org["training-programs"].skill)


# --------------------------------------------------------------------------- the organisation


def test_hierarchy_has_exactly_one_root_and_no_cycles(org):
    employees = org["employees"]
    roots = employees[employees.manager_id.isna()]
    assert len(roots) == 1
    assert roots.employee_id.iloc[0] == "E00001"  # the founder, the first hire
    steps = _walk_to_root(employees)
    assert (steps >= 0).all(), "someone's chain of managers never reaches the top"
    # CEO → department head → team lead → member
    assert steps.max() == 3


def test_members_report_to_their_team_lead_and_leads_to_their_department_head(org):
    e = org["employees"]
    managers = e.set_index("employee_id").loc[e.manager_id.dropna()]
    managed = e[e.manager_id.notna()].reset_index(drop=True)
    managers = managers.reset_index()
    same_team = managed.team.to_numpy() == managers.team.to_numpy()
    same_department = managed.department.to_numpy() == managers.department.to_numpy()
    reports_to_ceo = managers.manager_id.isna().to_numpy()
    # Everyone but the department heads (who report to the CEO) stays in their department.
    assert (same_department | reports_to_ceo).all()
    assert reports_to_ceo.sum() == e.department.nunique() - 1
    # Each ordinary team has one lead, reporting outside the team; the rest report to them.
    teams = e[~e.team.str.endswith(("Leadership", "Office"))]
    for team, members in teams.groupby("team"):
        inside = members.manager_id.isin(members.employee_id)
        assert (~inside).sum() == 1, team
        lead = members.employee_id[~inside].iloc[0]
        assert (members.manager_id[inside] == lead).all(), team
        assert members.department.nunique() == 1, team
        assert 5 <= len(members) <= 12, (team, len(members))
    assert len(teams.team.unique()) >= SIZE // 12
    assert same_team.sum() == len(teams) - teams.team.nunique()


def test_departments_differ_in_size_and_titles_show_seniority(org):
    e = org["employees"]
    sizes = e.department.value_counts()
    assert len(sizes) >= 7
    assert sizes.iloc[0] > 3 * sizes[sizes.index != "Executive"].iloc[-1]
    titles = set(e.job_title)
    assert {"Software Engineer", "Senior Software Engineer", "Engineering Manager"} <= titles
    assert e.job_title.str.startswith("Senior").sum() > 0.1 * SIZE
    # Employee ids are zero-padded and follow hiring order.
    assert e.employee_id.str.fullmatch(r"E\d{5}").all()
    assert e.sort_values("employee_id").hire_date.is_monotonic_increasing


def test_hire_dates_span_about_ten_years_and_some_joined_in_the_window(org):
    hired = org["employees"].hire_date
    assert (END - hired.min()).days > 9 * 365
    assert (hired <= END).all()
    joined = (hired >= WINDOW_START).mean()
    assert 0.05 < joined < 0.4


def test_no_task_records_before_hire_and_none_missing_after(org):
    records = org["task-records"].merge(org["employees"][["employee_id", "hire_date"]])
    hire_month = records.hire_date.map(lambda d: d.replace(day=1))
    assert (records.period >= hire_month).all()
    # Every period from the hire month (or the window's start) to END, once.
    expected_first = hire_month.where(hire_month > WINDOW_START, WINDOW_START)
    first = records.groupby("employee_id").period.min()
    assert (first == expected_first.groupby(records.employee_id).first()).all()
    assert (records.groupby("employee_id").period.max() == END).all()
    months = records.groupby("employee_id").period.agg(
        lambda p: (END.year - min(p).year) * 12 + END.month - min(p).month + 1
    )
    assert (records.groupby("employee_id").size() == months).all()


def test_window_covers_the_requested_months_up_to_end_period(org):
    periods = sorted(set(org["task-records"].period))
    assert len(periods) == MONTHS
    assert periods[0] == WINDOW_START
    assert periods[-1] == END


# --------------------------------------------------------------------------- the story


def test_completion_rate_correlates_positively_with_engagement(per_person):
    answered = per_person.dropna(subset=["engagement", "completion_rate"])
    corr = answered.completion_rate.corr(answered.engagement)
    assert 0.3 < corr < 0.95  # related through ability, but not a copy


def test_engagement_and_satisfaction_correlate_without_being_equal(org):
    s = org["surveys"]
    assert 0.3 < s.engagement.corr(s.satisfaction) < 0.95
    assert (s.engagement != s.satisfaction).mean() > 0.5


def test_abler_people_need_fewer_hours_per_task_within_a_department(per_person):
    p = per_person.dropna(subset=["completion_rate"])
    relative_hours = p.hours_per_task / p.groupby("department").hours_per_task.transform("median")
    assert p.completion_rate.corr(np.log(relative_hours), method="spearman") < -0.1


def test_workloads_differ_by_department(org):
    records = org["task-records"].merge(org["employees"][["employee_id", "department"]])
    per_dept = records[records.tasks_total > 0].groupby("department").tasks_total.median()
    assert per_dept["Customer Support"] > 5 * per_dept["Engineering"]


def outlier_scores(org: dict[str, pd.DataFrame]) -> pd.Series:
    """Per person with 3+ months of work: the largest of the log-odds of completion, log
    hours per task and log tasks a month, each measured against the median of the person's
    job title (titles held by 10 or more), in units of the robust spread."""
    records = org["task-records"]
    p = records.groupby("employee_id")[["tasks_total", "tasks_completed", "hours_logged"]].sum()
    p = p.join(org["employees"].set_index("employee_id").job_title)
    p["months"] = records.groupby("employee_id").size()
    common = p.job_title.map(p.job_title.value_counts()) >= 10
    p = p[(p.months >= 3) & (p.tasks_total > 0) & common]
    measures = pd.DataFrame(
        {
            "completion": np.log(
                (p.tasks_completed + 0.5) / (p.tasks_total - p.tasks_completed + 0.5)
            ),
            "hours_per_task": np.log(p.hours_logged / p.tasks_total),
            "throughput": np.log(p.tasks_total / p.months),
        }
    )
    deviation = measures - measures.groupby(p.job_title).transform("median")
    return (deviation / (1.4826 * deviation.abs().median())).abs().max(axis=1)


def test_some_true_outliers_exist_but_few(large_org):
    z = outlier_scores(large_org)
    # Natural variation stays within ~4.5 robust deviations; the planted outliers do not.
    assert 0.004 < (z > 5).mean() < 0.02, z.nlargest(10)
    assert (z > 4).mean() < 0.03, z.nlargest(10)


def test_some_people_improve_and_some_decline(large_org):
    # Per person working all 12 months: the least-squares slope of the monthly log-odds of
    # completion. Month-to-month noise alone would spread the slopes by what each person's
    # residuals predict; real trends (up for some, down for others) spread them wider.
    r = large_org["task-records"]
    full = r.groupby("employee_id").tasks_total.transform(
        lambda t: len(t) == MONTHS and min(t) >= 5
    )
    r = r[full.astype(bool)]
    y = np.log((r.tasks_completed + 0.5) / (r.tasks_total - r.tasks_completed + 0.5))
    y = y.to_numpy(copy=True).reshape(-1, MONTHS)
    y -= y.mean(axis=1, keepdims=True)
    x = np.arange(MONTHS) - (MONTHS - 1) / 2
    sxx = (x**2).sum()
    slope = y @ x / sxx
    residual = y - slope[:, None] * x
    noise_only = ((residual**2).sum(axis=1) / (MONTHS - 2) / sxx).mean()
    assert len(slope) > 500
    assert slope.var() > 1.15 * noise_only
    assert (slope > 0).any() and (slope < 0).any()


def test_leave_months_with_no_tasks_are_rare_but_present(org):
    records = org["task-records"]
    zero = records.tasks_total == 0
    assert 0.003 < zero.mean() < 0.04
    assert (records.hours_logged[zero] == 0).all()
    assert (records.tasks_completed[zero] == 0).all()


def test_months_vary_for_each_person(org):
    working = org["task-records"][lambda r: r.tasks_total > 0]
    spread = working.groupby("employee_id").tasks_total.agg(["std", "mean"]).dropna()
    assert (spread["std"] / spread["mean"]).median() > 0.1


def test_about_one_in_ten_never_answers_a_survey(org):
    answered = set(org["surveys"].employee_id)
    hired_before_last_wave = org["employees"].hire_date < dt.date(2026, 3, 1)
    silent = ~org["employees"].employee_id[hired_before_last_wave].isin(answered)
    assert 0.04 < silent.mean() < 0.2


def test_surveys_are_quarterly_one_decimal_answers(org):
    s = org["surveys"]
    assert set(s.survey_date.map(lambda d: d.month)) <= {3, 6, 9, 12}
    quarter = s.survey_date.map(lambda d: (d.year, d.month))
    assert not pd.concat([s.employee_id, quarter], axis=1).duplicated().any()
    for column in ("engagement", "satisfaction"):
        tenths = s[column] * 10
        assert np.allclose(tenths, tenths.round()), column
        assert s[column].nunique() > 20, column
    answered = s.merge(org["employees"][["employee_id", "hire_date"]])
    assert (answered.survey_date >= answered.hire_date).all()


def test_each_title_requires_three_to_five_skills_and_real_gaps_exist(org):
    req = org["role-requirements"]
    assert req.groupby("job_title").size().between(3, 5).all()
    assessed = org["employees"][["employee_id", "job_title"]].merge(req, on="job_title")
    assessed = assessed.merge(org["skills"], on=["employee_id", "skill"], how="left")
    assert assessed.level.notna().all(), "someone is not assessed in a skill their role needs"
    gap = assessed.required_level - assessed.level
    assert 0.15 < (gap > 0).mean() < 0.85
    assert (gap <= 0).any()
    # People also have skills outside their role.
    assert len(org["skills"]) > len(assessed)


def test_skill_levels_grow_with_tenure_within_a_role(org):
    e = org["employees"][["employee_id", "job_title", "hire_date"]]
    assessed = e.merge(org["role-requirements"]).merge(org["skills"])
    above_requirement = (
        (assessed.level - assessed.required_level).groupby(assessed.employee_id).mean()
    )
    tenure = e.set_index("employee_id").hire_date.map(lambda d: (END - d).days)
    assert above_requirement.corr(tenure[above_requirement.index], method="spearman") > 0.1


def test_every_skill_has_one_to_three_training_programs(org):
    programs = org["training-programs"]
    per_skill = programs.groupby("skill").size()
    assert per_skill.between(1, 3).all()
    assert set(per_skill.index) >= set(org["role-requirements"].skill)


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("size", [1, 2, 10, 57])
def test_requested_size_is_honoured(size):
    frames = generate_organisation(employees=size, seed=3, months=4, end_period=END)
    employees = frames["employees"]
    assert len(employees) == size
    assert employees.employee_id.tolist() == [f"E{i:05d}" for i in range(1, size + 1)]
    assert employees.manager_id.isna().sum() == 1
    assert (_walk_to_root(employees) >= 0).all()
    assert frames["task-records"].period.nunique() == 4


def test_ids_are_padded_to_fit_the_size():
    frames = generate_organisation(employees=100_000, seed=1, months=1, end_period=END)
    ids = frames["employees"].employee_id
    assert ids.iloc[0] == "E000001" and ids.iloc[-1] == "E100000"
    assert ids.is_unique


def test_default_end_period_is_the_current_month():
    frames = generate_organisation(employees=20, seed=1, months=3)
    this_month = dt.date.today().replace(day=1)
    assert max(frames["task-records"].period) == this_month
    today = dt.date.today()
    assert (frames["employees"].hire_date <= today).all()
    assert (frames["surveys"].survey_date <= today).all()


def test_a_future_end_period_still_has_no_future_dates():
    frames = generate_organisation(employees=50, seed=1, months=6, end_period=dt.date(2099, 1, 1))
    today = dt.date.today()
    assert (frames["employees"].hire_date <= today).all()
    assert (frames["surveys"].survey_date <= today).all()


@pytest.mark.parametrize(
    "kwargs",
    [{"employees": 0}, {"months": 0}, {"end_period": dt.date(2026, 6, 2)}],
)
def test_invalid_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        generate_organisation(**kwargs)


# --------------------------------------------------------------------------- training


def test_training_completions_name_generated_people_and_programs_for_their_gaps(org):
    done = org["training-completions"]
    people = org["employees"].set_index("employee_id")
    assert set(done.program_id) <= set(org["training-programs"].program_id)
    assert set(done.employee_id) <= set(people.index)
    assert 0.08 < len(done) / SIZE < 0.25
    assert (done.completed_on.values >= people.hire_date.reindex(done.employee_id).values).all()
    months_ago = done.completed_on.map(lambda d: (END.year - d.year) * 12 + END.month - d.month)
    assert months_ago.between(4, 8).all()
    # Each program builds a skill the person's role requires above their level.
    trained = done.merge(org["training-programs"][["program_id", "skill"]])
    trained = trained.merge(people.job_title.reset_index()).merge(org["role-requirements"])
    trained = trained.merge(org["skills"], on=["employee_id", "skill"])
    assert len(trained) == len(done)
    assert (trained.level < trained.required_level).all()


def test_training_lifts_the_completion_rate_except_for_one_program(large_org):
    records = large_org["task-records"]
    done = large_org["training-completions"]
    month = done.completed_on.map(lambda d: d.replace(day=1))
    joined = records.merge(done.assign(month=month), on="employee_id")
    joined = joined[joined.tasks_total > 0]
    after = joined.period > joined.month
    before = joined.period < joined.month
    rate = joined.tasks_completed / joined.tasks_total
    per_person = pd.DataFrame(
        {
            "before": rate[before].groupby(joined.employee_id[before]).mean(),
            "after": rate[after].groupby(joined.employee_id[after]).mean(),
        }
    ).dropna()
    per_person["program_id"] = done.set_index("employee_id").program_id
    change = per_person.after - per_person.before
    # The dud is the second most taken program (ties: catalogue order).
    taken = done.program_id.value_counts().reindex(
        large_org["training-programs"].program_id, fill_value=0
    )
    dud = taken.index[np.argsort(-taken.to_numpy(), kind="stable")[1]]
    assert change[per_person.program_id != dud].mean() > 0.04
    assert abs(change[per_person.program_id == dud].mean()) < 0.04


def test_training_completions_load_after_programs_and_employees(database_url):
    import psycopg2

    from store.datasets import LOAD_ORDER
    from tests.helpers import seed_demo

    order = list(LOAD_ORDER)
    assert order.index("training-completions") > order.index("training-programs")
    assert order.index("training-completions") > order.index("employees")
    frames = seed_demo(database_url, employees=150)
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """SELECT count(*), count(p.program_id), count(e.employee_id)
                   FROM training_completions c
                   LEFT JOIN training_programs p USING (program_id)
                   LEFT JOIN employees e USING (employee_id)"""
            )
            stored, with_program, with_employee = cur.fetchone()
    finally:
        conn.close()
    assert stored == len(frames["training-completions"]) > 0
    assert with_program == with_employee == stored
