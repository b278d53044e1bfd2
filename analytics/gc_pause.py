"""Pausing the cyclic garbage collector while building many small Python objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Building millions of small dicts/lists triggers the cyclic collector over and over
    (several seconds at a million rows) although none of them can form a cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
