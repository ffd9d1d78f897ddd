r"""The LaTeX report of an audit: each document's checked lines with a mark beside each, the counterexample
beneath the first wrong line of each display.

Data is never TeX (as in :mod:`proofs.report.document`): each line is shown *re-rendered* from its parsed
form (``left_latex``/``right_latex``, printed by SymPy from our own parse, and verified by
:func:`proofs.report.tex.math` against the vocabulary the tool prints) -- never the author's LaTeX, which is
shown only as escaped typewriter text. A student's ``\input{..}`` or ``\pdfobj file {..}`` is therefore
typeset as characters, or was an unknown command the grammar refused.

A results file read back (``report --from audit.json``) is validated record by record
(:func:`record_problem`); a malformed record is one line naming the file, the document and the field.
"""
from __future__ import annotations

from ..report import tex
from ..report.document import PREAMBLE, _fold

MARKS = {"proved": r"\dcproved", "refuted": r"\dcrefuted", "unproved": r"\dcunproved",
         "not checked": r"\dcnotcheckable", "error": r"\dcerror", "timeout": r"\dcerror"}
RELATIONS = {"=": "=", "!=": r"\neq", "<": "<", ">": ">", "<=": r"\le", ">=": r"\ge", "approx": r"\approx",
             "propto": r"\propto", "ll": r"\ll", "gg": r"\gg", "equiv": r"\equiv", "to": r"\to"}
FORMAT = "derivcheck-audit/1"
_PAIR_FIELDS = {"file": str, "line": int, "display_line": int, "verdict": str}
_PAIR_TEXT = ("relation", "left", "right", "left_latex", "right_latex", "written", "how", "detail", "residual")


def record_problem(doc) -> str | None:
    """Why a document record of an audit results file cannot be rendered (None when it can)."""
    from .results import PAIR_VERDICTS
    if not isinstance(doc, dict):
        return "not an object"
    if not isinstance(doc.get("file"), str):
        return "'file' is not a string"
    if not isinstance(doc.get("pairs"), list):
        return "'pairs' is not a list"
    for i, p in enumerate(doc["pairs"]):
        if not isinstance(p, dict):
            return f"pairs[{i}] is not an object"
        for k, t in _PAIR_FIELDS.items():
            v = p.get(k)
            if not isinstance(v, t) or isinstance(v, bool):
                return f"pairs[{i}].{k} is not a{'n integer' if t is int else ' string'}"
        if p["verdict"] not in PAIR_VERDICTS:
            return f"pairs[{i}].verdict {tex.code(p['verdict'])[:40]!s} is not a verdict"
        for k in _PAIR_TEXT:
            if k in p and p[k] is not None and not isinstance(p[k], str):
                return f"pairs[{i}].{k} is not a string"
        cx = p.get("counterexample")
        if cx is not None and (not isinstance(cx, dict) or not isinstance(cx.get("point", {}), dict)):
            return f"pairs[{i}].counterexample is not an object with a 'point' object"
    return None


def _pair_maths(p: dict) -> str:
    left, right = p.get("left_latex") or "", p.get("right_latex") or ""
    rel = RELATIONS.get(p.get("relation") or "", None)
    if not left or not right or rel is None:
        return ""
    for s in (left, right):
        if tex.check_math(s) is not None:          # not what the tool prints: shown as text
            return tex.code(f"{p.get('left', '')} {p.get('relation', '')} {p.get('right', '')}")
    return "$" + tex.math(left) + " " + rel + " " + tex.math(right) + "$"


def _point(cx: dict) -> str:
    pt = cx.get("point") or {}
    items = [tex.code(str(k)) + " $=$ " + tex.code(str(v)) for k, v in list(pt.items())[:30]]
    return ", ".join(items)


def _pair_rows(doc: dict) -> list:
    out = [r"\begin{longtable}{@{}p{0.05\linewidth}p{0.09\linewidth}p{0.80\linewidth}@{}}"]
    firsts = set()
    for p in doc["pairs"]:
        if p["verdict"] == "refuted" and p["display_line"] not in firsts:
            firsts.add(p["display_line"])
            p = dict(p, _first=True)
        shown = _pair_maths(p) or tex.code(p.get("written", ""))
        how = p.get("how") or ""
        words = tex.text(p["verdict"] + (f" ({how})" if how and p["verdict"] != "refuted" else ""))
        out.append(MARKS.get(p["verdict"], r"\dcunproved") + " & " + tex.text(f"line {p['line']}") + " & "
                   + shown + r" \newline {\small " + words + "}")
        out.append(r"\\")
        if p["verdict"] == "refuted" and p.get("_first"):
            cx = p.get("counterexample") or {}
            extra = []
            if cx:
                extra.append(r"\emph{Counterexample:} " + _point(cx))
                if cx.get("lhs") is not None:
                    extra.append("left side " + tex.code(str(cx.get("lhs"))) + ", right side "
                                 + tex.code(str(cx.get("rhs"))))
            if p.get("how"):
                extra.append(tex.text(p["how"]))
            out.append(r" & & {\small " + r"\newline ".join(extra) + r"}\\")
        elif p["verdict"] in ("unproved", "error", "timeout") and p.get("detail"):
            out.append(r" & & {\small " + tex.text(p["detail"], 600) + r"}\\")
        out.append(r"\midrule[0.1pt]")
    out.append(r"\end{longtable}")
    return out


def render(docs: list, *, title: str = "derivcheck audit") -> str:
    from .render import ORDER
    out = [PREAMBLE.rstrip("\n"), r"\title{" + tex.text(title) + "}", r"\date{}", r"\begin{document}",
           r"\maketitle"]
    out += [r"\begin{tabular}{l" + "r" * (len(ORDER) + 1) + "}", r"\toprule",
            "document & lines read & " + " & ".join(tex.text(v) for v in ORDER) + r"\\", r"\midrule"]
    for d in docs:
        counts = {v: sum(1 for p in d["pairs"] if p["verdict"] == v) for v in ORDER}
        out.append(tex.code(d["file"]) + " & " + tex.text(f"{d.get('rows_parsed', 0)}/{d.get('rows', 0)}") + " & "
                   + " & ".join(str(counts[v]) for v in ORDER) + r"\\")
    out += [r"\bottomrule", r"\end{tabular}", "",
            r"Marks: \dcproved{} proved, \dcrefuted{} refuted, \dcunproved{} unproved, \dcnotcheckable{} not "
            r"checked, \dcerror{} error or timeout. Each line is shown as derivcheck read it (re-rendered from its "
            r"parsed form), not as written."]
    for d in docs:
        out += [r"\section{" + tex.text(d["file"]) + "}"]
        if d.get("error"):
            out.append(r"\dcerror{} " + tex.text(d["error"]))
        for prob in (d.get("problems") or [])[:50]:
            out.append(r"\dcerror{} " + tex.text(str(prob)) + r"\par")
        if d["pairs"]:
            out += _pair_rows(d)
    out += [r"\end{document}", ""]
    doc = "\n".join(_fold(line) for line in out)
    if "^^" in doc:  # pragma: no cover - a last guard, as in the claims report
        raise RuntimeError("the report would contain '^^'")
    return doc


def load(data, path: str) -> tuple[list, list]:
    """``(documents, problems)`` from a parsed audit results file; a malformed document record is a problem
    line and is left out."""
    from ..report.build import printable
    shown = printable(path, 200)
    docs, problems = [], []
    records = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(records, list):
        return [], [f"--from {shown}: not an audit results file (expected a 'documents' list)"]
    for i, d in enumerate(records):
        why = record_problem(d)
        if why:
            problems.append(f"--from {shown}: documents[{i}]: {why}")
        else:
            docs.append(d)
    return docs, problems


def write(docs: list, output, *, pdf: bool = False, title: str = "derivcheck audit") -> list:
    """Write the report (and with ``pdf`` compile it); the paths written."""
    from pathlib import Path

    from ..cache import atomic_write
    from ..report.build import ReportError
    tex_path = Path(output)
    try:
        atomic_write(str(tex_path), render(docs, title=title))
    except OSError as e:
        raise ReportError(f"cannot write {e.filename or tex_path}: {e.strerror or e}") from None
    written = [str(tex_path)]
    if pdf:
        from ..report import compile as tex_compile
        pdf_path = tex_path.with_suffix(".pdf")
        try:
            done = tex_compile.compile_pdf(tex_path, pdf_path)
        except tex_compile.CompileError as e:
            raise ReportError(str(e)) from None
        written.append(f"{pdf_path} ({done.summary()}; log {done.log_path})")
    return written
