"""A run gives freed heap pages back to the system (glibc, as on these machines)."""

from __future__ import annotations

from worker.memory import release_freed_memory

PAGE = 4096


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def test_freed_heap_pages_are_given_back_to_the_system():
    # 1 KiB objects come from malloc's heap; the last one stays alive so that the free
    # space below it is a hole, which glibc keeps unless asked to trim.
    blocks = [bytes(1024) + bytes([i % 256]) for i in range(200_000)]
    last = blocks[-1]
    del blocks
    before = resident_bytes()
    assert release_freed_memory()
    assert before - resident_bytes() > 100 * 2**20
    assert last[-1] == (200_000 - 1) % 256
