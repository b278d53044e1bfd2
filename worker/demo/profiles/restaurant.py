"""A restaurant group, scored only on its own KPIs: no task records at all. Better servers
have more satisfied guests, more accurate orders and shorter waits; better cooks send
plates out faster and waste less."""

from worker.demo.departments import Company, Department, Kpi

# Task counts and hours do not apply: nobody here is scored on tasks (0 = none).
_NO_TASKS = (0.0, 0.0)

# fmt: off
KPIS = (
    Kpi("guest_satisfaction", "Guest satisfaction", "score (1-5)", "higher_is_better", "mean",
        "Mean rating of the guests served, from the post-visit survey.",
        kind="rating", typical=4.2, effect=0.22, noise=0.15, low=1.0, high=5.0),
    Kpi("order_accuracy", "Order accuracy", "%", "higher_is_better", "mean",
        "Share of orders served exactly as ordered.",
        kind="share", typical=95.0, effect=0.45, noise=0.25),
    Kpi("table_wait_minutes", "Wait time per table", "minutes", "lower_is_better", "mean",
        "Minutes from seating to the first course, per table.",
        kind="amount", typical=14.0, effect=0.12, noise=0.10),
    Kpi("ticket_time_minutes", "Kitchen ticket time", "minutes", "lower_is_better", "mean",
        "Minutes from an order reaching the kitchen to the plate leaving the pass.",
        kind="amount", typical=12.0, effect=0.10, noise=0.10),
    Kpi("food_waste_pct", "Food waste", "%", "lower_is_better", "mean",
        "Share of purchased food thrown away, by weight.",
        kind="amount", typical=6.0, effect=0.15, noise=0.15),
    Kpi("repeat_guests", "Repeat guests", "guests", "higher_is_better", "sum",
        "Guests who asked for the same server again.",
        kind="count", typical=18.0, effect=0.25, noise=0.15),
    Kpi("complaints", "Complaints", "complaints", "lower_is_better", "sum",
        "Complaints naming the employee.",
        kind="count", typical=1.2, effect=0.45, noise=0.25),
    Kpi("beverage_sales", "Beverage sales", "EUR", "higher_is_better", "sum",
        "Drinks sold, net of tax.",
        kind="amount", typical=9000.0, effect=0.15, noise=0.12),
)

DEPARTMENTS = (
    Department(
        "Dining", 0.42, *_NO_TASKS,
        ("Server", "Senior Server", "Head Server"), (0.55, 0.33, 0.12),
        "Floor Manager", "Director of Dining",
        ("Table Service", "Menu Knowledge", "Wine Pairing", "Upselling", "Allergen Safety"),
        ("Harbour Street", "Old Town", "Riverside", "Marina", "Station Square", "Market Hall",
         "Canal Side", "Hillside", "Cathedral Quarter", "Seafront"),
        scorecard=(("guest_satisfaction", 0.35), ("order_accuracy", 0.25),
                   ("table_wait_minutes", 0.25), ("complaints", 0.15)),
    ),
    Department(
        "Kitchen", 0.30, *_NO_TASKS,
        ("Commis Chef", "Line Cook", "Sous Chef"), (0.35, 0.45, 0.20),
        "Head Chef", "Executive Chef",
        ("Knife Skills", "Food Safety", "Menu Knowledge", "Stock Control", "Allergen Safety"),
        ("Harbour Street", "Old Town", "Riverside", "Marina", "Station Square", "Market Hall",
         "Canal Side", "Hillside"),
        scorecard=(("ticket_time_minutes", 0.40), ("order_accuracy", 0.35),
                   ("food_waste_pct", 0.25)),
    ),
    Department(
        "Bar", 0.14, *_NO_TASKS,
        ("Bartender", "Senior Bartender"), (0.65, 0.35),
        "Bar Manager", "Director of Beverage",
        ("Mixology", "Wine Pairing", "Upselling", "Stock Control"),
        ("Harbour Street", "Old Town", "Riverside", "Marina", "Market Hall"),
        scorecard=(("guest_satisfaction", 0.40), ("beverage_sales", 0.35),
                   ("complaints", 0.25)),
    ),
    Department(
        "Guest Services", 0.14, *_NO_TASKS,
        ("Host", "Senior Host"), (0.70, 0.30),
        "Guest Services Lead", "Head of Guest Services",
        ("Reservations", "Table Service", "Customer Empathy"),
        ("Harbour Street", "Old Town", "Riverside", "Marina", "Station Square", "Market Hall"),
        scorecard=(("table_wait_minutes", 0.45), ("guest_satisfaction", 0.30),
                   ("repeat_guests", 0.25)),
    ),
)
# fmt: on

RESTAURANT_GROUP = Company(
    DEPARTMENTS,
    ceo_department="Head Office",
    ceo_team="Head Office",
    ceo_title="Managing Director",
    ceo_scorecard=(("guest_satisfaction", 0.6), ("complaints", 0.4)),
    kpis=KPIS,
)
