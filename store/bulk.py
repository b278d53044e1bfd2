"""Set-based load of a validated batch: COPY into a staging table, then one upsert.

The caller owns the transaction, so a batch is all-or-nothing: a bad reference, or a
manager cycle, found here raises ValidationFailed and nothing of the batch stays in the
target table; the transaction rolls back. Re-sending the same rows changes nothing: the
upsert only touches rows whose values differ.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from psycopg2 import errors, sql
from psycopg2.extensions import connection

from store.datasets import EMPLOYEES, Dataset
from store.numbers_text import numbers_as_text
from store.validation import MAX_PROBLEMS, Problem, ValidationFailed, clip


@dataclass(frozen=True)
class LoadResult:
    received: int
    inserted: int
    updated: int

    @property
    def unchanged(self) -> int:
        return self.received - self.inserted - self.updated

    def to_dict(self) -> dict:
        return {**asdict(self), "unchanged": self.unchanged}


COPY_CHUNK_ROWS = 50_000  # rows rendered as CSV at a time: bounds the text in memory
COPY_READ_BYTES = 1 << 20


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
# Objects whose str() is their CSV text (what the csv module writes for them).
_STR_KINDS = frozenset({"string", "empty", "integer", "boolean", "date"})


def _csv_fields(column: pd.Series) -> list[str] | None:
    """A column's CSV fields, as `to_csv(na_rep="")` writes them; None for a dtype left to
    pandas (dates as datetime64, categories, nullable extension types, mixed objects)."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and (dtype.kind in "iu" or dtype in (np.float32, np.float64)):
        return numbers_as_text(column.to_numpy())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return np.where(column.to_numpy(), "True", "False").tolist()
    if not (pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)):
        return None
    values = column.to_numpy(dtype=object, na_value=None)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in _STR_KINDS:
        return None
    str_of = (lambda v: v) if kind == "string" else str
    fields = ["" if v is None else str_of(v) for v in values.tolist()]
    # One search over the whole column spares a search per field in the usual case (names,
    # identifiers). Quoted on \r too, which to_csv leaves bare and COPY would refuse.
    if _NEEDS_QUOTES.search("".join(fields)):
        fields = [_quoted(t) if _NEEDS_QUOTES.search(t) else t for t in fields]
    return fields


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def render_csv(rows: pd.DataFrame) -> str:
    """Rows as PostgreSQL CSV (no header, empty for NULL), built column by column: the same
    values as `rows.to_csv(index=False, header=False, na_rep="")`, several times faster
    (pandas formats every float through numpy and writes row by row). Falls back to pandas
    for a frame of one column (whose NULL it writes as "") or a column dtype it formats."""
    if rows.empty:
        return ""
    width = len(rows.columns)
    columns = [] if width < 2 else [_csv_fields(rows.iloc[:, i]) for i in range(width)]
    if not columns or any(fields is None for fields in columns):
        return rows.to_csv(index=False, header=False, na_rep="")
    return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"


class _CsvChunks:
    """A read-only file over a frame's CSV text, rendered a chunk of rows at a time as COPY
    reads it, so a million-row frame never exists as one string."""

    def __init__(self, frame: pd.DataFrame, on_rows: Callable[[int], None] | None) -> None:
        self._chunks = (
            self._render(frame.iloc[start : start + COPY_CHUNK_ROWS], on_rows)
            for start in range(0, len(frame), COPY_CHUNK_ROWS)
        )
        self._current = io.StringIO()

    @staticmethod
    def _render(rows: pd.DataFrame, on_rows: Callable[[int], None] | None) -> str:
        text = render_csv(rows)
        if on_rows is not None:
            # Told as the chunk is handed to COPY: the rows before it have reached the server.
            on_rows(len(rows))
        return text

    def read(self, size: int = -1) -> str:
        parts = []
        while size < 0 or size > 0:
            text = self._current.read(size)
            parts.append(text)
            if size > 0:
                size -= len(text)
            if size == 0:
                break
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._current = io.StringIO(chunk)
        return "".join(parts)


SPOOL_BYTES = 64 << 20  # a query result larger than this is spooled to a temporary file


def read_frame(
    conn: connection, query: str, params: dict | None = None, **read_csv
) -> pd.DataFrame:
    """A query's result as a DataFrame, streamed with COPY (far faster than fetching rows)
    through a temporary file, so a large result is never held twice in memory as text and
    as a frame. `read_csv` goes to pandas.read_csv (dtype, parse_dates, ...)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as buffer:
        with conn.cursor() as cur:
            statement = cur.mogrify(query, params or {}).decode()
            cur.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv, HEADER)", buffer)
        buffer.seek(0)
        return pd.read_csv(buffer, **read_csv)


def copy_frame(
    conn: connection,
    table: sql.Composable,
    frame: pd.DataFrame,
    on_rows: Callable[[int], None] | None = None,
) -> None:
    """COPY a frame into `table` (columns named as the frame's) in PostgreSQL's CSV format;
    `on_rows(n)` is told of each chunk of n rows as it goes."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        table, sql.SQL(", ").join(map(sql.Identifier, frame.columns))
    )
    with conn.cursor() as cur:
        cur.copy_expert(statement.as_string(conn), _CsvChunks(frame, on_rows), size=COPY_READ_BYTES)


def _unknown_reference_problems(conn: connection, dataset: Dataset) -> list[Problem]:
    problems: list[Problem] = []
    for ref in dataset.references:
        # An employees batch may refer to people it brings itself (a new team and its lead).
        # Two ANDed NOT EXISTS plan as anti-joins; NOT (EXISTS OR EXISTS) would run a
        # subquery per row, quadratic on a large batch.
        in_batch = (
            sql.SQL("AND NOT EXISTS (SELECT FROM staging b WHERE b.{key} = s.{col})")
            if dataset is EMPLOYEES
            else sql.SQL("")
        )
        names = {"col": sql.Identifier(ref.column), "key": sql.Identifier(ref.key)}
        query = sql.SQL(
            """SELECT s._row FROM staging s
               WHERE s.{col} IS NOT NULL
                 AND NOT EXISTS (SELECT FROM {table} e WHERE e.{key} = s.{col})
                 {in_batch}
               ORDER BY s._row LIMIT %s"""
        ).format(table=sql.Identifier(ref.table), in_batch=in_batch.format(**names), **names)
        with conn.cursor() as cur:
            cur.execute(query, (MAX_PROBLEMS,))
            problems += [Problem(row, ref.column, ref.reason) for (row,) in cur.fetchall()]
    return sorted(problems, key=lambda p: (p.row, p.column))


# The stored employees that the batch's manager chains climb through, up to where a chain
# re-enters the batch (whose rows replace the stored ones) or ends. UNION, not UNION ALL:
# a node is visited once, so the walk ends even on a cycle already stored.
_STORED_CHAINS = """
    WITH RECURSIVE above (employee_id, manager_id) AS (
        SELECT e.employee_id, e.manager_id
          FROM employees e JOIN (SELECT DISTINCT manager_id FROM staging) s
            ON e.employee_id = s.manager_id
         WHERE NOT EXISTS (SELECT FROM staging b WHERE b.employee_id = e.employee_id)
        UNION
        SELECT e.employee_id, e.manager_id
          FROM above a JOIN employees e ON e.employee_id = a.manager_id
         WHERE NOT EXISTS (SELECT FROM staging b WHERE b.employee_id = e.employee_id)
    )
    SELECT employee_id, manager_id FROM above"""

CYCLE_SHOWN = 12  # people named in a cycle's reason; clip() bounds it in characters too


def _on_cycles(parent: np.ndarray) -> np.ndarray:
    """Which nodes of a graph where each node has at most one parent (-1: none) lie on a
    cycle, by pointer doubling: after 2^k >= n steps up, a chain that has not ended is
    inside its cycle, and the nodes reached that way are exactly the cycles' nodes."""
    n = len(parent)
    jump = parent.copy()
    steps = 1
    while steps < n:
        jump = np.where(jump >= 0, jump[np.maximum(jump, 0)], -1)
        steps *= 2
    on_cycle = np.zeros(n, dtype=bool)
    on_cycle[jump[jump >= 0]] = True
    return on_cycle


def _manager_cycle_problems(conn: connection, frame: pd.DataFrame) -> list[Problem]:
    """Rows of an employees batch whose chain of managers, through the batch and the
    employees already stored, leads back to themselves (A manages B and B manages A, or
    longer). Only cycles through the batch are reported: it cannot have made any other."""
    above = read_frame(conn, _STORED_CHAINS, dtype=str, keep_default_na=False, na_values=[""])
    batch = frame[["employee_id", "manager_id"]].reset_index(drop=True)
    ids = pd.Index(pd.concat([batch.employee_id, above.employee_id], ignore_index=True))
    managers = pd.concat([batch.manager_id, above.manager_id], ignore_index=True)
    parent = np.asarray(ids.get_indexer(managers.where(managers.notna(), None)))
    rows = np.flatnonzero(_on_cycles(parent)[: len(batch)])
    problems = []
    for node in rows[:MAX_PROBLEMS]:
        chain, current = [ids[node]], parent[node]
        while current != node and len(chain) < CYCLE_SHOWN:
            chain.append(ids[current])
            current = parent[current]
        chain.append(ids[node] if current == node else "…")
        reason = clip("is in a cycle of managers: " + " → ".join(map(str, chain)))
        problems.append(Problem(int(node) + 1, "manager_id", reason))
    return problems


def unknown_references(conn: connection, dataset: Dataset, raw: pd.DataFrame) -> list[Problem]:
    """Rows of an unvalidated batch naming employees (or programs) the store does not know,
    found with one query per column over the distinct identifiers, so a rejected batch
    lists these problems together with the others instead of one round of fixes later."""
    problems: list[Problem] = []
    batch_ids = (
        set(raw["employee_id"].dropna().astype(str).str.strip()) if dataset is EMPLOYEES else set()
    )
    for ref in dataset.references:
        column = ref.column
        if column not in raw:
            continue
        values = (
            raw[column]
            .where(raw[column].notna(), None)
            .map(lambda v: None if v is None else str(v).strip())
        )
        # A value with NUL is reported by validation and cannot be sent as a parameter.
        in_batch = batch_ids if ref.table == "employees" else set()
        wanted = sorted({v for v in values.dropna() if v and "\x00" not in v} - in_batch)
        if not wanted:
            continue
        query = sql.SQL(
            """SELECT w FROM unnest(%s::text[]) AS w
               WHERE NOT EXISTS (SELECT FROM {table} e WHERE e.{key} = w)"""
        ).format(table=sql.Identifier(ref.table), key=sql.Identifier(ref.key))
        with conn.cursor() as cur:
            cur.execute(query, (wanted,))
            unknown = {row[0] for row in cur.fetchall()}
        rows = values.index[values.isin(unknown)]
        problems += [Problem(int(i) + 1, column, ref.reason) for i in rows[:MAX_PROBLEMS]]
    return problems


def load(
    conn: connection,
    dataset: Dataset,
    frame: pd.DataFrame,
    on_rows: Callable[[int], None] | None = None,
    csv_text: bytes | None = None,
) -> LoadResult:
    """Upsert a batch that `store.validation.validate` accepted. Raises ValidationFailed
    for references to unknown employees or programs (each row and column named); the
    caller's transaction then rolls back. `on_rows(n)` is told of each chunk of n rows
    staged. `csv_text`, when given, is the batch as a CSV with a header that COPY reads
    as `frame` (see store.csv_text): it is staged as it is instead of being rendered."""
    table = sql.Identifier(dataset.table)
    with conn.cursor() as cur:
        if dataset is EMPLOYEES:
            # One employees batch at a time (the lock conflicts with itself, not with
            # readers): two batches each without a cycle could form one together.
            cur.execute("LOCK TABLE employees IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(
            sql.SQL("CREATE TEMP TABLE staging (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP").format(
                table
            )
        )
        # COPY numbers the lines of a text it reads in order; a frame brings its numbers.
        numbered = " GENERATED ALWAYS AS IDENTITY" if csv_text is not None else ""
        cur.execute(f"ALTER TABLE staging ADD COLUMN _row integer{numbered}")
    if csv_text is not None:
        _copy_text(conn, csv_text)
        if on_rows is not None:
            on_rows(len(frame))
    else:
        staged = frame[dataset.columns].assign(_row=range(1, len(frame) + 1))
        copy_frame(conn, sql.Identifier("staging"), staged, on_rows)

    upsert = _upsert(dataset)
    if dataset is EMPLOYEES or not all(ref.foreign_key for ref in dataset.references):
        # Cycles, and references no foreign key enforces, are found before the upsert.
        problems = _reference_problems(conn, dataset)
        if dataset is EMPLOYEES:
            problems += _manager_cycle_problems(conn, frame)
        if problems:
            raise ValidationFailed(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
        inserted, updated = _run(conn, upsert)
    else:
        # The foreign keys check every reference as the upsert writes: a good batch pays
        # no anti-join. A violation rolls back to the savepoint, and the same queries as
        # above then name each bad row and column.
        with conn.cursor() as cur:
            cur.execute("SAVEPOINT upsert")
        try:
            inserted, updated = _run(conn, upsert)
        except errors.ForeignKeyViolation:
            with conn.cursor() as cur:
                cur.execute("ROLLBACK TO SAVEPOINT upsert")
            problems = _reference_problems(conn, dataset)
            if not problems:
                raise  # a violation the batch does not explain: not a problem of its rows
            raise ValidationFailed(problems) from None
        with conn.cursor() as cur:
            cur.execute("RELEASE SAVEPOINT upsert")
    with conn.cursor() as cur:
        cur.execute("DROP TABLE staging")  # several batches may share one transaction
    return LoadResult(received=len(frame), inserted=inserted, updated=updated)


def _copy_text(conn: connection, text: bytes) -> None:
    header = text.split(b"\n", 1)[0].decode().split(",")
    statement = sql.SQL("COPY staging ({}) FROM STDIN WITH (FORMAT csv, HEADER)").format(
        sql.SQL(", ").join(map(sql.Identifier, header))
    )
    with conn.cursor() as cur:
        cur.copy_expert(statement.as_string(conn), io.BytesIO(text), size=COPY_READ_BYTES)


def _reference_problems(conn: connection, dataset: Dataset) -> list[Problem]:
    with conn.cursor() as cur:
        # A fresh temp table has no statistics; without them the planner nested-loops the
        # reference checks, which is quadratic on large batches.
        cur.execute("ANALYZE staging")
    return _unknown_reference_problems(conn, dataset)


def _run(conn: connection, upsert: sql.Composable) -> tuple[int, int]:
    """The upsert's counts of rows inserted and updated."""
    with conn.cursor() as cur:
        cur.execute(upsert)
        inserted, updated = cur.fetchone()
    return inserted, updated


def _upsert(dataset: Dataset) -> sql.Composable:
    """INSERT … ON CONFLICT of the staging table into the dataset's, counting the rows
    inserted and updated; a row whose values are unchanged is not touched."""
    table = sql.Identifier(dataset.table)
    columns = [sql.Identifier(c) for c in dataset.columns]
    values = [sql.Identifier(c) for c in dataset.columns if c not in dataset.key]
    on_conflict = sql.SQL(
        "DO UPDATE SET {assign}, updated_at = now() WHERE ({old}) IS DISTINCT FROM ({new})"
    ).format(
        assign=sql.SQL(", ").join(sql.SQL("{c} = EXCLUDED.{c}").format(c=c) for c in values),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(c) for c in values),
        new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(c) for c in values),
    )
    if not values:  # every column is in the key (training completions): nothing to update
        on_conflict = sql.SQL("DO NOTHING")
    return sql.SQL(
        """WITH upserted AS (
               INSERT INTO {table} AS t ({columns}) SELECT {columns} FROM staging
               ON CONFLICT ({key}) {on_conflict}
               RETURNING (xmax = 0) AS inserted)
           SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
           FROM upserted"""
    ).format(
        table=table,
        columns=sql.SQL(", ").join(columns),
        key=sql.SQL(", ").join(sql.Identifier(c) for c in dataset.key),
        on_conflict=on_conflict,
    )
