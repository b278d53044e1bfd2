"""A remote-first software company: its people are scored on the task measures beside
focus time, collaboration, response and review times and after-hours load. After-hours load
follows where a person's ability is heading, so it rises before their scores fall."""

from worker.demo.departments import Company, Department, Kpi

# fmt: off
KPIS = (
    Kpi("focus_hours", "Focus time", "hours per week", "higher_is_better", "mean",
        "Hours a week in blocks of at least two hours without meetings or messages.",
        kind="amount", typical=14.0, effect=0.15, noise=0.15),
    Kpi("collaboration_hours", "Collaboration time", "hours per week", "higher_is_better",
        "mean", "Hours a week in meetings, pairing and reviews with colleagues.",
        kind="amount", typical=8.0, effect=0.10, noise=0.15),
    Kpi("after_hours_pct", "After-hours load", "% of hours", "lower_is_better", "mean",
        "Share of working hours logged outside the person's own working day.",
        kind="amount", typical=7.0, effect=0.10, noise=0.15, drift_effect=6.0),
    Kpi("response_hours", "Response time", "hours", "lower_is_better", "mean",
        "Median hours to a first answer to a customer or colleague.",
        kind="amount", typical=4.0, effect=0.20, noise=0.15),
    Kpi("review_turnaround_hours", "Code review turnaround", "hours", "lower_is_better", "mean",
        "Median hours from a review being requested to its first review.",
        kind="amount", typical=10.0, effect=0.20, noise=0.20),
)

DEPARTMENTS = (
    Department(
        "Engineering", 0.45, 14, 9.0,
        ("Software Engineer", "Senior Software Engineer", "Staff Software Engineer"),
        (0.50, 0.36, 0.14), "Engineering Manager", "VP of Engineering",
        ("Python", "System Design", "Testing", "Code Review", "Async Communication"),
        ("Platform", "Payments", "Mobile", "Search", "Data", "Identity", "Growth",
         "Reliability", "Web", "Integrations"),
        scorecard=(("completion_rate", 0.30), ("throughput", 0.20), ("focus_hours", 0.20),
                   ("review_turnaround_hours", 0.15), ("after_hours_pct", 0.15)),
    ),
    Department(
        "Product & Design", 0.15, 16, 7.0,
        ("Product Designer", "Senior Product Designer", "Product Manager"),
        (0.45, 0.30, 0.25), "Design Lead", "VP of Product",
        ("User Research", "Prototyping", "Roadmapping", "Async Communication"),
        ("Core Product", "Growth", "Design Systems", "Research"),
        scorecard=(("completion_rate", 0.35), ("focus_hours", 0.25),
                   ("collaboration_hours", 0.20), ("after_hours_pct", 0.20)),
    ),
    Department(
        "Customer Success", 0.25, 120, 1.0,
        ("Customer Success Specialist", "Senior Customer Success Specialist"), (0.70, 0.30),
        "Customer Success Lead", "Head of Customer Success",
        ("Product Knowledge", "Troubleshooting", "Written Communication", "Customer Empathy"),
        ("Americas", "EMEA", "APAC", "Enterprise", "Onboarding", "Self-Serve"),
        scorecard=(("completion_rate", 0.20), ("task_efficiency", 0.20),
                   ("response_hours", 0.35), ("collaboration_hours", 0.10),
                   ("after_hours_pct", 0.15)),
    ),
    Department(
        "People & Finance", 0.15, 26, 4.5,  # the default scorecard
        ("People Partner", "Financial Analyst", "Senior People Partner"), (0.40, 0.40, 0.20),
        "Operations Manager", "Chief Operating Officer",
        ("Recruiting", "Budgeting", "Employment Law", "HR Systems"),
        ("People Operations", "Finance", "Talent", "Workplace"),
    ),
)
# fmt: on

REMOTE_COMPANY = Company(DEPARTMENTS, kpis=KPIS)
