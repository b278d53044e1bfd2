"""The company's departments (size, workload, title ladder, skills, teams, scorecard) and
the executive office above them: the fixed story an organisation follows. `TASK_COMPANY` is
the default (task-based) organisation; `worker.demo.profiles` brings the others."""

from __future__ import annotations

from dataclasses import dataclass

from store.datasets import BUILTIN_KPIS

# A scorecard: (kpi_id, weight) pairs. Empty: the default scorecard (the task measures).
Scorecard = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Kpi:
    """A custom KPI of a demo company, and how a person's monthly value comes about.

    The value moves with the person's ability in the KPI's good direction: `effect` is the
    change of the latent per unit of ability, `noise` the month-to-month spread around it.
    How the latent becomes a value depends on `kind`: "share" (a percentage around
    `typical`, on the logit scale), "rating" (`typical` + latent on [`low`, `high`]),
    "amount" (`typical` × e^latent) or "count" (Poisson around `typical` × e^latent).
    `drift_effect` > 0 makes the KPI follow where the person's ability is heading (its change
    per month) as well as where it is: after-hours load rises before the scores fall."""

    kpi_id: str
    name: str
    unit: str
    direction: str  # higher_is_better or lower_is_better
    aggregation: str  # mean or sum, over the months of a scoring window
    description: str
    kind: str
    typical: float
    effect: float
    noise: float
    low: float = 0.0
    high: float = 100.0
    drift_effect: float = 0.0


@dataclass(frozen=True)
class Department:
    name: str
    share: float  # of the staff below the CEO
    tasks: float  # median tasks a month for a junior individual contributor
    hours_per_task: float  # median hours a junior spends on one task
    ladder: tuple[str, ...]  # individual-contributor titles, junior first
    ladder_mix: tuple[float, ...]  # share of individual contributors on each rung
    lead: str
    head: str
    skills: tuple[str, ...]  # the department's craft skills
    teams: tuple[str, ...]
    scorecard: Scorecard = ()  # of every title in the department; () = the default

    @property
    def uses_tasks(self) -> bool:
        """Whether its people are scored on task records (and so have them)."""
        return uses_tasks(self.scorecard)


def uses_tasks(scorecard: Scorecard) -> bool:
    return not scorecard or any(kpi in BUILTIN_KPIS for kpi, _ in scorecard)


# fmt: off
DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "Engineering", 0.30, 14, 9.0,
        ("Software Engineer", "Senior Software Engineer", "Staff Software Engineer"),
        (0.50, 0.36, 0.14), "Engineering Manager", "VP of Engineering",
        ("Python", "System Design", "Testing", "Cloud Infrastructure", "Code Review", "Databases"),
        ("Platform", "Payments", "Mobile", "Search", "Data", "Identity", "Growth",
         "Infrastructure", "Reliability", "Developer Tools", "Integrations", "Web"),
    ),
    Department(
        "Customer Support", 0.20, 150, 0.85,
        ("Support Specialist", "Senior Support Specialist"),
        (0.70, 0.30), "Support Team Lead", "Head of Customer Support",
        ("Product Knowledge", "Ticket Triage", "Customer Empathy", "Troubleshooting",
         "Written Communication"),
        ("Tier 1", "Tier 2", "Enterprise Care", "Onboarding", "Billing", "Technical",
         "EMEA", "APAC", "Americas"),
    ),
    Department(
        "Sales", 0.17, 45, 2.9,
        ("Sales Development Representative", "Account Executive", "Senior Account Executive"),
        (0.35, 0.45, 0.20), "Sales Manager", "VP of Sales",
        ("Prospecting", "Negotiation", "CRM", "Product Knowledge", "Forecasting"),
        ("Enterprise", "Mid-Market", "SMB", "Inbound", "Outbound", "Partnerships", "Renewals",
         "EMEA", "North America", "APAC"),
    ),
    Department(
        "Operations", 0.12, 32, 4.0,
        ("Operations Analyst", "Senior Operations Analyst"),
        (0.65, 0.35), "Operations Manager", "VP of Operations",
        ("Process Improvement", "Supply Chain", "Data Analysis", "Vendor Management",
         "Scheduling"),
        ("Logistics", "Procurement", "Facilities", "Fulfilment", "Planning", "Quality"),
    ),
    Department(
        "Marketing", 0.09, 20, 6.5,
        ("Marketing Specialist", "Senior Marketing Specialist"),
        (0.60, 0.40), "Marketing Manager", "VP of Marketing",
        ("Content Writing", "SEO", "Campaign Management", "Marketing Analytics",
         "Brand Strategy"),
        ("Brand", "Content", "Demand Generation", "Product Marketing", "Events", "Digital"),
    ),
    Department(
        "Finance", 0.06, 28, 4.5,
        ("Financial Analyst", "Senior Financial Analyst"),
        (0.60, 0.40), "Finance Manager", "Chief Financial Officer",
        ("Financial Modelling", "Accounting", "Excel", "Budgeting", "Compliance"),
        ("Accounting", "FP&A", "Treasury", "Payroll", "Tax"),
    ),
    Department(
        "People", 0.06, 24, 5.0,
        ("People Operations Specialist", "People Partner", "Senior People Partner"),
        (0.45, 0.40, 0.15), "People Manager", "Chief People Officer",
        ("Recruiting", "Employment Law", "Employee Relations", "HR Systems", "Coaching"),
        ("Talent Acquisition", "People Operations", "Learning & Development",
         "Total Rewards", "Employee Experience"),
    ),
)
# fmt: on

CEO_DEPARTMENT, CEO_TEAM, CEO_TITLE = "Executive", "Executive Office", "Chief Executive Officer"
# Every company's leaders and senior staff are assessed in these (the catalogue names them).
SHARED_SKILLS = (
    "Communication",
    "Leadership",
    "Project Management",
    "Stakeholder Management",
    "Strategic Planning",
)


@dataclass(frozen=True)
class Company:
    """The departments below the CEO, the CEO's own department, team, title and
    scorecard, and the custom KPIs the scorecards name."""

    departments: tuple[Department, ...]
    ceo_department: str = CEO_DEPARTMENT
    ceo_team: str = CEO_TEAM
    ceo_title: str = CEO_TITLE
    ceo_scorecard: Scorecard = ()
    kpis: tuple[Kpi, ...] = ()

    @property
    def scorecards(self) -> tuple[Scorecard, ...]:
        """Per department index, the CEO's department last (as `People.department`)."""
        return (*(d.scorecard for d in self.departments), self.ceo_scorecard)


TASK_COMPANY = Company(DEPARTMENTS)
