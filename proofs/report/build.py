"""Writing a report to disk: saved results in, ``.tex`` + figures (+ PDF) out.

Invariants
----------
* The ``.tex`` and each figure are written atomically (temporary file + rename): an interrupted or failed
  run leaves the previous report intact, never a half-written one. The PDF is replaced only by a
  successful compile (see :mod:`proofs.report.compile`).
* Figures go to ``<stem>-figures/`` beside the ``.tex``; that folder belongs to the report, and PDFs in it
  that this run did not draw are removed, so it always matches the document.
* The document's bytes depend only on the results and the title: the date appears only when
  ``SOURCE_DATE_EPOCH`` is set (https://reproducible-builds.org/specs/source-date-epoch/).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..results import SCHEMA


class ReportError(Exception):
    """A report could not be produced (bad output path, TeX failure); one line, for the CLI."""


class ResultsError(ReportError):
    """A saved results file that cannot be rendered."""


def load_results(path, *, ids=(), keyword: str | None = None) -> tuple:
    """``(results, summary)`` from a JSON file written by ``check --format json``, selected like ``check``."""
    from .. import selection
    from ..outcome import summarize
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise ResultsError(f"--from {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ResultsError(f"--from {path}: cannot read it: {e}") from None
    except json.JSONDecodeError as e:
        raise ResultsError(f"--from {path}: not JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("claims"), list):
        raise ResultsError(f"--from {path}: not a derivcheck results file (expected schema {SCHEMA!r} with a "
                           f"'claims' list; write one with 'check --format json -o FILE')")
    claims = [c for c in data["claims"] if isinstance(c, dict) and isinstance(c.get("id"), str)]
    if len(claims) != len(data["claims"]):
        raise ResultsError(f"--from {path}: {len(data['claims']) - len(claims)} claim record(s) without an id")
    saved = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    if ids or keyword:
        chosen, unknown = selection.select(claims, ids=list(ids), keyword=keyword)
        if unknown:
            raise ResultsError(f"--from {path}: no saved result for " + ", ".join(unknown))
        claims = chosen
    summary = summarize(claims, errors=saved.get("errors") or (), seed=saved.get("seed", 0),
                        versions=saved.get("versions") or {}, seconds=0.0)
    return claims, summary


def _date() -> str | None:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if not raw:
        return None
    try:
        return time.strftime("%Y-%m-%d", time.gmtime(int(raw)))
    except (ValueError, OverflowError, OSError):
        return None


def _subtitle(results: list) -> str:
    sources = {(r.get("source") or {}).get("file", "") for r in results}
    return (f"{len(results)} claim{'s' if len(results) != 1 else ''} from {len(sources)} "
            f"source{'s' if len(sources) != 1 else ''}")


def draw_figures(results: list, folder: Path, *, warn=None) -> dict:
    """Draw every witness figure into ``folder``; ``{(claim id, witness, k): path relative to the .tex}``."""
    wanted = [(r["id"], w.get("name", ""), k, fig) for r in results for w in r.get("witnesses") or []
              for k, fig in enumerate(w.get("figures") or [], start=1)]
    if not wanted:
        return {}
    from . import figures
    if not figures.available():
        if warn:
            warn(f"derivcheck: warning: {len(wanted)} figure(s) not drawn: matplotlib is not installed "
                 f"(pip install 'derivcheck[report]')")
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    out, names = {}, set()
    for cid, wname, k, fig in wanted:
        name = figures.figure_file_name(cid, wname, k)
        try:
            figures.render(fig, folder / name)
        except ValueError as e:          # a malformed record: describe it, draw the others
            if warn:
                warn(f"derivcheck: warning: {cid}: witness {wname}: figure {k} not drawn: {e}")
            continue
        names.add(name)
        out[(cid, wname, k)] = f"{folder.name}/{name}"
    for stale in folder.glob("*.pdf"):
        if stale.name not in names:
            stale.unlink()
    return out


def write_report(results: list, summary: dict, output, *, pdf: bool = False,
                 title: str = "derivcheck verification report", warn=None) -> list:
    """Write the report (and its figures, and with ``pdf`` the PDF); the paths written, in order."""
    from ..cache import atomic_write
    from . import document

    tex_path = Path(output)
    folder = tex_path.parent / f"{tex_path.stem}-figures"
    try:
        figs = draw_figures(results, folder, warn=warn)
        text = document.render(results, summary, figures=figs, title=title, subtitle=_subtitle(results),
                               date=_date())
        atomic_write(str(tex_path), text)
    except OSError as e:
        raise ReportError(f"cannot write {e.filename or tex_path}: {e.strerror or e}") from None
    written = [str(tex_path)]
    if pdf:
        from . import compile as tex_compile
        pdf_path = tex_path.with_suffix(".pdf")
        try:
            done = tex_compile.compile_pdf(tex_path, pdf_path, assets=[folder.name] if figs else [])
        except tex_compile.CompileError as e:
            raise ReportError(str(e)) from None
        written.append(f"{pdf_path} ({done.summary()}; log {done.log_path})")
    return written
