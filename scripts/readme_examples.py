"""The README's example responses, checked against (or rewritten from) a running demo.

Each `curl` GET of a ```sh block is paired, in order, with the ```json blocks that follow
it. An example may abbreviate: it shows some of an object's keys (a "...": "..." entry
says more were left out), the first items of a list (and "..." for the rest), the start
of a long text (ending in "..."), and numbers to the digits it prints.
Everything it does show must be what the API answers. Timings and timestamps, which no two
runs share, are not compared.

    python scripts/readme_examples.py --check    # exit 1 and list the drift
    python scripts/readme_examples.py --write    # rewrite the examples that drifted

Both read the API at EPA_URL with EPA_TOKEN: the demo of `make run` as of
README_AS_OF (tests/system/test_readme_examples.py builds that demo and runs --check's
code on it)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"
# The month the examples' demo is as of (the demo of `make run` in that month's successor).
README_AS_OF = "2026-11-01"
DEMO_URL = "http://127.0.0.1:8000"
VOLATILE_KEYS = frozenset({"started_at", "finished_at", "duration_seconds", "timings"})
ELIDED = "..."
WIDTH = 100

_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.S | re.M)
_CURL = re.compile(r"^curl (?P<args>.*?)(?:'|\s)(?P<url>" + re.escape(DEMO_URL) + r"[^\s']*)'?$")


@dataclass(frozen=True)
class Example:
    path: str  # e.g. /api/v1/employees/E00042
    start: int  # offsets of the JSON block's body in the README
    end: int
    shown: Any  # parsed, numbers as Decimal (their printed digits matter)


def examples(text: str) -> list[Example]:
    found, waiting = [], []
    for block in _BLOCK.finditer(text):
        language, body = block[1], block[2]
        if language == "sh":
            waiting = []
            for line in body.splitlines():
                match = _CURL.match(line)
                reads = match and not re.search(r"-X|-d |-o |-O", match["args"])
                if reads:
                    waiting.append(match["url"].removeprefix(DEMO_URL))
        elif language == "json" and waiting:
            shown = json.loads(body, parse_float=Decimal, parse_int=Decimal)
            found.append(Example(waiting.pop(0), block.start(2), block.end(2), shown))
        else:
            waiting = []
    return found


def drift(shown: Any, actual: Any, where: str = "") -> Iterator[str]:
    """Where `shown` is not what `actual` is (see the module docstring)."""
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            yield f"{where or '.'}: shown an object, the API answers {type(actual).__name__}"
            return
        for key, value in shown.items():
            if key == ELIDED or key in VOLATILE_KEYS:
                continue
            if key not in actual:
                yield f"{where}.{key}: shown, but the API answers no such key"
            else:
                yield from drift(value, actual[key], f"{where}.{key}")
    elif isinstance(shown, list):
        if shown and shown[-1] == ELIDED:  # the first items, then "..."
            shown = shown[:-1]
        if not isinstance(actual, list) or len(actual) < len(shown):
            yield f"{where}: shown {len(shown)} items, the API answers {_short(actual)}"
            return
        for index, (value, answered) in enumerate(zip(shown, actual, strict=False)):
            yield from drift(value, answered, f"{where}[{index}]")
    elif isinstance(shown, Decimal):
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            yield f"{where}: shown {shown}, the API answers {_short(actual)}"
        elif _rounded(actual, shown) != shown:
            yield f"{where}: shown {shown}, the API answers {actual}"
    elif isinstance(shown, str) and isinstance(actual, str) and _is_abridged(shown):
        if not _abridges(shown, actual):
            yield f"{where}: shown {_short(shown)}, the API answers {_short(actual)}"
    elif shown != actual:
        yield f"{where}: shown {_short(shown)}, the API answers {_short(actual)}"


def refreshed(shown: Any, actual: Any) -> Any:
    """`shown`'s shape (its keys, list lengths, digits) with `actual`'s values."""
    if isinstance(shown, dict) and isinstance(actual, dict):
        return {
            key: value if key == ELIDED or key not in actual else refreshed(value, actual[key])
            for key, value in shown.items()
        }
    if isinstance(shown, list) and isinstance(actual, list):
        elided = [ELIDED] if shown and shown[-1] == ELIDED else []
        kept = shown[: len(shown) - len(elided)]
        return [refreshed(s, a) for s, a in zip(kept, actual, strict=False)] + elided
    if isinstance(shown, str) and isinstance(actual, str) and _abridges(shown, actual):
        return shown
    if isinstance(shown, Decimal) and isinstance(actual, int | float):
        return _rounded(actual, shown)
    return actual


def render(value: Any, indent: int = 0) -> str:
    """JSON that keeps an object or list on one line when it fits in WIDTH, else one
    entry per line."""
    flat = _flat(value)
    if len(flat) + indent <= WIDTH or not isinstance(value, dict | list) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {render(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{render(v, indent + 2)}" for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _flat(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


_GAP = re.compile(r"\.\.\.|…")


def _is_abridged(text: str) -> bool:
    return bool(_GAP.search(text))


def _abridges(shown: str, actual: str) -> bool:
    """`shown` is `actual` with parts left out where it says "..." or "…"."""
    first, *rest = _GAP.split(shown)
    if not actual.startswith(first):
        return False
    at = len(first)
    for piece in rest:
        at = actual.find(piece, at)
        if at < 0:
            return False
        at += len(piece)
    return True


def _rounded(actual: float, shown: Decimal) -> Decimal:
    exponent = shown.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return Decimal(repr(float(actual))).quantize(Decimal(1).scaleb(-places))


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def check(text: str, fetch: Callable[[str], Any]) -> list[str]:
    """Every drift of the README's examples from what `fetch(path)` answers."""
    problems = []
    for example in examples(text):
        problems += [f"{example.path} {p}" for p in drift(example.shown, fetch(example.path))]
    return problems


def write(text: str, fetch: Callable[[str], Any]) -> str:
    """The README with each drifted example rewritten (the others keep their layout)."""
    out, last = [], 0
    for example in examples(text):
        actual = fetch(example.path)
        if next(drift(example.shown, actual), None) is None:
            continue
        out += [text[last : example.start], render(refreshed(example.shown, actual)), "\n"]
        last = example.end
    return "".join(out) + text[last:]


def _fetcher(url: str, token: str) -> Callable[[str], Any]:
    import requests

    def fetch(path: str) -> Any:
        response = requests.get(
            url.rstrip("/") + path, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        response.raise_for_status()
        return response.json()

    return fetch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="list the drift, exit 1 if any")
    mode.add_argument("--write", action="store_true", help="rewrite the examples that drifted")
    args = parser.parse_args()
    url, token = os.environ.get("EPA_URL", DEMO_URL), os.environ.get("EPA_TOKEN")
    if not token:
        print("readme_examples: EPA_TOKEN is not set (make run writes .data/demo-token)")
        return 2
    fetch, text = _fetcher(url, token), README.read_text()
    if args.write:
        README.write_text(write(text, fetch))
        return 0
    problems = check(text, fetch)
    print("\n".join(problems) or f"the README's {len(examples(text))} examples match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
