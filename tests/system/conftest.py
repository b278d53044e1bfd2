"""System tests: faults, fuzzing and end to end, with real gunicorn, PostgreSQL and
Prometheus processes."""

from tests.served_api import api, traffic  # noqa: F401  (the API under gunicorn, and its traffic)
