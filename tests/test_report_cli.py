"""``derivcheck report``: options, errors, atomic writes, and the whole catalog compiled to a PDF."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from proofs.report import build
from proofs.report.compile import find_engine

ROOT = Path(__file__).resolve().parent.parent
NO_TEX = "no TeX engine (pdflatex/latexmk) installed: apt-get install texlive-latex-base " \
         "texlive-latex-recommended texlive-fonts-recommended lmodern latexmk"


def cli(*args, cwd=None, env_extra=None):
    env = dict(os.environ, **(env_extra or {}))
    env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, stdin=subprocess.DEVNULL)


def test_report_of_a_users_file(tmp_path):
    out = tmp_path / "mine.tex"
    proc = cli("report", str(ROOT / "examples" / "my_derivation.py"), "--no-cache", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text().replace(r"\allowbreak{}", "")
    assert r"example.ewa\_fixed\_point" in text
    assert "my-notes.tex" in text and r"\end{document}" in text
    assert f"wrote {out}" in proc.stdout


def test_missing_or_foreign_results_file_is_a_usage_error(tmp_path):
    proc = cli("report", "--from", str(tmp_path / "nope.json"), "-o", str(tmp_path / "r.tex"))
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"claims": 3}')
    proc = cli("report", "--from", str(bad), "-o", str(tmp_path / "r.tex"))
    assert proc.returncode == 2 and "not a derivcheck results file" in proc.stderr
    bad.write_text("{not json")
    proc = cli("report", "--from", str(bad), "-o", str(tmp_path / "r.tex"))
    assert proc.returncode == 2 and "not JSON" in proc.stderr
    assert not (tmp_path / "r.tex").exists()


def test_output_in_a_missing_folder_is_a_usage_error(tmp_path):
    proc = cli("report", "--from", str(tmp_path / "x.json"), "-o", str(tmp_path / "no" / "r.tex"))
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def _saved(tmp_path, ids=("gradient_averaging.means",)) -> Path:
    saved = tmp_path / "results.json"
    proc = cli("check", *ids, "--no-cache", "--format", "json", "-o", str(saved))
    assert proc.returncode == 0, proc.stderr
    return saved


def test_from_json_selects_with_ids_and_k(tmp_path):
    saved = _saved(tmp_path, ("gradient_averaging.means", "temperature"))
    out = tmp_path / "r.tex"
    assert cli("report", "--from", str(saved), "-k", "means", "-o", str(out)).returncode == 0
    text = out.read_text()
    assert "1 claims; 1 verdicts as expected" in text or "1 claim" in text
    assert "temperature" not in text.replace("Temperature", "")
    proc = cli("report", "--from", str(saved), "no.such.claim", "-o", str(out))
    assert proc.returncode == 2 and "no saved result for no.such.claim" in proc.stderr


def test_a_failed_render_leaves_the_previous_report_intact(tmp_path, monkeypatch):
    out = tmp_path / "r.tex"
    out.write_text("previous report\n")
    from proofs.report import document

    def boom(*a, **k):
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(document, "render", boom)
    with pytest.raises(RuntimeError):
        build.write_report([{"id": "x", "witnesses": []}], {}, out)
    assert out.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.tex"]      # no temporary file left behind


def test_stale_figures_are_removed_but_never_a_users_own_file(tmp_path):
    pytest.importorskip("matplotlib", reason="figures need matplotlib (pip install 'derivcheck[report]')")
    folder = tmp_path / "r-figures"
    folder.mkdir()
    (folder / "old-claim-w-1.pdf").write_bytes(b"%PDF a user's own file")      # not written by derivcheck
    fig = {"title": "t", "series": [{"label": "a", "x": [1, 2], "y": [3, 4], "style": "solid"}], "marks": []}
    first = [{"id": "c.one", "witnesses": [{"name": "w", "figures": [fig]}]}]
    paths = build.draw_figures(first, folder)
    [drawn] = paths.values()
    assert drawn.startswith("r-figures/c-one-w-") and (tmp_path / drawn).is_file()
    second = [{"id": "c.two", "witnesses": [{"name": "w", "figures": [fig]}]}]
    [again] = build.draw_figures(second, folder).values()
    assert not (tmp_path / drawn).exists() and (tmp_path / again).is_file()      # its own stale figure: removed
    assert (folder / "old-claim-w-1.pdf").read_bytes() == b"%PDF a user's own file"
    # a figure of the tool's that the user has since edited is the user's: kept
    (tmp_path / again).write_bytes(b"%PDF edited by hand")
    assert build.draw_figures([], folder) == {}
    assert (tmp_path / again).read_bytes() == b"%PDF edited by hand"


@pytest.mark.skipif(find_engine() is None, reason=NO_TEX)
def test_the_whole_catalog_compiles_to_a_pdf_with_every_claim_and_figure(tmp_path):
    out = tmp_path / "report.tex"
    proc = cli("report", "--pdf", "--no-cache", "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    pdf = out.with_suffix(".pdf")
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 100_000
    text = out.read_text()
    listed = json.loads(cli("list", "--format", "json").stdout)["claims"]
    flat = text.replace(r"\allowbreak{}", "").replace(r"\_", "_")
    missing = [c["id"] for c in listed if r"\texttt{" + c["id"] + "}" not in flat]
    assert not missing, missing
    figures = re.findall(r"\\includegraphics\[[^]]*\]\{([^}]*)\}", text)
    assert len(figures) >= 5
    assert all((tmp_path / f).exists() for f in figures)
    assert "Figure not drawn" not in text
    log = out.with_suffix(".log").read_text(errors="replace")
    assert "Output written on report.pdf" in log
    assert not re.search(r"^!|^\S+\.tex:\d+: ", log, re.M), "errors in the TeX log"
    pages = re.search(r"Output written on report\.pdf \((\d+) pages", log)
    assert pages and int(pages.group(1)) > 10
    assert "Rerun to get" not in log and "undefined" not in log
    _read_as_a_reader_would(pdf, tmp_path, int(pages.group(1)), text)


# what today's report must never show a reader again (issue 11): symbols printed with their ASCII names or a
# double subscript, a topic's acronym in title case, a definition's label with the bracket closing early
RAW = ("DeltaPhik", "\u03a3DeltaP", "Sigma_DeltaPhi[k", "def Sigma_DeltaPhi", "Sgd", "\\item",
       # the derivations' rules, whys and notes in ASCII pseudo-maths (now $...$ maths); pdftotext reads a ^ of
       # text as U+02C6, so "theta\u02c6t" is the old "theta^t"
       "Sigma_DeltaPhi", "sum_i alpha_i", "ghat_i", "Cov(ghat_i", "E_Pop", "grad_beta", "eta_0 / (1 + t)",
       "theta\u02c6t", "theta\u02c6{t", "g~\u02c6t", "sigma\u02c62/B", "beta1\u02c6(t-1)", "(1 - 1/N)\u02c6(t",
       "eps\u02c62", "||Delta w||", "dL/dy_i", "dE/dw", "sgn(w_1)", "Delta w_2\u02c6(t)", "alpha\u02c6{t+1}",
       "sum_b", "sum_j", "sum_k rho", "E_{DeltaPhi", "DeltaPhi\u02c6T", "dPhi/ds", "Phi_{t+1}", "1/(1-rho)",
       "rho\u02c6{1/(1-rho)}", "eta ghat", "P(gt_i", "x_{t-n}")


def _read_as_a_reader_would(pdf, tmp_path, pages: int, tex_source: str) -> None:
    """Every page renders; the errata begin within the first three pages; the metadata names the report; no
    raw identifier of the list above is in the text; no plot is drawn twice."""
    import shutil
    if not all(shutil.which(t) for t in ("pdftoppm", "pdftotext", "pdfinfo")):
        pytest.skip("poppler-utils (pdftoppm, pdftotext, pdfinfo) is not installed: apt-get install poppler-utils")
    png = tmp_path / "pages"
    png.mkdir()
    subprocess.run(["pdftoppm", "-r", "12", "-png", str(pdf), str(png / "p")], check=True, timeout=600)
    assert len(list(png.glob("p-*.png"))) == pages
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Title:\s+derivcheck verification report$", info, re.M), info
    assert re.search(r"^Subject:\s+\d+ claims from \d+ sources$", info, re.M), info
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "3", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert re.search(r"^\f?1\s+Errata\s*$", first, re.M) and "Each refuted claim" in first, "errata after page 3"
    whole = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = [raw for raw in RAW if raw in whole]
    assert not found, found
    drawn = re.findall(r"\\includegraphics\[[^]]*\]\{([^}]*)\}", tex_source)
    assert len(drawn) == len(set(drawn))
    assert "its own run is not drawn again" in tex_source        # the two finite-difference claims share a plot


def test_a_malformed_figure_record_is_described_and_the_others_drawn(tmp_path):
    pytest.importorskip("matplotlib", reason="figures need matplotlib (pip install 'derivcheck[report]')")
    good = {"title": "good", "series": [{"label": "a", "x": [1, 2], "y": [3, 4], "style": "solid"}], "marks": []}
    bad = {"title": "bad", "yscale": "log", "series": [{"label": "a", "x": [1, 2], "y": [-3, 4],
                                                        "style": "solid"}], "marks": []}
    res = [{"id": "c.one", "witnesses": [{"name": "w", "figures": [bad, good]}]}]
    warnings = []
    paths = build.draw_figures(res, tmp_path / "r-figures", warn=warnings.append)
    assert list(paths) == [("c.one", "w", 2)]
    assert len(warnings) == 1 and "figure 1 not drawn" in warnings[0]
