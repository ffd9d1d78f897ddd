"""Issue 9, "data is never TeX": a results file passed to ``report --from`` is data, whatever it holds.

The corpus: each injection payload (``\\input``, ``\\include``, ``\\openin``, ``\\pdfobj file``, ``\\pdfximage``,
``\\write18``, ``\\catcode``, ``^^5c``, ``\\csname``, a ``\\def`` loop) in each maths field (statement, given,
step, both sides and the operator of a step, residual, figure title and caption in ``$...$``) and in text
fields (title, reading, note, step detail, witness detail, a given's label, a counterexample's value): one
test per (payload, field). The payloads name a temporary "secret" file holding a random marker. All cases
sit in one results file, rendered and compiled once (``report --from ... --pdf``, a real pdflatex when
installed); each test asserts on its own claim: exit 0, the payload's control sequences appear in its
section only escaped (``\\textbackslash{}input``), never as TeX, no ``^^`` anywhere, a one-line warning
naming the file, the claim and the field for each maths field, the secret's marker in no byte of the PDF
(raw, zlib-inflated streams, pdftotext), no file written by ``\\write18``, and the compile over in well under
the time limit (a ``\\def`` loop that ran would hang it).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from proofs.report import tex
from proofs.results import SCHEMA

ROOT = Path(__file__).resolve().parents[2]
HAVE_TEX = shutil.which("pdflatex") is not None
NO_TEX = "pdflatex is not installed: the .tex was checked, the compile part is skipped"
WARNING = re.compile(r"^derivcheck: warning: '(?P<file>[^']*)': claim '(?P<claim>[^']*)': (?P<field>[^:]+): "
                     r"not typeset as maths \((?P<why>.+)\); shown as plain text$")


# -- helpers shared with test_report_inputs.py ---------------------------------------------------

def run_cli(*args, cwd, timeout: float = 120):
    """``python cli.py ARGS`` in ``cwd``: ``(completed process, seconds)``."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("SOURCE_DATE_EPOCH", None)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return proc, time.monotonic() - t0


def claim(cid: str, **over) -> dict:
    """A well-formed proved claim record with one step, as ``check --format json`` writes it."""
    record = {"id": cid, "title": f"case {cid}", "topic": "hostile", "source": {"file": "hostile.py", "locator": "l. 1"},
              "also": [], "statement": "x equals x", "statement_latex": "x = x", "verdict": "proved",
              "expected": "proved", "message": "", "reading": "", "loud": "", "givens": [], "assuming": [],
              "notes": [], "file": "hostile.py", "seconds": 0.0, "cached": False, "first_failing_step": None,
              "result_verdict": None, "counterexample": None, "corrects": None, "witnesses": [],
              "steps": [{"index": 1, "rule": "algebra", "why": "by algebra", "relation": "x = x", "latex": "x = x",
                         "verdict": "proved", "detail": "", "stage": "", "residual": None, "counterexample": None,
                         "conditions": [], "premises": [], "label": "", "seconds": 0.0, "sides": [["x", "=", "x"]]}]}
    record.update(over)
    return record


def figure(title: str = "a figure", caption: str = "") -> dict:
    return {"title": title, "caption": caption, "xlabel": "n", "ylabel": "y", "xscale": "linear", "yscale": "linear",
            "equal_aspect": False, "marks": [],
            "series": [{"label": "a", "style": "solid", "x": [1.0, 2.0, 3.0], "y": [1.0, 4.0, 9.0]}]}


def witness(name: str = "w", *, detail: str = "agrees", figures=()) -> dict:
    return {"kind": "monte-carlo", "name": name, "verdict": "agrees", "observed": "holds", "detail": detail,
            "method": "", "n": 10, "estimate": None, "se": None, "predicted": None, "seconds": 0.0,
            "figures": list(figures)}


def write_results(path: Path, claims: list, summary: dict | None = None) -> Path:
    path.write_text(json.dumps({"schema": SCHEMA, "claims": claims,
                                "summary": summary or {"seed": 0, "versions": {"derivcheck": "test"}, "errors": []}}))
    return path


def pdf_bytes_and_text(pdf: Path) -> tuple:
    """Every byte a PDF could show a secret in: the raw file, each stream inflated, and pdftotext's text."""
    raw = pdf.read_bytes()
    chunks = [raw]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", raw, re.S):
        try:
            chunks.append(zlib.decompress(m.group(1)))
        except zlib.error:
            pass
    text = ""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-q", str(pdf), "-"], capture_output=True, text=True,
                              errors="replace", timeout=60).stdout
    return b"\n".join(chunks), text


def sections_of(text: str, cid: str) -> str:
    """The parts of the document (split at subsections) that belong to claim ``cid``."""
    keys = (tex.label("claim", cid), tex.label("erratum", cid))
    parts = text.split(r"\subsection{")
    return "\n".join(p for p in parts if any(r"\label{" + k + "}" in p for k in keys))


def body_of(text: str) -> str:
    return text.split(r"\begin{document}", 1)[1]


# -- the corpus ----------------------------------------------------------------------------------

SECRET_MARKER = "DCSECRET" + secrets.token_hex(12).upper()


def payloads(secret: str, pwned: str) -> dict:
    """name -> (payload, the control words it must never reach TeX as)."""
    return {
        "input": (rf"\input{{{secret}}}", ["input"]),
        "include": (rf"\include{{{secret[:-4]}}}", ["include"]),
        "openin": (rf"\newread\r \openin\r={secret} \read\r to\x \x", ["openin", "read", "newread"]),
        "pdfobj": (rf"\immediate\pdfobj file {{{secret}}}\pdfrefobj\pdflastobj", ["pdfobj", "immediate"]),
        "pdfximage": (rf"\pdfximage{{{secret}}}\pdfrefximage\pdflastximage", ["pdfximage"]),
        "write18": (rf"\immediate\write18{{touch {pwned}}}", ["write", "immediate"]),
        "catcode": (r"\catcode`\{=12 \catcode`\}=12 x", ["catcode"]),
        "hathat": (rf"^^5cinput{{{secret}}}", []),
        "csname": (rf"\csname input\endcsname{{{secret}}}", ["csname", "endcsname"]),
        "defloop": (r"\def\x{\x}\x", ["def"]),
    }


def _with_step(**over) -> list:
    return [dict(claim("_")["steps"][0], **over)]


# field -> (is maths, the warning's field name or None, how to put the payload in a claim record)
FIELDS = {
    "statement_latex": (True, "statement_latex", lambda p: {"statement_latex": p}),
    "given_latex": (True, "given 1 latex", lambda p: {"givens": [{"label": "g", "kind": "premise",
                                                                   "relation": "r", "latex": p, "why": "why"}]}),
    "step_latex": (True, "step 1 latex", lambda p: {"steps": _with_step(latex=p, sides=[])}),
    "side_lhs": (True, "step 1 sides[1] left side", lambda p: {"steps": _with_step(sides=[[p, "=", "x"]])}),
    "side_op": (True, "step 1 sides[1] operator", lambda p: {"steps": _with_step(sides=[["x", p, "x"]])}),
    "side_rhs": (True, "step 1 sides[1] right side", lambda p: {"steps": _with_step(sides=[["x", "=", p]])}),
    "residual": (True, "step 1 residual", lambda p: {"steps": _with_step(residual=p)}),
    "figure_title": (True, "witness w figure 1 title",
                     lambda p: {"witnesses": [witness(figures=[figure(title=f"t ${p}$")])]}),
    "figure_caption": (True, "witness w figure 1 caption",
                       lambda p: {"witnesses": [witness(figures=[figure(caption=f"c ${p}$ end")])]}),
    "title": (False, None, lambda p: {"title": p}),
    "reading": (False, None, lambda p: {"reading": p}),
    "note": (False, None, lambda p: {"notes": [p]}),
    "step_detail": (False, None, lambda p: {"steps": _with_step(verdict="unproved", detail=p)}),
    "witness_detail": (False, None, lambda p: {"witnesses": [witness(detail=p)]}),
    "given_label": (False, None, lambda p: {"givens": [{"label": p, "kind": "premise", "relation": "r",
                                                        "latex": "x > 0", "why": "why"}]}),
    "counterexample": (False, None, lambda p: {
        "verdict": "refuted", "expected": "refuted", "first_failing_step": 1,
        "steps": _with_step(verdict="refuted", counterexample={"point": {"x": p}, "lhs": p, "rhs": "1",
                                                               "arithmetic": "exact rational", "relation": "!="})}),
}
PAYLOAD_NAMES = list(payloads("/s.txt", "/p"))
CASES = [(p, f) for p in PAYLOAD_NAMES for f in FIELDS]


def case_id(payload: str, field: str) -> str:
    return f"inj.{payload}.{field}"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """Every case in one results file, rendered (and compiled when pdflatex is installed) once."""
    work = tmp_path_factory.mktemp("injection")
    secret = work / "secret.txt"
    secret.write_text(f"root:x:0:0:{SECRET_MARKER}:/root:/bin/sh\n")
    pwned = work / "pwned"
    table = payloads(str(secret), str(pwned))
    claims = [claim(case_id(p, f), **FIELDS[f][2](table[p][0])) for p, f in CASES]
    results = write_results(work / "inj.json", claims)
    out = work / "report.tex"
    proc, seconds = run_cli("report", "--from", results, "-o", out, *(["--pdf"] if HAVE_TEX else []), cwd=work)
    return {"work": work, "proc": proc, "seconds": seconds, "tex": out.read_text() if out.exists() else "",
            "pdf": out.with_suffix(".pdf"), "results": results, "pwned": pwned, "table": table,
            "warnings": proc.stderr.splitlines()}


@pytest.fixture(scope="module")
def pdf_content(compiled):
    if not HAVE_TEX or not compiled["pdf"].is_file():
        return None
    return pdf_bytes_and_text(compiled["pdf"])


@pytest.mark.parametrize("payload,field", CASES, ids=[f"{p}-in-{f}" for p, f in CASES])
def test_payload_is_never_tex(compiled, pdf_content, payload, field):
    proc = compiled["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    cid = case_id(payload, field)
    text = compiled["tex"]
    assert "^^" not in text
    part = sections_of(text, cid)
    assert part, f"no section for {cid}"
    words = compiled["table"][payload][1]
    for word in words:      # the control word is in the section only as text: \textbackslash{}word
        assert not re.search(r"\\" + word + r"(?![A-Za-z])", part), (word, part[:2000])
        assert r"\textbackslash{}" + word in part, (word, part[:2000])
    if payload == "hathat":
        assert r"\^{}\^{}5cinput" in part
    is_maths, wfield, _ = FIELDS[field]
    if is_maths:            # one warning line naming the file, the claim and the field
        mine = [m for m in map(WARNING.match, compiled["warnings"]) if m and m["claim"] == cid]
        assert len(mine) == 1, [w for w in compiled["warnings"] if cid in w]
        assert mine[0]["file"] == str(compiled["results"]) and mine[0]["field"] == wfield
        assert "not typeset" in part
    assert not compiled["pwned"].exists()
    if not HAVE_TEX:
        pytest.skip(NO_TEX)
    assert compiled["seconds"] < 90, compiled["seconds"]            # a \def loop that ran would hang here
    raw, shown = pdf_content
    assert SECRET_MARKER.encode() not in raw and SECRET_MARKER not in shown
    assert "root:x:0:0" not in shown


def test_every_warning_is_one_line_of_the_documented_shape(compiled):
    lines = [w for w in compiled["warnings"] if "not typeset as maths" in w]
    assert len(lines) == sum(1 for _, f in CASES if FIELDS[f][0])
    assert all(WARNING.match(w) for w in lines), [w for w in lines if not WARNING.match(w)][:3]


@pytest.mark.skipif(not HAVE_TEX, reason=NO_TEX)
def test_the_detector_sees_a_secret_that_did_reach_the_pdf(tmp_path):
    """The check above is not vacuous: the same raw payload, put in a document by hand, puts the marker in
    the PDF, and pdf_bytes_and_text finds it (paranoid openin_any does not stop \\pdfobj file)."""
    from proofs.report.compile import compile_pdf
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_MARKER + "\n")
    doc = tmp_path / "raw.tex"
    doc.write_text("\\documentclass{article}\\begin{document}x\\immediate\\pdfobj file {" + str(secret)
                   + "}\\pdfrefobj\\pdflastobj\\end{document}\n")
    compile_pdf(doc, tmp_path / "raw.pdf", timeout=60)
    raw, _ = pdf_bytes_and_text(tmp_path / "raw.pdf")
    assert SECRET_MARKER.encode() in raw


@pytest.mark.skipif(not HAVE_TEX, reason=NO_TEX)
def test_the_report_preamble_disables_pdfobj_as_a_second_defence(tmp_path):
    """Even TeX that got past verification could not read a file with \\pdfobj: the preamble disables it."""
    from proofs.report import document
    from proofs.report.compile import compile_pdf
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET_MARKER + "\n")
    doc = tmp_path / "pre.tex"
    doc.write_text(document.PREAMBLE + "\\begin{document}x\\immediate\\pdfobj file {\\detokenize{" + str(secret)
                   + "}}\\end{document}\n")
    compile_pdf(doc, tmp_path / "pre.pdf", timeout=60)
    raw, _ = pdf_bytes_and_text(tmp_path / "pre.pdf")
    assert SECRET_MARKER.encode() not in raw
