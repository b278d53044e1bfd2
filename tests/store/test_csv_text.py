"""An uploaded CSV goes to COPY as it came only when PostgreSQL reads from it exactly the
validated values; on a real PostgreSQL, it then stores what the rendered batch stores."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from store.bulk import load
from store.csv_text import copy_text, is_plain
from store.datasets import DATASETS
from store.validation import ValidationFailed, validate
from tests.helpers import EMPLOYEES, snapshot

TASKS = DATASETS["task-records"]
PLAIN = (
    "employee_id,period,tasks_total,tasks_completed,hours_logged\n"
    "E2,2026-09-01,20,18,150.5\n"
    "E3,2026-09-01,10,5,160.0\n"
)


def read(data: str) -> pd.DataFrame:
    # As the ingest route reads an upload.
    return pd.read_csv(
        io.BytesIO(data.encode()),
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8-sig",
        skipinitialspace=True,
    )


def sendable(data: str, dataset=TASKS) -> bytes | None:
    raw = read(data)
    return copy_text(data.encode(), raw, validate(raw, dataset), dataset)


def test_a_plain_file_in_canonical_form_is_sent_as_it_came():
    assert sendable(PLAIN) == PLAIN.encode()
    assert sendable("\ufeff" + PLAIN) == PLAIN.encode()  # without its byte order mark
    reordered = (
        "period,employee_id,hours_logged,tasks_total,tasks_completed\n2026-09-01,E2,1.5,2,1\n"
    )
    assert sendable(reordered) == reordered.encode()


@pytest.mark.parametrize(
    "changed",
    [
        PLAIN.replace("E2,", " E2,"),  # a space pandas skips
        PLAIN.replace(",18,", ",18 ,"),  # a space validation strips
        PLAIN.replace("E3", '"E3"'),  # quoted
        PLAIN.replace(",20,", ",020,"),  # a number not written as PostgreSQL reads it back
        PLAIN.replace("150.5", "1.505e2"),
        PLAIN.replace("2026-09-01,20", "2026-9-1,20"),  # a date not in ISO form
        PLAIN.replace("\n", "\r\n"),
        PLAIN + "\n",  # a blank line pandas skips
    ],
)
def test_a_file_copy_would_read_otherwise_is_rendered(changed):
    assert sendable(changed) is None


def test_only_a_plain_file_is_validated_without_stripping_its_cells():
    assert is_plain(PLAIN.encode()) and is_plain(("\ufeff" + PLAIN).encode())
    for spaced in (PLAIN.replace(",18,", ",18 ,"), PLAIN.replace("E3", "E3\t"), "a,\xa0b\n"):
        assert not is_plain(spaced.encode())
    raw = read(PLAIN)
    pd.testing.assert_frame_equal(validate(raw, TASKS, has_whitespace=False), validate(raw, TASKS))


def test_a_default_filled_in_by_validation_is_rendered():
    data = "kpi_id,name,unit,direction,aggregation\nsales,Sales,EUR,higher_is_better,\n"
    assert sendable(data, DATASETS["kpis"]) is None


def test_the_sent_file_stores_what_the_rendered_batch_stores_and_names_bad_rows(conn):
    with conn:
        load(conn, DATASETS["employees"], validate(pd.DataFrame(EMPLOYEES), DATASETS["employees"]))
    raw = read(PLAIN)
    typed = validate(raw, TASKS)
    with conn:
        sent = load(conn, TASKS, typed, csv_text=sendable(PLAIN))
    stored = snapshot(conn, "task_records")
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM task_records")
        rendered = load(conn, TASKS, typed)
    assert (sent.inserted, rendered.inserted) == (2, 2)
    assert [r[:5] for r in snapshot(conn, "task_records")] == [r[:5] for r in stored]

    unknown = PLAIN.replace("E3,", "E404,")
    with pytest.raises(ValidationFailed) as failed, conn:
        raw = read(unknown)
        load(conn, TASKS, validate(raw, TASKS), csv_text=sendable(unknown))
    assert [(p.row, p.column) for p in failed.value.problems] == [(2, "employee_id")]
