"""`derivcheck audit` from the command line: formats, exit codes, declarations files, timeouts, and the report
re-rendered from an audit's JSON (the author's TeX never reaches it)."""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from proofs.report.compile import find_engine

ROOT = Path(__file__).resolve().parent.parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"


def _cli(*args, cwd=None, timeout=300):
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_exit_0_when_nothing_is_refuted_and_1_when_a_line_is():
    assert _cli("audit", CORPUS / "ema_bias.md").returncode == 0
    bad = _cli("audit", CORPUS / "ema_bias_wrong.md")
    assert bad.returncode == 1 and "ema_bias_wrong.md:12: ✗ refuted" in bad.stdout


def test_missing_file_is_exit_2_and_the_others_are_still_audited(tmp_path):
    p = _cli("audit", tmp_path / "nope.md", CORPUS / "ema_bias_wrong.md")
    assert p.returncode == 2 and "nope.md: no such file" in p.stderr
    assert "ema_bias_wrong.md:12" in p.stdout


def test_unsupported_suffix_is_a_usage_error(tmp_path):
    f = tmp_path / "notes.docx"
    f.write_text("x")
    p = _cli("audit", f)
    assert p.returncode == 2 and "not a .md, .txt, .tex or .ipynb file" in p.stderr


def test_no_display_is_exit_5(tmp_path):
    f = tmp_path / "prose.md"
    f.write_text("Only words here, and $x$ inline.\n")
    p = _cli("audit", f)
    assert p.returncode == 5 and "no displays" in p.stderr


def test_json_has_each_pair_with_its_verdict_and_1_based_line():
    p = _cli("audit", CORPUS / "variance_limit.tex", "--format", "json")
    data = json.loads(p.stdout)
    pairs = data["documents"][0]["pairs"]
    assert [(x["line"], x["verdict"]) for x in pairs] == [(10, "not checked"), (15, "proved"), (16, "proved"),
                                                           (17, "proved"), (18, "proved")]
    assert data["summary"]["counts"]["proved"] == 4


def test_junit_is_one_case_per_pair_and_a_failure_per_refuted_pair():
    p = _cli("audit", CORPUS / "weight_decay_wrong.md", "--format", "junit")
    suite = ET.fromstring(p.stdout)
    cases = suite.findall("testcase")
    assert len(cases) == 2 and len(suite.findall("testcase/failure")) == 1


def test_markdown_summary_table(tmp_path):
    out = tmp_path / "summary.md"
    p = _cli("audit", CORPUS / "weight_decay_wrong.md", CORPUS / "weight_decay.md", "--format", "markdown",
             "-o", out)
    text = out.read_text()
    assert p.returncode == 1 and "| file | lines read |" in text and "weight_decay_wrong.md:5" in text


def test_a_declarations_file_for_a_document_one_cannot_edit(tmp_path):
    doc = tmp_path / "handout.md"
    doc.write_text("$$y = (1 + x)^2 = 1 + 2x + x^2$$\n\n$$\\mathcal{L}(2a) - \\mathcal{L}(a) = \\mathcal{L}(a)$$\n")
    side = tmp_path / "decl.toml"
    side.write_text('declare = ["function \\\\mathcal{L}"]\n')
    p = _cli("audit", doc, "--declare", side, "--format", "json")
    pairs = json.loads(p.stdout)["documents"][0]["pairs"]
    assert [x["verdict"] for x in pairs][-1] == "refuted"
    found = tmp_path / "handout.md.derivcheck.toml"          # found by the document's name, no flag
    found.write_text(side.read_text())
    again = json.loads(_cli("audit", doc, "--format", "json").stdout)["documents"][0]["pairs"]
    assert again[-1]["verdict"] == "refuted"


def test_a_bad_declarations_file_is_one_line_and_exit_2(tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("$$a = a$$\n")
    side = tmp_path / "bad.toml"
    side.write_text("declare = [1, 2\n")
    p = _cli("audit", doc, "--declare", side)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "bad.toml" in p.stderr


def test_a_pair_over_its_time_is_a_timeout_and_the_rest_is_reported(tmp_path):
    doc = tmp_path / "slow.md"
    doc.write_text("$$(a+b+c+d)^{40} - (a-b+c-d)^{40} = \\left((a+b+c+d)^{20} - (a-b+c-d)^{20}\\right)"
                   "\\left((a+b+c+d)^{20} + (a-b+c-d)^{20}\\right)$$\n\n$$a + a = 2a$$\n")
    p = _cli("audit", doc, "--timeout", "1", "--format", "json")
    pairs = json.loads(p.stdout)["documents"][0]["pairs"]
    assert [x["verdict"] for x in pairs] == ["timeout", "proved"], pairs
    assert p.returncode == 1


def test_report_from_audit_json_shows_lines_as_read_never_the_authors_tex(tmp_path):
    doc = tmp_path / "student.md"
    doc.write_text("$$(a+b)^2 = a^2 + b^2$$\n\n$$\\input{/etc/passwd} = 1$$\n\n"
                   "$$x = \\pdfobj file {/etc/passwd} \\pdfrefobj\\pdflastobj$$\n")
    results = tmp_path / "audit.json"
    _cli("audit", doc, "--format", "json", "-o", results)
    tex = tmp_path / "audit.tex"
    p = _cli("report", "--from", results, "-o", tex, cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    text = tex.read_text()
    assert "\\input{" not in text and "\\pdfobj file" not in text and "root:" not in text
    assert "\\dcrefuted" in text and "Counterexample" in text


@pytest.mark.skipif(find_engine() is None, reason="no TeX engine")
def test_report_from_audit_json_compiles(tmp_path):
    results = tmp_path / "audit.json"
    _cli("audit", CORPUS / "variance_limit_wrong.tex", CORPUS / "weight_decay.md", "--format", "json", "-o", results)
    p = _cli("report", "--from", results, "-o", tmp_path / "audit.tex", "--pdf", cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert (tmp_path / "audit.pdf").stat().st_size > 1000


def test_a_malformed_audit_record_is_one_line_and_the_rest_is_rendered(tmp_path):
    results = tmp_path / "audit.json"
    _cli("audit", CORPUS / "weight_decay.md", "--format", "json", "-o", results)
    data = json.loads(results.read_text())
    data["documents"].append({"file": "x.md", "pairs": [{"file": "x.md", "line": "7", "display_line": 1,
                                                         "verdict": "proved"}]})
    results.write_text(json.dumps(data))
    p = _cli("report", "--from", results, "-o", tmp_path / "a.tex", cwd=tmp_path)
    assert p.returncode == 2 and "documents[1]: pairs[0].line is not an integer" in p.stderr
    assert (tmp_path / "a.tex").exists()
