"""Deployment tests: the chart through Helm's engine, the plain manifests, the Grafana
dashboards' queries and the alert rules through promtool and a real Prometheus."""

from tests.prometheus import pushgateway  # noqa: F401  (a real Pushgateway per test)
from tests.served_api import api, traffic  # noqa: F401  (the API under gunicorn, and its traffic)
