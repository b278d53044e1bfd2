"""COPY tells its caller of each chunk of rows as it goes (what the worker's progress
shows), on a real PostgreSQL, and every row arrives."""

from __future__ import annotations

import pandas as pd
from psycopg2 import sql

from store import bulk


def test_copy_tells_each_chunk_of_rows_and_loads_them_all(conn, monkeypatch):
    monkeypatch.setattr(bulk, "COPY_CHUNK_ROWS", 400)
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE copied (n integer, label text)")
    frame = pd.DataFrame({"n": range(1000), "label": [f"row {i}" for i in range(1000)]})
    told: list[int] = []

    bulk.copy_frame(conn, sql.Identifier("copied"), frame, told.append)

    assert told == [400, 400, 200]
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), sum(n) FROM copied")
        assert cur.fetchone() == (1000, sum(range(1000)))
    conn.rollback()
