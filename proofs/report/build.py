"""Writing a report to disk: saved results in, ``.tex`` + figures (+ PDF) out.

Invariants
----------
* A results file is data (it may come from anywhere): it is read only as JSON (at most ``MAX_RESULTS_BYTES``,
  UTF-8, nesting as deep as Python's parser allows), every claim record is checked against the shape
  ``ClaimResult.to_dict()`` gives (:func:`proofs.results.record_problem`), and anything else is a
  :class:`ResultsError` whose message is one line naming the file and the record (the CLI: exit 2). Nothing
  read from it reaches TeX as TeX: text is escaped and maths verified (:mod:`proofs.report.tex`); a maths
  field that fails verification is shown as text and ``warn`` gets one line naming the file, claim and field.
* The ``.tex`` and each figure are written atomically (temporary file + rename): an interrupted or failed
  run leaves the previous report intact, never a half-written one. The PDF is replaced only by a
  successful compile (see :mod:`proofs.report.compile`).
* Figures go to ``<stem>-figures/`` beside the ``.tex`` (for a stem with characters other than letters,
  digits, ``_`` and ``-``, such as ``%``, ``#`` or a space, which TeX would read as code:
  ``<sanitised stem>-<digest>-figures/``). Figure files are named from the exact claim id and witness
  (:func:`proofs.report.figures.figure_file_name`), so no two claims share one. The tool records what it
  wrote in ``.derivcheck-figures.json`` in that folder and removes a figure it no longer draws only if it
  is listed there and its bytes are still the ones written: it never deletes, nor overwrites, a file
  it did not write.
* The document's bytes depend only on the results and the title: the date appears only when
  ``SOURCE_DATE_EPOCH`` is set (https://reproducible-builds.org/specs/source-date-epoch/).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path

from ..results import SCHEMA

MAX_RESULTS_BYTES = 256 * 2**20      # a results file of the whole catalog is about 1.3 MB
MAX_WARNINGS = 200                   # maths fields shown as text: one line each, then a count
MANIFEST = ".derivcheck-figures.json"


class ReportError(Exception):
    """A report could not be produced (bad output path, TeX failure); one line, for the CLI."""


class ResultsError(ReportError):
    """A saved results file that cannot be rendered."""


def printable(s, limit: int = 80, quote: bool = True) -> str:
    """``s`` fit for one line of a terminal message: control and other non-printable characters (line breaks,
    escape sequences, lone surrogates) as escapes, cut to ``limit`` characters; with ``quote``, in quotes
    (and a quote or backslash in it escaped)."""
    s = str(s)
    special = "\\'" if quote else ""
    out = "".join(ch if ch.isprintable() and ch not in special else
                  ("\\" + ch if ch in special else ascii(ch)[1:-1]) for ch in s[:limit])
    more = f" (+{len(s) - limit:,} characters)" if len(s) > limit else ""
    return ("'" + out + "'" if quote else out) + more


def _read_json(path) -> object:
    shown = printable(path, 200)
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size > MAX_RESULTS_BYTES:
                raise ResultsError(f"--from {shown}: too large ({os.fstat(fh.fileno()).st_size:,} bytes; at most "
                                   f"{MAX_RESULTS_BYTES:,})")
            raw = fh.read(MAX_RESULTS_BYTES + 1)
    except FileNotFoundError:
        raise ResultsError(f"--from {shown}: no such file") from None
    except IsADirectoryError:
        raise ResultsError(f"--from {shown}: is a folder, not a results file") from None
    except OSError as e:
        raise ResultsError(f"--from {shown}: cannot read it: {e.strerror or e}") from None
    if len(raw) > MAX_RESULTS_BYTES:
        raise ResultsError(f"--from {shown}: too large (more than {MAX_RESULTS_BYTES:,} bytes)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ResultsError(f"--from {shown}: not UTF-8 (byte {e.start}: {raw[e.start:e.start + 1]!r})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ResultsError(f"--from {shown}: not JSON ({e.msg} at line {e.lineno})") from None
    except RecursionError:
        raise ResultsError(f"--from {shown}: not a results file (JSON nested too deeply)") from None
    except ValueError as e:          # e.g. an integer of more digits than Python converts
        raise ResultsError(f"--from {shown}: not JSON ({' '.join(str(e).split())[:120]})") from None


def load_results(path, *, ids=(), keyword: str | None = None, on_bad_record=None) -> tuple:
    """``(results, summary)`` from a JSON file written by ``check --format json``, selected like ``check``.

    A malformed claim record (see :func:`proofs.results.record_problem`, or an id seen before) is described
    in one line naming the file, the record and the field. Without ``on_bad_record`` the first one raises
    :class:`ResultsError` (with the count of the others); with it, each line is passed to it and the valid
    records are still returned."""
    from .. import selection
    from ..outcome import summarize
    from ..results import record_problem
    data = _read_json(path)
    shown = printable(path, 200)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("claims"), list):
        raise ResultsError(f"--from {shown}: not a derivcheck results file (expected schema {SCHEMA!r} with a "
                           f"'claims' list; write one with 'check --format json -o FILE')")
    claims, bad, seen = [], [], set()
    for i, c in enumerate(data["claims"]):
        problem = record_problem(c)
        if problem is None and c["id"] in seen:
            problem = "a second record with this id"
        if problem is not None:
            who = f" (claim {printable(c['id'])})" if isinstance(c, dict) and isinstance(c.get("id"), str) else ""
            bad.append(f"--from {shown}: claims[{i}]{who}: {problem}")
            continue
        seen.add(c["id"])
        claims.append(c)
    if bad and on_bad_record is None:
        raise ResultsError(bad[0] + (f" (and {len(bad) - 1} more malformed record{'s' * (len(bad) > 2)})"
                                     if len(bad) > 1 else ""))
    for line in bad:
        on_bad_record(line)
    saved = data.get("summary") if isinstance(data.get("summary"), dict) else {}
    errors = saved.get("errors")
    errors = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
    seed = saved.get("seed") if isinstance(saved.get("seed"), int) and not isinstance(saved.get("seed"), bool) else 0
    versions = saved.get("versions") if isinstance(saved.get("versions"), dict) else {}
    versions = {str(k): str(v) for k, v in versions.items() if isinstance(v, (str, int, float))}
    if ids or keyword:
        chosen, unknown = selection.select(claims, ids=list(ids), keyword=keyword)
        if unknown:
            raise ResultsError(f"--from {shown}: no saved result for " + ", ".join(unknown))
        claims = chosen
    summary = summarize(claims, errors=errors, seed=seed, versions=versions, seconds=0.0)
    summary["results_file"] = str(path)
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


def figures_folder(tex_path) -> Path:
    """Where the figures of the report ``tex_path`` go: ``<stem>-figures`` beside it, or, for a stem TeX could
    misread (anything but letters, digits, ``_`` and ``-``), ``<sanitised stem>-<digest of the stem>-figures``."""
    tex_path = Path(tex_path)
    stem = tex_path.stem
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,100}", stem):
        safe = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:60] or "report"
        stem = f"{safe}-{hashlib.sha256(stem.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    return tex_path.parent / f"{stem}-figures"


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def _manifest(folder: Path) -> dict:
    """``{file name: sha256}`` of the figures the tool wrote in ``folder`` (empty when absent or unreadable)."""
    from .figures import FILE_NAME
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    written = data.get("written") if isinstance(data, dict) else None
    if not isinstance(written, dict):
        return {}
    return {k: v for k, v in written.items() if isinstance(k, str) and FILE_NAME.fullmatch(k)
            and isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v)}


def _origin(r: dict, summary: dict | None) -> str:
    """Where a claim came from, for a warning: the results file, else the claim's own file."""
    origin = (summary or {}).get("results_file") or r.get("file") or (r.get("source") or {}).get("file") or "?"
    return printable(origin, 200)


def draw_figures(results: list, folder: Path, *, warn=None, summary: dict | None = None) -> dict:
    """Draw every witness figure into ``folder``; ``{(claim id, witness, k): path relative to the .tex}``.
    Removes the figures an earlier run wrote that this run does not draw (see the module invariants).
    Each figure not drawn gets one ``warn`` line naming the file (see :func:`_origin`), claim, witness and
    figure."""
    wanted = [(r, w.get("name", ""), k, fig) for r in results for w in r.get("witnesses") or []
              for k, fig in enumerate(w.get("figures") or [], start=1)]
    folder = Path(folder)
    old = _manifest(folder) if folder.is_dir() else {}
    if not wanted and not old:
        return {}
    from . import figures
    if wanted and not figures.available():
        if warn:
            warn(f"derivcheck: warning: {len(wanted)} figure(s) not drawn: matplotlib is not installed "
                 f"(pip install 'derivcheck[report]')")
        return {}
    out, written = {}, {}
    if wanted:
        folder.mkdir(parents=True, exist_ok=True)
    for r, wname, k, fig in wanted:
        cid = r["id"]
        name = figures.figure_file_name(cid, wname, k)
        target = folder / name
        where = f"derivcheck: warning: {_origin(r, summary)}: claim {printable(cid)}: witness {printable(wname)}: " \
                f"figure {k} not drawn"
        if (target.exists() or target.is_symlink()) and old.get(name) != _sha256(target):
            if warn:
                warn(f"{where}: {printable(str(target), 200)} exists and was not written by derivcheck (left as it is)")
            continue
        try:
            figures.render(fig, target)
        except ValueError as e:          # a malformed record: describe it, draw the others
            if warn:
                warn(f"{where}: {printable(' '.join(str(e).split()), 300, quote=False)}")
            continue
        written[name] = _sha256(target)
        out[(cid, wname, k)] = f"{folder.name}/{name}"
    for name, digest in old.items():     # figures an earlier run wrote and this one did not draw
        path = folder / name
        if name not in written and _sha256(path) == digest:
            try:
                path.unlink()
            except OSError:
                written[name] = digest       # still there: keep it listed
    if written or (folder / MANIFEST).exists():
        from ..atomic import write_atomically
        write_atomically(folder / MANIFEST, json.dumps({"written": dict(sorted(written.items()))}, indent=1) + "\n")
    return out


def _warn_unverified(results: list, summary: dict, warn) -> None:
    from . import document
    found = document.audit(results)
    by_id = {r.get("id"): r for r in results}
    for cid, field, why in found[:MAX_WARNINGS]:
        warn(f"derivcheck: warning: {_origin(by_id.get(cid) or {}, summary)}: claim {printable(cid)}: "
             f"{printable(field, 200, quote=False)}: not typeset as maths ({why}); shown as plain text")
    if len(found) > MAX_WARNINGS:
        warn(f"derivcheck: warning: {len(found) - MAX_WARNINGS} more maths field(s) shown as plain text")


def write_report(results: list, summary: dict, output, *, pdf: bool = False,
                 title: str = "derivcheck verification report", warn=None) -> list:
    """Write the report (and its figures, and with ``pdf`` the PDF); the paths written, in order."""
    from ..cache import atomic_write
    from . import document

    tex_path = Path(output)
    folder = figures_folder(tex_path)
    if warn:
        _warn_unverified(results, summary or {}, warn)
    try:
        figs = draw_figures(results, folder, warn=warn, summary=summary)
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
