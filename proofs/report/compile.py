"""Compile a LaTeX report to PDF with an installed TeX engine (latexmk preferred, else pdflatex).

Invariants
----------
* Never leaves a partial PDF: TeX runs in a private temporary directory, and the PDF reaches
  ``pdf_path`` only after a successful run, by a temp file in the target directory + ``os.replace``.
  A failed, killed or timed-out run leaves an existing ``pdf_path`` untouched.
* Never runs shell escape: ``-no-shell-escape`` on the command line, ``shell_escape=f`` in the
  environment, latexmk with ``-norc`` (no user/system rc file can swap in another command), and
  kpathsea's paranoid ``openout_any=p``/``openin_any=p`` (TeX writes only inside the temp directory
  and reads no dot files, no absolute paths and nothing above it: ``\\input``, ``\\openin``,
  ``\\pdfximage``, ``\\pdffiledump`` are refused). pdfTeX's ``\\pdfobj file`` ignores ``openin_any``;
  the report's preamble disables ``\\pdfobj``, and the report never passes data to TeX as TeX
  (:mod:`proofs.report.tex`), which is the real defence.
* Never waits forever: stdin is closed, TeX runs non-interactively, and one total ``timeout`` (120 s by
  default; the whole catalog's 170 pages take a few seconds) covers every run; on expiry the engine's
  whole process group is killed and ``TexTimeout`` is raised.

Every failure is a ``CompileError`` whose ``str()`` is one line, fit for the CLI (exit code 2).
``SOURCE_DATE_EPOCH``/``FORCE_SOURCE_DATE`` reach TeX only if the user set them.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePath

from ..atomic import write_atomically

DEBIAN_PACKAGES = ("texlive-latex-base", "texlive-latex-recommended", "texlive-fonts-recommended",
                   "lmodern", "latexmk")
INSTALL_HINT = ("install a TeX engine: apt-get install " + " ".join(DEBIAN_PACKAGES)
                + " (Debian/Ubuntu); elsewhere install TeX Live or MiKTeX")
ENV_VAR = "DERIVCHECK_TEX"
MAX_PDFLATEX_RUNS = 3
_LISTS = (".toc", ".lof", ".lot")  # LaTeX warns about changed labels itself, not about changed lists
_RERUN = re.compile(r"Rerun to get|Label\(s\) may have changed|Rerun LaTeX|Please rerun")
_ERROR = re.compile(r"^(?:!|[^\s:]+\.\w+:\d+: )")
_NOISE = re.compile(r"\s*(?:See the LaTeX manual|Type +(?:H|X) |or enter new name|Enter file name|\.\.\.|<read|\.$)")


class CompileError(Exception):
    """Any failure to produce the PDF; ``str()`` is one line."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


class NoTexEngine(CompileError):
    pass


class TexTimeout(CompileError):
    pass


class TexError(CompileError):
    def __init__(self, message: str, *, excerpt=(), line: int | None = None, log_path: Path | None = None):
        super().__init__(message)
        self.excerpt, self.line, self.log_path = list(excerpt), line, log_path


@dataclass(frozen=True)
class Engine:
    kind: str                 # "latexmk" or "pdflatex"
    path: str
    pdflatex: str | None = None  # the pdflatex latexmk drives

    def command(self, tex_name: str) -> list[str]:
        opts = ["-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "-file-line-error"]
        if self.kind == "latexmk":
            return [self.path, "-norc", "-pdf", *opts, f"-pdflatex={shlex.quote(self.pdflatex)} %O %S", tex_name]
        return [self.path, *opts, tex_name]


@dataclass(frozen=True)
class CompileResult:
    pdf_path: Path
    log_path: Path
    engine: Engine
    pages: int | None
    runs: int       # engine invocations (latexmk reruns pdflatex itself)
    seconds: float
    log: str
    warnings: int   # "LaTeX/Package/Class ... Warning" lines of the last run
    overfull: int   # "Overfull \hbox/\vbox" lines of the last run

    def summary(self) -> str:
        pages = f"{self.pages} page{'s' * (self.pages != 1)}, " if self.pages is not None else ""
        return (f"{pages}{self.warnings} warning{'s' * (self.warnings != 1)}, {self.overfull} overfull "
                f"box{'es' * (self.overfull != 1)} ({self.engine.kind}, {self.seconds:.1f} s)")


def find_engine() -> Engine | None:
    """latexmk (with pdflatex) if installed, else pdflatex; ``$DERIVCHECK_TEX`` (pdflatex, latexmk or a path)
    forces one, and a forced engine that is missing gives None rather than a fallback."""
    forced = os.environ.get(ENV_VAR, "").strip()
    if forced:
        path = shutil.which(forced)  # a bare name is looked up on PATH; a path must be an executable file
        if path is None:
            return None
        kind = "latexmk" if "latexmk" in Path(forced).name.lower() else "pdflatex"
        candidates = [(kind, path)]
    else:
        candidates = [(k, p) for k in ("latexmk", "pdflatex") if (p := shutil.which(k))]
    for kind, path in candidates:
        if kind == "pdflatex":
            return Engine("pdflatex", path)
        pdflatex = shutil.which("pdflatex")
        if pdflatex:  # latexmk alone cannot compile anything
            return Engine("latexmk", path, pdflatex)
    return None


def _write_atomically(path: Path, data: bytes | str) -> None:
    try:
        write_atomically(path, data)
    except OSError as e:
        raise CompileError(f"cannot write {path}: {e.strerror or e}") from None


def _env() -> dict[str, str]:
    env = dict(os.environ)  # SOURCE_DATE_EPOCH / FORCE_SOURCE_DATE pass through only if the user set them
    env.pop("TEXMFOUTPUT", None)  # paranoid mode would allow writes there
    env.update(openout_any="p", openin_any="p", shell_escape="f", max_print_line="10000")
    return env


def _run(cmd: list[str], cwd: Path, env: dict, deadline: float, timeout: float) -> int:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise subprocess.TimeoutExpired(cmd, timeout)
    with open(cwd / ".engine-output", "ab") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return proc.wait(timeout=remaining)
        except BaseException:  # timeout or Ctrl-C: take the whole process group down with us
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, AttributeError):
                proc.kill()
            proc.wait()
            raise


def _lists(work: Path, stem: str) -> list[bytes]:
    return [p.read_bytes() if (p := work / (stem + s)).is_file() else b"" for s in _LISTS]


def _first_error(log: str) -> tuple[list[str], int | None]:
    """The first error line (``file:line: ...`` or ``! ...``), up to 2 lines of context that are not TeX's
    help/prompt boilerplate, and the document line number when the log gives one."""
    lines = log.splitlines()
    for i, text in enumerate(lines):
        if _ERROR.match(text):
            excerpt, line = [text.strip()], None
            for t in lines[i:i + 14]:
                if t.startswith("Here is how much"):
                    break
                m = re.match(r"[^\s:]+:(\d+): |l\.(\d+) ", t)
                line = line or (int(m.group(1) or m.group(2)) if m else None)
                if t is not text and t.strip() and not _NOISE.match(t) and len(excerpt) < 3:
                    excerpt.append(t.strip())
            return excerpt, line
    return [], None


def _copy_assets(src_dir: Path, work: Path, assets) -> None:
    for rel in assets:
        rel = PurePath(rel)
        if rel.is_absolute() or ".." in rel.parts:
            raise CompileError(f"asset {rel} must be a path inside {src_dir}")
        src, dst = src_dir / rel, work / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        elif src.is_file():
            shutil.copy2(src, dst)
        else:
            raise CompileError(f"asset not found: {src}")


def compile_pdf(tex_path, pdf_path, *, assets=(), timeout: float = 120) -> CompileResult:
    """Compile ``tex_path`` (with ``assets``: files/dirs relative to its directory) into ``pdf_path``.
    The engine's log is saved next to the PDF (``report.log`` for ``report.pdf``), also on failure."""
    engine = find_engine()
    if engine is None:
        forced = os.environ.get(ENV_VAR, "").strip()
        why = f"{ENV_VAR}={forced} is not an executable" if forced else "no pdflatex or latexmk on PATH"
        raise NoTexEngine(f"cannot make a PDF: {why}; {INSTALL_HINT}")
    tex_path, pdf_path = Path(tex_path), Path(pdf_path)
    if not tex_path.is_file():
        raise CompileError(f"no such LaTeX file: {tex_path}")
    if not pdf_path.parent.is_dir():
        raise CompileError(f"output directory does not exist: {pdf_path.parent}")
    log_path = pdf_path.with_suffix(".log")
    stem = tex_path.stem if re.fullmatch(r"[A-Za-z0-9_.-]+", tex_path.stem) else "document"
    start = time.monotonic()
    deadline = start + timeout
    with tempfile.TemporaryDirectory(prefix="derivcheck-tex-") as tmp:
        work = Path(tmp)
        _copy_assets(tex_path.parent, work, assets)
        shutil.copy2(tex_path, work / f"{stem}.tex")
        env, cmd, runs, status = _env(), engine.command(f"{stem}.tex"), 0, 0

        def read_log() -> str:
            p = work / f"{stem}.log"
            return p.read_text("utf-8", errors="replace") if p.is_file() else ""

        try:
            while True:
                before = _lists(work, stem)
                runs += 1
                status = _run(cmd, work, env, deadline, timeout)
                log = read_log()
                if (status != 0 or engine.kind == "latexmk" or runs >= MAX_PDFLATEX_RUNS
                        or (not _RERUN.search(log) and _lists(work, stem) == before)):
                    break
        except subprocess.TimeoutExpired:
            log = read_log()
            if log:
                _write_atomically(log_path, log)
            raise TexTimeout(f"{engine.kind} did not finish within {timeout:g} s and was killed"
                             + (f"; partial log: {log_path}" if log else "")) from None
        _write_atomically(log_path, log)
        pdf = work / f"{stem}.pdf"
        if status != 0 or not pdf.is_file():
            excerpt, line = _first_error(log)
            if excerpt:
                message = " ".join(excerpt).replace(f"./{stem}.tex:", f"{tex_path.name}:")
            else:
                tail = (work / ".engine-output").read_text("utf-8", errors="replace").strip().splitlines()[-2:]
                message = (f"{engine.kind} exited with status {status}" if status else "no PDF was produced") \
                    + (": " + " ".join(t.strip() for t in tail) if tail else "")
            raise TexError(f"LaTeX failed: {message} (full log: {log_path if log else 'none'})",
                           excerpt=excerpt, line=line, log_path=log_path if log else None)
        _write_atomically(pdf_path, pdf.read_bytes())
    pages = re.search(r"Output written on .*\((\d+) pages?", log)
    return CompileResult(
        pdf_path=pdf_path, log_path=log_path, engine=engine, pages=int(pages.group(1)) if pages else None,
        runs=runs, seconds=time.monotonic() - start, log=log,
        warnings=len(re.findall(r"^(?:LaTeX|Package \S+|Class \S+) Warning", log, flags=re.M)),
        overfull=len(re.findall(r"^Overfull \\[hv]box", log, flags=re.M)))
