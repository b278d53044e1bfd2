"""Connections to the EPA store: one bounded pool per process, configured by DATABASE_URL."""

from __future__ import annotations

import select
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import psycopg2.extensions
import psycopg2.pool


class PoolTimeout(RuntimeError):
    """No connection became free within the acquire timeout."""


class Database:
    """A thread-safe pool that makes callers wait a bounded time for a free connection.

    psycopg2's own pool fails at once when exhausted; a semaphore in front of it turns
    that into a short wait, then a clean `PoolTimeout`, and never a hang. Connections are
    opened lazily, so a process starts even while PostgreSQL is down, and a connection
    that broke (server restart) is discarded instead of being handed out again.
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 10,
        acquire_timeout: float = 5.0,
        statement_timeout_ms: int | None = None,
        application_name: str = "epa",
    ) -> None:
        options = f"-c statement_timeout={statement_timeout_ms}" if statement_timeout_ms else None
        self._connect_args = {
            "dsn": url,
            "options": options,
            "application_name": application_name,
            "connect_timeout": 5,
        }
        self._pool = psycopg2.pool.ThreadedConnectionPool(0, max_connections, **self._connect_args)
        # psycopg2's pool keeps at most `minconn` idle connections and closes any other it
        # gets back, so with 0 every request paid for a new connection (several ms). Raised
        # only now, since the constructor opens `minconn` connections at once.
        self._pool.minconn = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        self._acquire_timeout = acquire_timeout
        self._probe_lock = threading.Lock()
        self._probe_conn: psycopg2.extensions.connection | None = None

    @contextmanager
    def connection(self) -> Iterator[psycopg2.extensions.connection]:
        """A pooled connection; the caller commits. Uncommitted work is rolled back."""
        if not self._slots.acquire(timeout=self._acquire_timeout):
            raise PoolTimeout(f"no database connection free within {self._acquire_timeout:g} s")
        conn = None
        try:
            conn = self._checkout()
            yield conn
        finally:
            if conn is not None:
                broken = conn.closed != 0
                if not broken:
                    try:
                        conn.rollback()
                    except psycopg2.Error:
                        broken = True
                self._pool.putconn(conn, close=broken)
            self._slots.release()

    @contextmanager
    def probe_connection(self) -> Iterator[psycopg2.extensions.connection]:
        """A connection of its own, outside the pool, for readiness probes: a probe must
        tell whether the database answers, not wait behind requests holding every pooled
        connection. One probe at a time; the connection is kept, and reopened once broken."""
        if not self._probe_lock.acquire(timeout=self._acquire_timeout):
            raise PoolTimeout(f"no probe connection free within {self._acquire_timeout:g} s")
        try:
            conn = self._probe_conn
            if conn is None or conn.closed or _readable(conn):
                if conn is not None:
                    conn.close()
                self._probe_conn = None
                conn = self._probe_conn = psycopg2.connect(**self._connect_args)
            try:
                yield conn
            finally:
                if not conn.closed:
                    try:
                        conn.rollback()
                    except psycopg2.Error:
                        conn.close()
        finally:
            self._probe_lock.release()

    def _checkout(self) -> psycopg2.extensions.connection:
        """An open connection: idle ones the server closed meanwhile (a restart) are dropped.

        An idle connection has nothing to read; a readable one was closed by the server or
        holds its last words. A zero-timeout poll of the socket tells, without a round trip."""
        for _ in range(self._pool.maxconn):
            conn = self._pool.getconn()
            if not _readable(conn):
                return conn
            self._pool.putconn(conn, close=True)
        return self._pool.getconn()

    @contextmanager
    def transaction(self) -> Iterator[psycopg2.extensions.connection]:
        """A pooled connection inside one transaction: committed on success, else rolled back.

        Not `with conn:`, whose rollback on a connection the server already closed raises
        InterfaceError and hides the OperationalError that says what happened."""
        with self.connection() as conn:
            try:
                yield conn
            except BaseException:
                if not conn.closed:
                    conn.rollback()
                raise
            conn.commit()

    def close(self) -> None:
        self._pool.closeall()
        with self._probe_lock:
            if self._probe_conn is not None:
                self._probe_conn.close()
                self._probe_conn = None


def _readable(conn: psycopg2.extensions.connection) -> bool:
    """Whether an idle connection has something to read: then the server closed it."""
    readable = select.poll()
    readable.register(conn.fileno(), select.POLLIN)
    return bool(readable.poll(0))
