"""The datasets EPA ingests: one declarative spec each, shared by validation, bulk load,
the OpenAPI document and the demo generator, so the contract is written down once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

Kind = Literal["text", "int", "float", "date"]

# No period or event EPA records happened before this; an earlier date is a typo or a
# stand-in for "unknown" (0001-01-01, 1900-01-01), and would stretch every window back to it.
EARLIEST_DATE = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    description: str
    required: bool = True
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    # Dates that must fall on the first day of a month (monthly periods).
    month_start: bool = False
    # Dates that may not lie in the future (a monthly period: not after the current month),
    # by the calendar of the server's time zone.
    not_future: bool = False
    # The earliest date accepted.
    not_before: dt.date | None = None
    # Numbers that must lie strictly above this value (a weight above 0).
    above: float | None = None
    # Numbers that must be finite: NaN and infinity are no measurement.
    finite: bool = False
    # Text that must be one of these values.
    choices: tuple[str, ...] = ()
    # Text that must match this regular expression as a whole, described by `pattern_rule`.
    pattern: str | None = None
    pattern_rule: str = ""
    # Values this column may not hold, and why (the reserved ids of built-in KPIs).
    reserved: tuple[str, ...] = ()
    reserved_reason: str = ""
    # What an optional column holds when the record leaves it empty.
    default: str | None = None


@dataclass(frozen=True)
class RowCheck:
    """A rule over several columns of one row, reported against `columns`."""

    columns: tuple[str, ...]
    message: str
    valid: Callable[[pd.DataFrame], pd.Series]  # True for the rows that keep the rule


@dataclass(frozen=True)
class Reference:
    """`column` of a batch must hold a `key` of `table` (reported as `reason` otherwise)."""

    table: str
    key: str
    reason: str
    column: str = ""
    # Whether the store enforces it with a foreign key: the load then learns of a bad
    # reference from the upsert itself, and looks for the rows only when there is one.
    foreign_key: bool = True

    def on(self, column: str) -> Reference:
        return Reference(self.table, self.key, self.reason, column, self.foreign_key)


EMPLOYEE_REFERENCE = Reference("employees", "employee_id", "unknown employee")
PROGRAM_REFERENCE = Reference("training_programs", "program_id", "unknown program")
KPI_REFERENCE = Reference("kpis", "kpi_id", "unknown KPI")
# Many employees share a job title: no foreign key can name it.
JOB_TITLE_REFERENCE = Reference(
    "employees", "job_title", "unknown job title: no employee has it", foreign_key=False
)


@dataclass(frozen=True)
class Dataset:
    name: str  # as it appears in the URL: /api/v1/ingest/<name>
    table: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    description: str
    row_checks: tuple[RowCheck, ...] = ()
    # Columns that must name an employee known to the store (or, for employees, in the batch).
    employee_refs: tuple[str, ...] = field(default=())
    # Columns that must name a training program known to the store.
    program_refs: tuple[str, ...] = field(default=())
    # Columns that must name a KPI known to the store (built-in or custom).
    kpi_refs: tuple[str, ...] = field(default=())
    # Columns that must name the job title of an employee known to the store.
    job_title_refs: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def references(self) -> tuple[Reference, ...]:
        """Every column that must name a row of another table, with what it names."""
        return (
            tuple(EMPLOYEE_REFERENCE.on(c) for c in self.employee_refs)
            + tuple(PROGRAM_REFERENCE.on(c) for c in self.program_refs)
            + tuple(KPI_REFERENCE.on(c) for c in self.kpi_refs)
            + tuple(JOB_TITLE_REFERENCE.on(c) for c in self.job_title_refs)
        )

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


EMPLOYEE_ID = Field(
    "employee_id", "text", "The employee's identifier in the HR system.", max_length=64
)

EMPLOYEES = Dataset(
    name="employees",
    table="employees",
    key=("employee_id",),
    description="The organisation: who works where, in which role and for whom.",
    fields=(
        EMPLOYEE_ID,
        Field("name", "text", "Full name.", max_length=200),
        Field("department", "text", "Department name.", max_length=100),
        Field(
            "job_title",
            "text",
            "Job title; role skill requirements are keyed by it.",
            max_length=100,
        ),
        Field("team", "text", "Team name, unique within the organisation.", max_length=100),
        Field(
            "manager_id",
            "text",
            "employee_id of the line manager; empty for the top of the organisation.",
            required=False,
            max_length=64,
        ),
        Field(
            "hire_date",
            "date",
            "First day of employment (YYYY-MM-DD).",
            not_future=True,
            not_before=EARLIEST_DATE,
        ),
    ),
    row_checks=(
        RowCheck(
            ("manager_id",),
            "an employee cannot be their own manager",
            lambda d: d.manager_id.isna() | (d.manager_id != d.employee_id),
        ),
    ),
    employee_refs=("manager_id",),
)

TASK_RECORDS = Dataset(
    name="task-records",
    table="task_records",
    key=("employee_id", "period"),
    description="Work done by one employee in one monthly period.",
    fields=(
        EMPLOYEE_ID,
        Field(
            "period",
            "date",
            "First day of the month (YYYY-MM-01), not after the current month.",
            month_start=True,
            not_future=True,
            not_before=EARLIEST_DATE,
        ),
        Field("tasks_total", "int", "Tasks assigned in the period.", min=0, max=100_000),
        Field("tasks_completed", "int", "Tasks completed in the period.", min=0, max=100_000),
        Field("hours_logged", "float", "Hours logged on tasks in the period.", min=0, max=744),
    ),
    row_checks=(
        RowCheck(
            ("tasks_completed", "tasks_total"),
            "tasks_completed must not exceed tasks_total",
            lambda d: d.tasks_completed <= d.tasks_total,
        ),
    ),
    employee_refs=("employee_id",),
)

SURVEYS = Dataset(
    name="surveys",
    table="survey_responses",
    key=("employee_id", "survey_date"),
    description="Engagement and satisfaction survey answers on a 1–5 scale.",
    fields=(
        EMPLOYEE_ID,
        Field(
            "survey_date",
            "date",
            "Date of the answer (YYYY-MM-DD).",
            not_future=True,
            not_before=EARLIEST_DATE,
        ),
        Field("engagement", "float", "Engagement, 1 (low) to 5 (high).", min=1, max=5),
        Field("satisfaction", "float", "Satisfaction, 1 (low) to 5 (high).", min=1, max=5),
    ),
    employee_refs=("employee_id",),
)

SKILLS = Dataset(
    name="skills",
    table="employee_skills",
    key=("employee_id", "skill"),
    description="An employee's assessed level in one skill, 0 (none) to 5 (expert).",
    fields=(
        EMPLOYEE_ID,
        Field("skill", "text", "Skill name.", max_length=100),
        Field("level", "int", "Assessed level, 0 to 5.", min=0, max=5),
    ),
    employee_refs=("employee_id",),
)

ROLE_REQUIREMENTS = Dataset(
    name="role-requirements",
    table="role_skill_requirements",
    key=("job_title", "skill"),
    description="The skill levels a job title requires, with each skill's importance.",
    fields=(
        Field("job_title", "text", "Job title the requirement applies to.", max_length=100),
        Field("skill", "text", "Skill name.", max_length=100),
        Field("required_level", "int", "Required level, 1 to 5.", min=1, max=5),
        Field("importance", "float", "Weight of the skill for the role, 0 to 1.", min=0, max=1),
    ),
)

TRAINING_PROGRAMS = Dataset(
    name="training-programs",
    table="training_programs",
    key=("program_id",),
    description="Training programs and the skill each one builds.",
    fields=(
        Field("program_id", "text", "Program identifier.", max_length=64),
        Field("name", "text", "Program name.", max_length=200),
        Field("skill", "text", "Skill the program builds.", max_length=100),
        Field("level_gain", "int", "Levels a participant typically gains, 1 to 5.", min=1, max=5),
        Field("duration_hours", "float", "Length of the program in hours.", min=0.5, max=2000),
    ),
)

TRAINING_COMPLETIONS = Dataset(
    name="training-completions",
    table="training_completions",
    key=("employee_id", "program_id", "completed_on"),
    description="Who completed which training program, and when.",
    fields=(
        EMPLOYEE_ID,
        Field(
            "program_id", "text", "The program's identifier (a training program).", max_length=64
        ),
        Field(
            "completed_on",
            "date",
            "Day the program was completed (YYYY-MM-DD).",
            not_future=True,
            not_before=EARLIEST_DATE,
        ),
    ),
    employee_refs=("employee_id",),
    program_refs=("program_id",),
)

# --- scorecards: KPIs, their monthly values, and the KPIs with weights per job title ---

# The task measures, scored from task records: KPIs of their own (stored by migration 0009,
# so scorecards can name them), which a batch may neither redefine nor give values.
BUILTIN_KPIS = ("completion_rate", "task_efficiency", "throughput")
HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
AGGREGATIONS = ("mean", "sum")

KPI_ID_LENGTH = 64

KPIS = Dataset(
    name="kpis",
    table="kpis",
    key=("kpi_id",),
    description="Key performance indicators that scorecards weigh: what each one measures, "
    "in which unit, whether more is better, and how its monthly values combine over a "
    f"scoring window. Built-in: {', '.join(BUILTIN_KPIS)} (from task records).",
    fields=(
        Field(
            "kpi_id",
            "text",
            "Identifier: lowercase letters, digits and underscores.",
            max_length=KPI_ID_LENGTH,
            pattern=r"[a-z0-9_]+",
            pattern_rule="lowercase letters, digits and underscores only",
            reserved=BUILTIN_KPIS,
            reserved_reason="is a built-in KPI and cannot be redefined",
        ),
        Field("name", "text", "Name shown with results.", max_length=200),
        Field("unit", "text", "Unit of the values (EUR, %, minutes, ...).", max_length=50),
        Field(
            "direction",
            "text",
            f"{HIGHER_IS_BETTER} or {LOWER_IS_BETTER}.",
            choices=(HIGHER_IS_BETTER, LOWER_IS_BETTER),
        ),
        Field(
            "aggregation",
            "text",
            "How the monthly values of a window combine: mean (the default) or sum.",
            required=False,
            choices=AGGREGATIONS,
            default="mean",
        ),
        Field("description", "text", "What the KPI measures.", required=False, max_length=1000),
    ),
)

KPI_VALUES = Dataset(
    name="kpi-values",
    table="kpi_values",
    key=("employee_id", "period", "kpi_id"),
    description="One employee's value of one custom KPI in one monthly period. Built-in "
    "KPIs take their values from task records.",
    fields=(
        EMPLOYEE_ID,
        TASK_RECORDS.field("period"),
        Field(
            "kpi_id",
            "text",
            "The KPI (a custom one).",
            max_length=KPI_ID_LENGTH,
            reserved=BUILTIN_KPIS,
            reserved_reason="is a built-in KPI: its values come from the task records",
        ),
        Field("value", "float", "The KPI's value in the period, in its unit.", finite=True),
    ),
    employee_refs=("employee_id",),
    kpi_refs=("kpi_id",),
)

SCORECARDS = Dataset(
    name="scorecards",
    table="scorecards",
    key=("job_title", "kpi_id"),
    description="The KPIs that score a job title, with their weights. A job title without "
    "rows is scored on the default scorecard (the built-in KPIs); rows are added or "
    "re-weighted, and DELETE /api/v1/scorecards/{job_title} removes a scorecard.",
    fields=(
        Field("job_title", "text", "Job title of stored employees.", max_length=100),
        Field("kpi_id", "text", "The KPI (built-in or custom).", max_length=KPI_ID_LENGTH),
        Field("weight", "float", "Weight of the KPI in the score, above 0.", above=0, finite=True),
    ),
    job_title_refs=("job_title",),
    kpi_refs=("kpi_id",),
)

# --- trust: protected attributes, kept apart from everything the models read ---

PROTECTED_ATTRIBUTES = Dataset(
    name="protected-attributes",
    table="protected_attributes",
    key=("employee_id", "attribute"),
    description="One employee's group in one protected attribute (age_band / 50+). Read by "
    "the fairness audit of each run only: never a model feature, never shown per person. "
    "Admin and HR only.",
    fields=(
        EMPLOYEE_ID,
        Field("attribute", "text", "The attribute (age_band, gender, ...).", max_length=100),
        Field("group", "text", "The employee's group in the attribute (50+, ...).", max_length=100),
    ),
    employee_refs=("employee_id",),
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        EMPLOYEES,
        TASK_RECORDS,
        SURVEYS,
        SKILLS,
        ROLE_REQUIREMENTS,
        TRAINING_PROGRAMS,
        TRAINING_COMPLETIONS,
        KPIS,
        KPI_VALUES,
        SCORECARDS,
        PROTECTED_ATTRIBUTES,
    )
}

# Load order that satisfies references (employees first, programs before completions,
# KPIs before their values and scorecards).
LOAD_ORDER = (
    "employees",
    "role-requirements",
    "training-programs",
    "training-completions",
    "task-records",
    "surveys",
    "skills",
    "kpis",
    "scorecards",
    "kpi-values",
    "protected-attributes",
)
