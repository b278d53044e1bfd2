"""gunicorn settings, from the EPA settings (read from the environment).

gunicorn --config python:api.gunicorn_conf 'api:create_app()'
"""

import gc
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
# Threads let one worker overlap several database round trips. Heavy requests get threads
# of their own on top (api.limits runs at most that many at once), so however many heavy
# requests arrive, EPA_THREADS threads stay free for /healthz, /readyz, /metrics and reads.
worker_class = "gthread"
threads = _settings.threads + _settings.heavy_requests_per_process
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


def post_worker_init(worker) -> None:
    """Leave the loaded app's objects (Flask, pandas, scikit-learn: hundreds of thousands)
    out of every later garbage collection. A heavy request allocates enough to set off
    full collections, and each holds the interpreter, probes' threads included, for as
    long as it walks every object there is."""
    gc.freeze()


def child_exit(server, worker) -> None:
    """Drop the live gauges of a worker that exited; its counters stay in the sums."""
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def on_exit(server) -> None:
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
