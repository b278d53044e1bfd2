"""gunicorn settings, from the EPA settings (read from the environment).

gunicorn --config python:api.gunicorn_conf 'api:create_app()'
"""

import os
import shutil
import tempfile
from pathlib import Path

import settings as epa_settings

_settings = epa_settings.load()

# Request metrics in multiprocess mode: each worker writes its samples to files in this
# folder and /metrics sums them. prometheus_client finds it in the environment, so it is
# put there before the app (and prometheus_client) is imported, which happens in the
# workers, after this file is read by the master.
_own_metrics_dir = not _settings.prometheus_multiproc_dir
_metrics_dir = _settings.prometheus_multiproc_dir or tempfile.mkdtemp(prefix="epa-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir

bind = _settings.bind
workers = _settings.workers
# Threads let one worker overlap several database round trips.
worker_class = "gthread"
threads = _settings.threads
timeout = _settings.worker_timeout
graceful_timeout = 30
keepalive = 5
# No runtime control socket: nothing uses it, and the container's root FS is read-only.
control_socket_disable = True
# No access log: request paths carry employee identifiers. Request metrics cover traffic.
accesslog = None
errorlog = "-"
loglevel = _settings.log_level


def on_starting(server) -> None:
    """Empty the metrics folder: files of a previous master would be summed in again.

    The folder is emptied rather than removed, since it may be a mounted volume."""
    folder = Path(_metrics_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def child_exit(server, worker) -> None:
    """Drop the live gauges of a worker that exited; its counters stay in the sums."""
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def on_exit(server) -> None:
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
