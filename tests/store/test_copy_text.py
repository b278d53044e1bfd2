"""copy_frame renders its CSV column by column instead of through pandas' to_csv: on a real
PostgreSQL, every value it loads is the one pandas' CSV loads, for every kind of column a
run or an ingest batch writes, the awkward ones included."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from psycopg2 import sql

from store import bulk

COLUMNS = """n bigint, small smallint, f4 real, f8 double precision, whole real, flag boolean,
    label text, raw text, day date, count_text text"""
NAMES = ["n", "small", "f4", "f8", "whole", "flag", "label", "raw", "day", "count_text"]


def awkward_frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    f8 = rng.standard_normal(rows) * 10.0 ** rng.integers(-30, 30, rows)
    f8[::97] = np.nan
    f8[5], f8[6], f8[7] = np.inf, -np.inf, -0.0
    f4 = (rng.standard_normal(rows) * 10.0 ** rng.integers(-30, 30, rows)).astype(np.float32)
    f4[::89] = np.nan
    texts = ["plain", "a,b", 'say "hi"', "two\nlines", "", None, "é ünïcødé", " padded "]
    labels = [texts[i % len(texts)] for i in range(rows)]
    return pd.DataFrame(
        {
            "n": np.arange(rows, dtype=np.int64) - rows // 2,
            "small": (np.arange(rows) % 200 - 100).astype(np.int16),
            "f4": f4,
            "f8": f8,
            "whole": np.arange(rows, dtype=np.float64) * 1e6,
            "flag": np.arange(rows) % 3 == 0,
            "label": pd.Series(labels, dtype="str"),
            "raw": pd.Series(labels, dtype=object),
            "day": [dt.date(2026, 1, 1) + dt.timedelta(days=i % 400) for i in range(rows)],
            "count_text": pd.Series([i if i % 5 else None for i in range(rows)], dtype=object),
        }
    )


def load_both(conn, frame: pd.DataFrame) -> list[tuple]:
    """Rows of `frame` loaded by copy_frame that the same frame loaded through to_csv does
    not hold, and the other way round."""
    with conn.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE ours ({COLUMNS}); CREATE TEMP TABLE pandas ({COLUMNS})")
        bulk.copy_frame(conn, sql.Identifier("ours"), frame)
        cur.copy_expert(
            f"COPY pandas ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)",
            io.StringIO(frame.to_csv(index=False, header=False, na_rep="")),
        )
        cur.execute("SELECT count(*) FROM ours")
        assert cur.fetchone()[0] == len(frame)
        cur.execute(
            """(TABLE ours EXCEPT ALL TABLE pandas)
               UNION ALL (TABLE pandas EXCEPT ALL TABLE ours)"""
        )
        return cur.fetchall()


def test_every_value_loads_as_pandas_csv_loads_it(conn, monkeypatch):
    monkeypatch.setattr(bulk, "COPY_CHUNK_ROWS", 700)  # several chunks
    frame = awkward_frame(2000)

    assert load_both(conn, frame) == []
    with conn.cursor() as cur:
        cur.execute(
            """SELECT count(*) FILTER (WHERE f8 = 'Infinity'), count(*) FILTER (WHERE f8 IS NULL),
                      count(*) FILTER (WHERE label IS NULL), count(*) FILTER (WHERE label = 'a,b')
               FROM ours"""
        )
        # NaN and empty text load as NULL, as they did through pandas.
        assert cur.fetchone() == (1, len(range(0, 2000, 97)), 2 * 2000 // 8, 2000 // 8)
    conn.rollback()


def test_floats_keep_every_bit(conn):
    frame = awkward_frame(3000)[["n", "f4", "f8"]]
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE floats (n bigint, f4 real, f8 double precision)")
        bulk.copy_frame(conn, sql.Identifier("floats"), frame)
        cur.execute("SELECT f4, f8 FROM floats ORDER BY n")
        f4, f8 = (np.array(v, dtype=float) for v in zip(*cur.fetchall(), strict=True))
    conn.rollback()
    np.testing.assert_array_equal(f4.astype(np.float32), frame["f4"].to_numpy())
    np.testing.assert_array_equal(f8, frame["f8"].to_numpy())


@pytest.mark.parametrize(
    "frame",
    [
        # Columns whose text pandas writes: categories and datetimes.
        awkward_frame(300).assign(label=lambda f: f["label"].astype("category")),
        awkward_frame(300).assign(day=lambda f: pd.to_datetime(f["day"])),
        # Python floats in an object column.
        awkward_frame(300).assign(count_text=lambda f: f["f8"].astype(object)),
    ],
    ids=["category", "datetime64", "object floats"],
)
def test_columns_it_does_not_render_load_as_before(conn, frame):
    assert load_both(conn, frame) == []
    conn.rollback()


def test_a_carriage_return_in_text_is_quoted_and_loads(conn):
    frame = pd.DataFrame({"n": [1, 2], "label": ["line\rbreak", "crlf\r\n"]})
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE texts (n integer, label text)")
        bulk.copy_frame(conn, sql.Identifier("texts"), frame)
        cur.execute("SELECT label FROM texts ORDER BY n")
        assert [row[0] for row in cur.fetchall()] == ["line\rbreak", "crlf\r\n"]
    conn.rollback()
