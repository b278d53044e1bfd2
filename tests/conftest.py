"""Shared fixtures: a real, throwaway PostgreSQL for the whole session, and a fresh
database per test cloned from a migrated template (fast, and fully isolated)."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_SCRIPT = ROOT / "scripts" / "local-postgres.sh"
_database_names = itertools.count()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def admin(url: str, statement: str) -> None:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server of our own on a free loopback port; yields its admin URL.

    The script installs the server binaries when they are missing (as root), and fails
    loudly otherwise: the tests never skip for lack of PostgreSQL."""
    # The server runs as the unprivileged 'postgres' user, which must reach the folder.
    folder = Path(tempfile.mkdtemp(prefix="epa-pg-"))
    folder.chmod(0o755)
    port = free_port()
    subprocess.run([PG_SCRIPT, "start", folder / "data", str(port)], check=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([PG_SCRIPT, "stop", folder / "data"], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def template_url(pg_server: str) -> str:
    from store import migrate

    admin(f"{pg_server}/postgres", "CREATE DATABASE epa_template")
    url = f"{pg_server}/epa_template"
    migrate.upgrade(url)
    return url


@contextmanager
def fresh_database(pg_server: str) -> Iterator[str]:
    name = f"epa_test_{os.getpid()}_{next(_database_names)}"
    admin(f"{pg_server}/postgres", f"CREATE DATABASE {name} TEMPLATE epa_template")
    try:
        yield f"{pg_server}/{name}"
    finally:
        admin(f"{pg_server}/postgres", f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def database_url(pg_server: str, template_url: str) -> Iterator[str]:
    """A fresh, migrated, empty database for one test."""
    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture(scope="module")
def scored_database_url(pg_server: str, template_url: str) -> Iterator[str]:
    """A demo organisation with two completed runs, shared by a module's read-only tests."""
    from tests.helpers import seed_demo
    from worker.run import execute_run

    with fresh_database(pg_server) as url:
        seed_demo(url, employees=200)
        execute_run(url)
        execute_run(url)
        yield url


@pytest.fixture(scope="module")
def db(scored_database_url: str) -> Iterator[psycopg2.extensions.connection]:
    """An autocommit connection to the module's scored database, for inspecting it."""
    connection = psycopg2.connect(scored_database_url)
    connection.autocommit = True
    yield connection
    connection.close()


@contextmanager
def running_app(database_url: str, **config) -> Iterator:
    """The API on that database, closed (its pool emptied) afterwards."""
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **config})
    try:
        yield app
    finally:
        app.extensions["epa_db"].close()


def admin_client(app, database_url: str):
    """A test client that sends an admin token (tests of other roles make their own)."""
    from tests.helpers import issue_token

    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(database_url)}"
    return client


@pytest.fixture(scope="module")
def app_config() -> dict:
    """Extra app configuration; a module overrides this fixture to change it."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict):
    """The API on a fresh, empty database."""
    with running_app(database_url, **app_config) as app:
        yield app


@pytest.fixture
def client(app, database_url: str):
    """An admin client of `app`."""
    return admin_client(app, database_url)


@pytest.fixture(scope="module")
def scored_app(scored_database_url: str, app_config: dict):
    """The API on the module's scored demo database (read-only tests share it)."""
    with running_app(scored_database_url, **app_config) as app:
        yield app


@pytest.fixture(scope="module")
def scored_client(scored_app, scored_database_url: str):
    """An admin client of `scored_app`."""
    return admin_client(scored_app, scored_database_url)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg2.extensions.connection]:
    """A direct connection for arranging and inspecting the store."""
    connection = psycopg2.connect(database_url)
    yield connection
    connection.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs PostgreSQL, so `make test-fast` can leave them out."""
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
