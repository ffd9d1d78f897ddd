"""Markdown summary of a run: claims per source, verdict counts, witnesses, the errata found.

Deterministic (sorted, no timings), so the README's catalog table can be
regenerated and compared byte for byte.
"""
from __future__ import annotations

from collections import Counter, defaultdict

VERDICTS = ("proved", "refuted", "unproved", "not checkable", "error", "timeout")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_check(results: list, summary: dict | None = None) -> str:
    by_source = defaultdict(Counter)
    for r in results:
        by_source[r["source"]["file"]][r["verdict"]] += 1
        for also in r.get("also", []):
            by_source[also["file"]]["also cited"] += 1
    cols = [v for v in VERDICTS if any(c[v] for c in by_source.values())]
    lines = ["| source | claims | " + " | ".join(cols) + " | also cited |",
             "| --- | ---: | " + " | ".join("---:" for _ in cols) + " | ---: |"]
    total = Counter()
    for src in sorted(by_source):
        c = by_source[src]
        n = sum(c[v] for v in VERDICTS)
        total.update(c)
        lines.append(f"| {_cell(src)} | {n} | " + " | ".join(str(c[v]) for v in cols) + f" | {c['also cited']} |")
    lines.append(f"| **all** | **{sum(total[v] for v in VERDICTS)}** | "
                 + " | ".join(f"**{total[v]}**" for v in cols) + f" | {total['also cited']} |")
    wit = Counter(w["verdict"] for r in results for w in r.get("witnesses", []))
    lines += ["", f"Witnesses: {wit['agrees']} agree, {wit['disagrees']} disagree, {wit['error']} error; "
              f"{sum(1 for r in results if r['verdict'] == r['expected'])} of {len(results)} verdicts as expected."]
    resting = sorted((r for r in results if r.get("assuming")), key=lambda r: r["id"])
    if resting:
        lines += ["", f"{len(resting)} verdict(s) rest on unchecked assumptions (`proved, assuming: ...`):", ""]
        lines += [f"- `{r['id']}` {r['verdict']}, assuming: " + _cell("; ".join(r["assuming"])) for r in resting]
    corrected_by = defaultdict(list)
    for r in results:
        if r.get("corrects"):
            corrected_by[r["corrects"]].append(r["id"])
    errata = [r for r in results if r["verdict"] == "refuted" and r["expected"] == "refuted"]
    if errata:
        lines += ["", "| erratum | where | first failing step | corrected by |", "| --- | --- | --- | --- |"]
        for r in sorted(errata, key=lambda r: r["id"]):
            step = next((s for s in r.get("steps", []) if s["index"] == r.get("first_failing_step")), None)
            where = f"{r['source']['file']}, {r['source']['locator']}"
            failing = "—" if step is None else (
                f"{step['index']}" + (f" {step['label']}" if step.get("label") and not step['label'].startswith("step ")
                                      else "") + (f" ({step['rule']})" if step.get("rule") else ""))
            fixes = ", ".join(f"`{i}`" for i in sorted(corrected_by.get(r["id"], []))) or "—"
            lines.append(f"| `{r['id']}` | {_cell(where)} | {_cell(failing)} | {fixes} |")
    return "\n".join(lines) + "\n"
