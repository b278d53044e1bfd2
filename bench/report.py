"""The results table of docs/performance.md, rewritten from a `make bench` report between
its markers; the rest of the page is prose and stays as written."""

from __future__ import annotations

from pathlib import Path

BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"


def _seconds(figures: dict | None) -> str:
    if not figures:
        return "—"
    if "p99_ms" in figures:
        return f"p99 {figures['p99_ms']} ms, {figures['errors']} errors"
    if "bytes" in figures:  # a response whose size is a target too
        return f"{figures['seconds']:g} s, {figures['bytes'] / 1e6:.2f} MB"
    return f"{figures['seconds']:g} s"


def _peak(figures: dict | None) -> str:
    if not figures or "peak_mib" not in figures:
        return "—"
    return f"{figures['peak_mib'] / 1024:.2f} GiB"


def results_table(result: dict) -> str:
    machine, git = result["machine"], result["git"]
    commit = git["commit"][:12] + (" (uncommitted changes)" if git["dirty"] else "")
    lines = [
        f"Measured {result['started_at']} on {machine['nproc']} cores, "
        f"{machine['memory_gib']} GiB ({machine['platform']}, Python {machine['python']}), "
        f"commit `{commit}`; {result['setup']['employees']:,} employees × "
        f"{result['setup']['months']} months; load average before "
        f"{machine.get('load_average_before', ['?'])[0]}.",
        "",
        "| benchmark | work | EPA | bare limit | ratio | EPA peak | bare peak | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in result["results"]:
        ratio = f"{r['ratio']:.2f}×" if r["ratio"] is not None else "—"
        met = "yes" if r["met"] else "**no**: " + "; ".join(r["misses"])
        lines.append(
            f"| {r['benchmark']} | {r['work']} | {_seconds(r['epa'])} | {_seconds(r['bare'])} "
            f"| {ratio} | {_peak(r['epa'])} | {_peak(r['bare'])} | {r['target']} | {met} |"
        )
    return "\n".join(lines)


def update_performance_doc(path: Path, result: dict) -> None:
    """Replace the table between the markers (appending a section the first time)."""
    text = path.read_text() if path.exists() else ""
    block = f"{BEGIN}\n{results_table(result)}\n{END}"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n## Batch and API benchmarks: the last `make bench`\n\n"
        text += block + "\n"
    path.write_text(text)
