"""No upload is cut: a body over EPA_MAX_UPLOAD_MB gets 413 from the API under real
gunicorn, whether it declares its length or is sent chunked, and nothing is written.

The upload is a CSV of valid training programs whose rows end exactly on the 64 MiB
limit, so a body cut there (as it was) would be a shortened batch that loads."""

from __future__ import annotations

import json
import select
import socket
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import count, issue_token, query
from tests.processes import running_gunicorn

pytestmark = pytest.mark.slow

LIMIT_BYTES = 64 << 20  # EPA_MAX_UPLOAD_MB's default
UPLOAD_BYTES = 70_000_000
ROW_BYTES = 64
HEADER = "program_id,name,skill,level_gain,duration_hours\n"
ROWS_PER_CHUNK = 16_384  # 1 MiB a chunk


def program(i: int) -> str:
    """Row `i`, padded so that the header and the first row, then every row, are 64
    bytes: each multiple of 64 bytes, the limit included, ends a row."""
    fixed = len(f"P{i:08d},,Python,1,1\n")
    width = ROW_BYTES - fixed + (ROW_BYTES - len(HEADER) if i == 0 else 0)
    return f"P{i:08d},{'n' * width},Python,1,1\n"


def upload() -> Iterator[bytes]:
    """UPLOAD_BYTES of CSV, a chunk at a time (never held whole in memory)."""
    rows = (UPLOAD_BYTES - len(HEADER)) // ROW_BYTES
    yield HEADER.encode()
    for start in range(0, rows, ROWS_PER_CHUNK):
        yield "".join(program(i) for i in range(start, min(start + ROWS_PER_CHUNK, rows))).encode()


def size_of_upload() -> int:
    return sum(map(len, upload()))


def test_the_upload_is_over_the_limit_with_a_row_ending_on_it():
    assert size_of_upload() > LIMIT_BYTES
    assert len(HEADER) + len(program(0)) == 2 * ROW_BYTES
    assert len(program(1)) == len(program(99_999_999)) == ROW_BYTES


def read_reply(sock: socket.socket) -> tuple[int, dict]:
    """The status and JSON body of an HTTP/1.1 reply with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data or len(data) < reply_length(data):
        try:
            more = sock.recv(65536)
        except ConnectionResetError:
            more = b""
        if not more:
            break
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    assert head, "no reply at all"
    return int(head.split()[1]), json.loads(body)


def reply_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(data) + 1


def post(url: str, token: str, *, chunked: bool) -> tuple[int, dict]:
    """POST the upload as a careful client does: it stops sending once an answer arrives
    (the server stops reading at the limit and closes, so the rest cannot be sent), and
    reads the answer whether or not the last write failed."""
    parts = urllib.parse.urlsplit(url)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size_of_upload()}"
    head = (
        "POST /api/v1/ingest/training-programs HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\nContent-Type: text/csv\r\n"
        f"Authorization: Bearer {token}\r\n{framing}\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=300) as sock:
        try:
            sock.sendall(head.encode())
            for chunk in upload():
                if select.select([sock], [], [], 0)[0]:
                    break  # answered early
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed; its answer is still there to read
        return read_reply(sock)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_70_mb_upload_gets_413_and_writes_nothing(
    database_url: str, tmp_path: Path, conn, chunked: bool
):
    token = issue_token(database_url)
    with running_gunicorn(database_url, tmp_path, EPA_WORKERS="1") as api:
        status, body = post(api.url, token, chunked=chunked)
        assert status == 413, (body, api.log()[-2000:])
        assert body["status"] == "error"
        assert "Traceback" not in api.log()
    assert count(conn, "training_programs") == 0
    assert query(conn, "SELECT count(*) FROM audit_log WHERE action = 'ingest'") == [(0,)]
