"""The demo organisations, one per way of measuring work: `tasks` (a company scored on its
task records, the default), `restaurant` (a restaurant group scored only on its own KPIs),
`sales` (a direct-selling company: quota, conversion, retention; its sales operations on
tasks) and `remote` (a remote-first software company: task measures beside focus time,
collaboration and after-hours load)."""

from worker.demo.departments import TASK_COMPANY, Company
from worker.demo.profiles.remote import REMOTE_COMPANY
from worker.demo.profiles.restaurant import RESTAURANT_GROUP
from worker.demo.profiles.sales import SALES_COMPANY

PROFILES: dict[str, Company] = {
    "tasks": TASK_COMPANY,
    "restaurant": RESTAURANT_GROUP,
    "sales": SALES_COMPANY,
    "remote": REMOTE_COMPANY,
}

__all__ = ["PROFILES"]
