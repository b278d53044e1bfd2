"""gunicorn settings, from the environment.

gunicorn --config python:api.gunicorn_conf 'api:create_app()'
"""

import os

bind = os.environ.get("EPA_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("EPA_WORKERS", "2"))
# Threads let one worker overlap several database round trips.
worker_class = "gthread"
threads = int(os.environ.get("EPA_THREADS", "4"))
timeout = int(os.environ.get("EPA_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# No runtime control socket: nothing uses it, and the container's root FS is read-only.
control_socket_disable = True
# No access log: request paths carry employee identifiers. Request metrics cover traffic.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("EPA_LOG_LEVEL", "info").lower()
