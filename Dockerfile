# syntax=docker/dockerfile:1
# One image for the API (the default command) and the worker (`python -m worker run`); the
# `epa` client is in it too. `make image` builds it with docker, podman or buildah
# (scripts/build-image.sh); by hand:
#
#   docker build -t epa:0.1.0 .
#   docker run --read-only --tmpfs /tmp -e DATABASE_URL=postgresql://… -p 8000:8000 epa:0.1.0
#   docker run --read-only --tmpfs /tmp -e DATABASE_URL=postgresql://… epa:0.1.0 python -m worker run

# Any Debian bookworm with python 3.11 as `python` and python3-venv will do: the build
# script gives buildah a debootstrap-made one where Docker Hub cannot be reached.
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
# pyproject's [project.scripts] (`epa`, the client, and `epa-worker`) as launchers in the
# venv, and /app (where the runtime stage puts the code) on its path through a .pth file:
# what `pip install .` would give, without a copy of the code in this layer.
RUN /opt/epa/bin/python -c "import pathlib, sysconfig, tomllib; \
scripts = tomllib.load(open('pyproject.toml', 'rb'))['project']['scripts']; \
launcher = '#!/opt/epa/bin/python\nimport sys\nfrom {0} import {1}\nsys.exit({1}())\n'; \
paths = [pathlib.Path('/opt/epa/bin', name) for name in scripts]; \
[(p.write_text(launcher.format(*scripts[p.name].split(':'))), p.chmod(0o755)) for p in paths]; \
pathlib.Path(sysconfig.get_path('purelib'), 'epa.pth').write_text('/app\n')"
# Smaller: the image stays under 600 MB (about 1 GB otherwise). None of this is needed at
# run time; each line says why:
# - strip: the symbols of the wheels' extension modules (about 50 MB; binutils is here in
#   the builder only). Not the libraries auditwheel vendored in *.libs: patchelf rewrote
#   them, and strip leaves them unloadable ("ELF load command … not page-aligned");
# - the packages' own test suites (pandas, scipy, scikit-learn, numpy, matplotlib, joblib…
#   ship theirs, with their bytecode), and the C, Cython and stub sources of the compiled
#   modules (for building them, not importing them);
# - kubernetes/aio: the asyncio copy of the Kubernetes client (about 70 MB; retraining
#   imports `kubernetes.client`), and the bytecode of the client, which imports its
#   thousand modules lazily, so compiling the few it uses costs a fraction of a second;
# - pip and setuptools, which only install.
# The bytecode of everything else stays: the root filesystem is read-only at run time, so
# without it every process would compile pandas, scipy and the rest again (seconds each).
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null \
    && find /opt/epa -path '*/site-packages/*.libs' -prune -o -type f -name '*.so' -exec strip --strip-unneeded {} + \
    && site=$(/opt/epa/bin/python -c "import sysconfig; print(sysconfig.get_path('purelib'))") \
    && find "$site" -depth -type d \( -name tests -o -name test \) -exec rm -rf {} + \
    && find "$site" -type f \( -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.pyi' \) -delete \
    && rm -rf "$site/kubernetes/aio" \
    && find "$site/kubernetes" -depth -type d -name __pycache__ -exec rm -rf {} + \
    && /opt/epa/bin/python -m pip uninstall --quiet --yes pip setuptools

# --- runtime: the base, the venv and the code; no compiler, no pip --------------------------
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
COPY client ./client
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
