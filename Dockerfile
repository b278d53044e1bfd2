# syntax=docker/dockerfile:1
# One image for the API (the default command) and the worker (`python -m worker run`).
#
#   docker build -t epa:0.1.0 .
#   docker run --read-only --tmpfs /tmp -e DATABASE_URL=postgresql://… -p 8000:8000 epa:0.1.0
#   docker run --read-only --tmpfs /tmp -e DATABASE_URL=postgresql://… epa:0.1.0 python -m worker run

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: the pinned dependencies in a virtual environment --------------------------
FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/epa
WORKDIR /build
# pyproject.toml holds every pin; its dependency list alone goes in first, so this layer is
# rebuilt only when a pin changes, not when the code does.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/epa/bin/pip install --requirement requirements.txt

# --- runtime ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
# A fixed, unprivileged uid/gid that Kubernetes' runAsUser and fsGroup can name.
RUN groupadd --system --gid 10001 epa \
    && useradd --system --uid 10001 --gid epa --home-dir /app --no-create-home --shell /usr/sbin/nologin epa
COPY --from=builder /opt/epa /opt/epa
WORKDIR /app
# The code stays root-owned and read-only to the app; bytecode is compiled now because the
# root filesystem is read-only at run time.
COPY analytics ./analytics
COPY api ./api
COPY retraining ./retraining
COPY settings ./settings
COPY store ./store
COPY worker ./worker
RUN /opt/epa/bin/python -m compileall -q /app
# gunicorn_conf puts PROMETHEUS_MULTIPROC_DIR under /tmp when it is unset; /tmp is the one
# writable path (an emptyDir in the chart, --tmpfs with docker run --read-only), so
# matplotlib (the report charts) keeps its font cache there too.
ENV PATH=/opt/epa/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib
USER 10001:10001
EXPOSE 8000
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz itself and ignores this instruction.
CMD ["gunicorn", "--config", "python:api.gunicorn_conf", "api:create_app()"]
