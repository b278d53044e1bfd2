"""A direct-selling company: field and inside sales and account management scored on
revenue against quota, conversion, retention and response time; sales operations scored
on its task records (the default scorecard)."""

from worker.demo.departments import Company, Department, Kpi

# fmt: off
KPIS = (
    Kpi("quota_attainment", "Revenue against quota", "%", "higher_is_better", "mean",
        "Revenue booked in the month as a share of the month's quota.",
        kind="amount", typical=92.0, effect=0.18, noise=0.20),
    Kpi("conversion_rate", "Lead conversion", "%", "higher_is_better", "mean",
        "Share of qualified leads that became customers.",
        kind="share", typical=14.0, effect=0.30, noise=0.25),
    Kpi("customer_retention", "Customer retention", "%", "higher_is_better", "mean",
        "Share of the book of customers that renewed or kept buying.",
        kind="share", typical=88.0, effect=0.40, noise=0.25),
    Kpi("new_accounts", "New accounts", "accounts", "higher_is_better", "sum",
        "Customers won in the month.",
        kind="count", typical=4.0, effect=0.30, noise=0.20),
    Kpi("meetings_booked", "Meetings booked", "meetings", "higher_is_better", "sum",
        "First meetings booked for account executives.",
        kind="count", typical=22.0, effect=0.25, noise=0.15),
    Kpi("lead_response_hours", "Lead response time", "hours", "lower_is_better", "mean",
        "Hours from a new lead arriving to the first contact.",
        kind="amount", typical=3.0, effect=0.25, noise=0.20),
    Kpi("customer_nps", "Customer NPS", "points", "higher_is_better", "mean",
        "Net promoter score of the representative's customers.",
        kind="rating", typical=38.0, effect=9.0, noise=8.0, low=-100.0, high=100.0),
)

DEPARTMENTS = (
    Department(
        "Field Sales", 0.42, 0.0, 0.0,  # no task records: scored on its KPIs only
        ("Sales Representative", "Senior Sales Representative", "Principal Sales Representative"),
        (0.50, 0.35, 0.15), "Regional Sales Manager", "VP of Field Sales",
        ("Prospecting", "Negotiation", "Product Knowledge", "Territory Planning", "CRM"),
        ("North", "South", "East", "West", "Central", "Coastal", "Metro", "Lakes", "Highlands",
         "Valley"),
        scorecard=(("quota_attainment", 0.40), ("conversion_rate", 0.25),
                   ("customer_retention", 0.20), ("new_accounts", 0.15)),
    ),
    Department(
        "Inside Sales", 0.25, 0.0, 0.0,
        ("Sales Development Representative", "Senior Sales Development Representative"),
        (0.70, 0.30), "Inside Sales Manager", "Head of Inside Sales",
        ("Prospecting", "Cold Calling", "CRM", "Product Knowledge"),
        ("Inbound", "Outbound", "Partners", "Events", "Renewals"),
        scorecard=(("meetings_booked", 0.40), ("conversion_rate", 0.35),
                   ("lead_response_hours", 0.25)),
    ),
    Department(
        "Account Management", 0.20, 0.0, 0.0,
        ("Account Manager", "Senior Account Manager"), (0.60, 0.40),
        "Account Management Lead", "Head of Account Management",
        ("Relationship Management", "Negotiation", "Product Knowledge", "Forecasting"),
        ("Key Accounts", "Growth Accounts", "Public Sector", "Retail", "Healthcare"),
        scorecard=(("customer_retention", 0.45), ("customer_nps", 0.30),
                   ("quota_attainment", 0.25)),
    ),
    Department(
        "Sales Operations", 0.13, 30, 4.0,  # on tasks: the default scorecard
        ("Sales Operations Analyst", "Senior Sales Operations Analyst"), (0.60, 0.40),
        "Sales Operations Manager", "Head of Sales Operations",
        ("CRM", "Forecasting", "Data Analysis", "Process Improvement"),
        ("Revenue Operations", "Commissions", "Sales Enablement", "Deal Desk"),
    ),
)
# fmt: on

SALES_COMPANY = Company(
    DEPARTMENTS,
    ceo_title="Chief Executive Officer",
    ceo_scorecard=(("quota_attainment", 0.7), ("customer_retention", 0.3)),
    kpis=KPIS,
)
