"""The TeX compile step (proofs/report/compile.py): PDFs appear whole or not at all, no shell escape,
no endless waits, and a clear message when no engine is installed."""
import stat
import struct
import time
import zlib
from pathlib import Path

import pytest

from proofs.report.compile import (DEBIAN_PACKAGES, CompileError, NoTexEngine, TexError, TexTimeout,
                                   compile_pdf, find_engine)

NO_ENGINE = ("no TeX engine (pdflatex/latexmk) installed: apt-get install " + " ".join(DEBIAN_PACKAGES))


@pytest.fixture(params=["pdflatex", "latexmk"])
def engine(request, monkeypatch):
    """Each real engine in turn, forced through DERIVCHECK_TEX; skips only if it is not installed."""
    monkeypatch.delenv("DERIVCHECK_TEX", raising=False)
    any_engine = find_engine()
    monkeypatch.setenv("DERIVCHECK_TEX", request.param)
    if find_engine() is None:
        pytest.skip(NO_ENGINE if any_engine is None else f"{request.param} is not installed (the other engine is)")
    return request.param


def _doc(body, preamble=""):
    return "\\documentclass{article}\n" + preamble + "\\begin{document}\n" + body + "\n\\end{document}\n"


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _png(path):
    """A 1x1 grey PNG, enough for \\includegraphics."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def _fake_engine(tmp_path, script, name="pdflatex"):
    path = tmp_path / "bin" / name
    _write(path, "#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_small_document_compiles_with_its_pages_and_table_of_contents(engine, tmp_path):
    tex = _write(tmp_path / "report.tex", _doc(
        "\\tableofcontents\n\\section{One}\\label{one} See Section~\\ref{one}.\n\\newpage\n"
        "\\section{Two}\n\\newpage\n\\section{Three}",
        preamble="\\usepackage[T1]{fontenc}\\usepackage{lmodern}\\usepackage{amsmath,booktabs}\\usepackage{hyperref}\n"))
    result = compile_pdf(tex, tmp_path / "report.pdf", timeout=120)
    assert result.engine.kind == engine
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert result.pages == 3
    assert result.log_path == tmp_path / "report.log" and result.log_path.read_text() == result.log
    assert "No file report.toc" not in result.log and "Rerun to get" not in result.log  # the TOC settled
    assert result.warnings == 0 and result.overfull == 0
    assert "3 pages" in result.summary()
    assert result.runs == (2 if engine == "pdflatex" else 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.log", "report.pdf", "report.tex"]


def test_forward_references_are_resolved_by_a_rerun(engine, tmp_path):
    tex = _write(tmp_path / "r.tex", _doc("See page~\\pageref{later}.\n\\newpage\nHere.\\label{later}"))
    result = compile_pdf(tex, tmp_path / "r.pdf", timeout=120)
    assert "undefined" not in result.log and "Rerun to get" not in result.log and result.warnings == 0


def test_tiny_document_needs_one_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVCHECK_TEX", "pdflatex")
    if find_engine() is None:
        pytest.skip(NO_ENGINE)
    result = compile_pdf(_write(tmp_path / "r.tex", _doc("Hello.")), tmp_path / "r.pdf", timeout=120)
    assert (result.runs, result.pages) == (1, 1)


def test_assets_are_copied_beside_the_document(engine, tmp_path):
    _png(tmp_path / "figures" / "dot.png")
    _write(tmp_path / "parts" / "intro.tex", "Introduction text.\n")
    tex = _write(tmp_path / "r.tex", _doc("\\input{parts/intro}\n\\includegraphics[width=1cm]{figures/dot.png}",
                                          preamble="\\usepackage{graphicx}\n"))
    with pytest.raises(TexError, match="r.tex:4"):  # without the assets, the \input fails
        compile_pdf(tex, tmp_path / "r.pdf", timeout=120)
    result = compile_pdf(tex, tmp_path / "r.pdf", assets=["figures", Path("parts/intro.tex")], timeout=120)
    assert result.pages == 1


def test_assets_must_stay_inside_the_documents_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVCHECK_TEX", str(_fake_engine(tmp_path, "exit 0\n")))
    tex = _write(tmp_path / "r.tex", _doc("x"))
    with pytest.raises(CompileError, match="inside"):
        compile_pdf(tex, tmp_path / "r.pdf", assets=["../etc"])
    with pytest.raises(CompileError, match="asset not found"):
        compile_pdf(tex, tmp_path / "r.pdf", assets=["figures"])


def test_undefined_control_sequence_names_the_line_and_leaves_no_pdf(engine, tmp_path):
    tex = _write(tmp_path / "report.tex", _doc("Fine.\n\n\\nosuchmacro{x}"))
    old = tmp_path / "report.pdf"
    old.write_bytes(b"%PDF- the previous report")
    with pytest.raises(TexError) as err:
        compile_pdf(tex, old, timeout=120)
    message = str(err.value)
    assert "\n" not in message
    assert "report.tex:5" in message and "Undefined control sequence" in message and "\\nosuchmacro" in message
    assert err.value.line == 5
    assert str(tmp_path / "report.log") in message and "Undefined control sequence" in (tmp_path / "report.log").read_text()
    assert old.read_bytes() == b"%PDF- the previous report"  # not overwritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.log", "report.pdf", "report.tex"]  # no temp files


def test_failed_compile_creates_no_pdf(engine, tmp_path):
    tex = _write(tmp_path / "report.tex", _doc("\\begin{itemize}"))  # unclosed environment
    with pytest.raises(TexError):
        compile_pdf(tex, tmp_path / "out.pdf", timeout=120)
    assert not (tmp_path / "out.pdf").exists()


def test_shell_escape_is_off(engine, tmp_path, monkeypatch):
    marker = tmp_path / "shell-escape-ran"
    # a user's latexmkrc asking for shell escape must not count: latexmk runs with -norc
    home = tmp_path / "home"
    _write(home / ".latexmkrc", "$pdflatex = 'pdflatex -shell-escape %O %S';\n")
    monkeypatch.setenv("HOME", str(home))
    tex = _write(tmp_path / "report.tex", _doc(f"\\immediate\\write18{{touch {marker}}}Text."))
    result = compile_pdf(tex, tmp_path / "report.pdf", timeout=120)
    assert result.pages == 1
    assert not marker.exists()
    assert "write18 enabled" not in result.log


def test_no_engine_on_path_names_the_debian_packages(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("DERIVCHECK_TEX", raising=False)
    assert find_engine() is None
    tex = _write(tmp_path / "report.tex", _doc("x"))
    with pytest.raises(NoTexEngine) as err:
        compile_pdf(tex, tmp_path / "report.pdf")
    message = str(err.value)
    assert "\n" not in message and "apt-get install" in message and "TeX Live" in message
    for package in ("texlive-latex-base", "texlive-latex-recommended", "texlive-fonts-recommended", "lmodern",
                    "latexmk"):
        assert package in message
    assert not (tmp_path / "report.pdf").exists() and not (tmp_path / "report.log").exists()


def test_forced_engine_that_is_missing_is_not_replaced_by_another(tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVCHECK_TEX", str(tmp_path / "missing" / "pdflatex"))
    assert find_engine() is None
    with pytest.raises(NoTexEngine, match="DERIVCHECK_TEX=.*texlive-latex-base"):
        compile_pdf(_write(tmp_path / "r.tex", _doc("x")), tmp_path / "r.pdf")


def test_latexmk_is_preferred_and_the_choice_can_be_forced(tmp_path, monkeypatch):
    for name in ("latexmk", "pdflatex"):
        _fake_engine(tmp_path, "exit 0\n", name=name)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("DERIVCHECK_TEX", raising=False)
    assert find_engine().kind == "latexmk" and find_engine().pdflatex == str(tmp_path / "bin" / "pdflatex")
    monkeypatch.setenv("DERIVCHECK_TEX", "pdflatex")
    assert find_engine().kind == "pdflatex"
    (tmp_path / "bin" / "pdflatex").unlink()
    monkeypatch.delenv("DERIVCHECK_TEX")
    assert find_engine() is None  # latexmk without pdflatex cannot compile


def test_engine_that_hangs_is_killed_with_its_children(tmp_path, monkeypatch):
    pidfile = tmp_path / "child.pid"
    fake = _fake_engine(tmp_path, f"sleep 60 &\necho $! > {pidfile}\nwait\n")
    monkeypatch.setenv("DERIVCHECK_TEX", str(fake))
    tex = _write(tmp_path / "report.tex", _doc("x"))
    (tmp_path / "report.pdf").write_bytes(b"old")
    start = time.monotonic()
    with pytest.raises(TexTimeout, match="within 1 s"):
        compile_pdf(tex, tmp_path / "report.pdf", timeout=1)
    assert time.monotonic() - start < 10
    assert (tmp_path / "report.pdf").read_bytes() == b"old"
    child = pidfile.read_text().strip()
    if not Path("/proc").is_dir():
        return
    for _ in range(50):  # gone, or a zombie waiting for a reaper
        stat_file = Path(f"/proc/{child}/stat")
        if not stat_file.exists() or stat_file.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the engine's child process {child} survived the timeout")


def test_engine_that_fails_without_a_log_reports_its_output(tmp_path, monkeypatch):
    fake = _fake_engine(tmp_path, "echo 'pdflatex: fatal: something broke'\nexit 3\n")
    monkeypatch.setenv("DERIVCHECK_TEX", str(fake))
    with pytest.raises(TexError, match="pdflatex exited with status 3: pdflatex: fatal: something broke"):
        compile_pdf(_write(tmp_path / "r.tex", _doc("x")), tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


# -- through the CLI -----------------------------------------------------------------------------------------

def test_cli_report_pdf_without_an_engine_exits_2_naming_the_packages(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DERIVCHECK_TEX", str(tmp_path / "no-such-pdflatex"))
    (tmp_path / "report.pdf").write_bytes(b"old")
    proc = run_cli("report", "running_average.weighted_sum_lemma", "--pdf", "--no-cache",
                   "-o", tmp_path / "report.tex")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "apt-get install texlive-latex-base" in proc.stderr and "latexmk" in proc.stderr
    assert (tmp_path / "report.tex").read_text().rstrip().endswith(r"\end{document}")  # the .tex is whole
    assert (tmp_path / "report.pdf").read_bytes() == b"old"
