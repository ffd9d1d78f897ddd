"""The LaTeX verification report: a pure function of result dicts (``ClaimResult.to_dict()``).

Layout: title block; summary (settings, claims per source, verdict and witness counts, errata list,
legend of marks); table of contents; **errata first** (each refuted claim: the source's words, the
first failing step, its counterexample, the witness's evidence, then the corrected claim with its
whole proof); then one section per topic and one subsection per claim (statement, reading, givens,
the derivation as aligned chains with a mark per step, side conditions, witnesses and their figures).
Refuted claims and their corrections appear in full once, in the errata; their topic subsections
point there.

Invariants
----------
* Deterministic: claims sorted by id, topics by name, no timings, no dates unless ``date`` is given
  (the CLI passes one only when ``SOURCE_DATE_EPOCH`` is set), so the bytes depend only on the results
  (not on ``-j``, the cache or ``PYTHONHASHSEED``).
* Data is never TeX: every piece of text goes through :func:`tex.text` (escaped, cut when huge), every
  piece of printed maths through :func:`tex.math` (verified against what the tool prints, else shown as
  text); :func:`audit` lists the maths fields shown as text, for the CLI's warnings. No input line is
  longer than ``LINE_LIMIT`` characters (TeX reads a line into a fixed buffer), lists are capped, and the
  document never contains ``^^``. The preamble uses only packages of Debian's texlive-latex-base,
  texlive-latex-recommended and lmodern, figures do not float (a ``dcfigure`` is a numbered figure placed where
  its witness is, so any number of them compiles), and after loading the packages it disables ``\\pdfobj`` (which can read any
  file, whatever kpathsea's ``openin_any``) as a second line of defence.
* Nothing here imports SymPy: a saved JSON renders without the engine.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from . import tex

LINE_LIMIT = 8000      # characters of one line of the .tex (TeX's buffer holds a line; 200,000 in TeX Live)
LIST_LIMIT = 50        # entries shown of a list (premises, notes, assumptions, sides of one step)

VERDICT_ORDER = ("proved", "refuted", "unproved", "not checkable", "error", "timeout")
MARKS = {"proved": r"\dcproved", "refuted": r"\dcrefuted", "unproved": r"\dcunproved",
         "not checkable": r"\dcnotcheckable", "error": r"\dcerror", "timeout": r"\dcerror"}

PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage[utf8]{inputenc}
\usepackage[margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{graphicx}
\usepackage{xcolor}
\usepackage[hidelinks,pdfcreator={derivcheck},pdfproducer={derivcheck}]{hyperref}
\allowdisplaybreaks
\setlength{\emergencystretch}{3em}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5ex plus 0.2ex}
\definecolor{dcgreen}{rgb}{0,0.5,0}
\definecolor{dcred}{rgb}{0.75,0,0}
\definecolor{dcamber}{rgb}{0.8,0.45,0}
\newcommand{\dcproved}{\textcolor{dcgreen}{\ensuremath{\checkmark}}}
\newcommand{\dcrefuted}{\textcolor{dcred}{\ensuremath{\boldsymbol{\times}}}}
\newcommand{\dcunproved}{\textcolor{dcamber}{\textbf{?}}}
\newcommand{\dcerror}{\textcolor{dcred}{\textbf{!}}}
\newcommand{\dcnotcheckable}{\textcolor{gray}{\ensuremath{\circ}}}
\newsavebox{\dcbox}
\newcommand{\dcfit}[1]{\sbox{\dcbox}{#1}\ifdim\wd\dcbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\dcbox}}\else\usebox{\dcbox}\fi}
\makeatletter
\renewcommand*\l@subsection{\@dottedtocline{2}{1.5em}{3.3em}}
\newenvironment{dcfigure}{\par\medskip\noindent\begin{minipage}{\linewidth}\centering\def\@captype{figure}}%
  {\end{minipage}\par\medskip}
\makeatother
\newcommand{\dcdisplay}[1]{\begin{center}\dcfit{$\displaystyle #1$}\end{center}}
\let\pdfobj\relax
"""


# -- small pieces -------------------------------------------------------------------------------

def _mark(verdict) -> str:
    return MARKS.get(str(verdict), r"\dcerror")


def _verdict_words(r: dict) -> str:
    v, exp = str(r.get("verdict")), str(r.get("expected"))
    words = f"{_mark(v)}~\\textbf{{{tex.text(v)}}}"
    if exp and exp != v:
        words += f" (expected {tex.text(exp)})"
    return words


def _source(src: dict) -> str:
    return f"{tex.code(src.get('file', ''))}, {tex.text(src.get('locator', ''))}"


# words that are names or acronyms, written as their field writes them
_PROPER = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSProp", "l2": "L2", "gd": "GD", "ema": "EMA",
           "langevin": "Langevin", "hessian": "Hessian", "gaussian": "Gaussian", "jacobian": "Jacobian"}


def _topic_title(topic: str) -> str:
    """``sgd basics`` -> ``SGD basics``: the topic as a heading (first letter capitalised, names and acronyms
    as written)."""
    words = [_PROPER.get(w.lower(), w) for w in str(topic or "other").replace("_", " ").split()]
    title = " ".join(words) or "Other"
    return title[:1].upper() + title[1:]


def _pdf_string(s) -> str:
    """Text for the PDF's metadata (a hyperref key): letters, digits, spaces and plain punctuation only."""
    return "".join(ch for ch in str(s)[:200] if ch.isascii() and (ch.isalnum() or ch in " .,:;()/-+'"))


def _given_label(g: dict) -> str:
    """A given's label: ``def Sigma_DeltaPhi[k, l]`` (the tool's own for a definition) as "definition of" and the
    name as maths; an author's label (``(25a)``, ``update``) as text."""
    label = str(g.get("label") or g.get("kind", ""))
    if label.startswith("def ") and len(label) > 4:
        return "definition of " + tex.name(label[4:])
    return tex.text_with_math(label)


def _quote(words: str) -> list:
    return [r"\begin{quote}\small", tex.text_with_math(words), r"\end{quote}"] if words else []


def _step_name(st: dict) -> str:
    name = f"({st.get('index')})"
    lab = str(st.get("label") or "")
    if lab and lab != f"step {st.get('index')}":
        name += " " + lab
    return name


def _value(v) -> str:
    """A value in running text: exact numbers as maths, anything else as breakable typewriter text."""
    m = tex.value(v)
    return f"${m}$" if not m.startswith(r"\text{") else tex.code(v)


def _point(cx: dict) -> str:
    pt = cx.get("point") or {}
    if not pt:
        return "with no free symbols"
    return "at " + ", ".join(tex.name(k) + r"\,$=$\," + _value(v) for k, v in pt.items())


def _counterexample(cx: dict) -> list:
    if not cx:
        return []
    rel = cx.get("relation", "!=")
    how = tex.text(cx.get("arithmetic", "exact rational"))
    if rel == "violates":
        both = f"the relation evaluates to {_value(cx.get('lhs'))} against {_value(cx.get('rhs'))}"
    else:
        both = f"the left side is {_value(cx.get('lhs'))} and the right side {_value(cx.get('rhs'))}"
    return [f"\\textbf{{Counterexample}} ({how} arithmetic): {_point(cx)}, {both}.", ""]


# -- the derivation as aligned chains ------------------------------------------------------------

def _capped(items, what: str) -> tuple:
    """At most ``LIST_LIMIT`` of ``items``, and a note (text) saying how many more there were."""
    items = list(items or [])
    more = len(items) - LIST_LIMIT
    return items[:LIST_LIMIT], (f" [... {more:,} more {what} not shown]" if more > 0 else "")


def _step_sides(st: dict) -> list:
    """The step's ``[lhs, op, rhs]`` rows (at most ``LIST_LIMIT``); ``None`` as rhs: the relation as text."""
    sides = _capped(st.get("sides"), "sides")[0]
    return sides or [["", "", st.get("latex") or None]]


def _rows(steps: list) -> list:
    """Runs of rows ``(lhs, op, rhs, step-or-None)``; a step whose left side is the previous right side
    continues the run (``= ...`` under the previous relation sign)."""
    runs, prev_rhs = [], None
    for st in steps:
        if st.get("rule") == "conclusion":
            continue
        sides = _step_sides(st)
        for j, (lhs, op, rhs) in enumerate(sides):
            cont = j == 0 and runs and lhs and lhs == prev_rhs
            row = ("" if cont else lhs, op, rhs, st if j == 0 else None)
            if cont:
                runs[-1].append(row)
            else:
                runs.append([row])
        prev_rhs = sides[-1][2] if sides[-1][1] == "=" else None
    return runs


def _chain(steps: list) -> list:
    out = []
    for run in _rows(steps):
        lines = []
        for lhs, op, rhs, st in run:
            tag = (rf"&&\quad {_mark(st.get('verdict'))}~\text{{\small {tex.text_with_math(_step_name(st))}}}"
                   if st is not None else "")
            right = tex.math(rhs) if rhs is not None else r"\text{" + tex.text(st.get("relation")) + "}"
            lines.append(f"{tex.math(lhs) if lhs else ''} &{tex.math(op) if op else ''} {right} {tag}".strip())
        out.append(r"\dcdisplay{\begin{aligned}" + " \\\\\n".join(lines) + r"\end{aligned}}")
    return out


def _justifications(steps: list) -> list:
    if not steps:
        return []
    out = [r"\begin{description}\small"]
    for st in steps:
        bits = [r"\emph{" + tex.text_with_math(st.get("rule") or "") + "}"]
        if st.get("why"):
            bits.append(tex.text_with_math(st["why"]))
        if st.get("premises"):
            shown, more = _capped(dict.fromkeys(st["premises"]), "premises")
            bits.append("uses " + ", ".join(tex.text_with_math(p) for p in shown) + tex.text(more))
        text = "; ".join(bits) + "."
        cx = st.get("counterexample") if isinstance(st.get("counterexample"), dict) else None
        if st.get("verdict") == "refuted" and cx:
            text += " " + _counterexample(cx)[0]           # the point with its names as maths, not the engine's text
        elif st.get("verdict") != "proved" and st.get("detail"):
            text += r" \textit{" + tex.text(st["detail"]) + "}"
        elif st.get("rule") == "conclusion" and st.get("detail"):
            text += " " + tex.text(st["detail"]) + "."
        if st.get("residual"):
            text += f" Residual: ${tex.math(st['residual'])}$."
        out.append(rf"\item[{{{_mark(st.get('verdict'))} {tex.text_with_math(_step_name(st))}}}] {text}")
        for c in _capped(st.get("conditions"), "side conditions")[0]:
            detail = f" ({tex.text(c['detail'])})" if c.get("detail") else ""
            out.append(rf"\item[] side condition {tex.code(c.get('condition', ''))}: {_mark(c.get('verdict'))} "
                       rf"{tex.text(c.get('verdict', ''))}{detail}")
    out.append(r"\end{description}")
    return out


# -- witnesses and figures -----------------------------------------------------------------------

def _witness(w: dict, r: dict, figures: dict, index: int) -> list:
    agrees = w.get("verdict")
    head = (rf"\paragraph{{Witness {tex.code(w.get('name', ''))}}} ({tex.text(w.get('kind', ''))}"
            + (f"; {tex.text(w['method'])}" if w.get("method") else "")
            + (f"; $n = {int(w['n'])}$" if isinstance(w.get("n"), int) else "") + ").")
    lines = ["", head]
    rows = [row for row in (w.get("rows") or []) if isinstance(row, dict)]
    if rows:
        lines += _evidence_table(rows)
    else:
        if w.get("estimate"):
            est = f"estimate {tex.text(w['estimate'])}"
            if w.get("se"):
                est += f" $\\pm$ {tex.text(w['se'])} (standard error)"
            if w.get("predicted"):
                est += f", predicted {tex.text(w['predicted'])}"
            lines.append(est[:1].upper() + est[1:] + ".")
        lines.append(r"{\small " + tex.text(w.get("detail") or "") + "}")
    observed = w.get("observed")
    verdict = str(r.get("verdict"))
    if agrees == "agrees":
        what = ("confirms the erratum: the statement fails in the process it ran" if verdict == "refuted" else
                "observes the statement hold in the process it ran")
        lines.append(rf"\emph{{{_mark('proved')} Agrees with the symbolic verdict ({tex.text(verdict)}): {what}.}}")
    elif agrees == "disagrees":
        lines.append(rf"\fcolorbox{{dcred}}{{white}}{{\parbox{{0.95\linewidth}}{{\dcerror\ \textbf{{Disagrees}} "
                     rf"with the symbolic verdict ({tex.text(verdict)}): it observed the statement "
                     rf"{tex.text(observed)}.}}}}")
    else:
        lines.append(r"\emph{\dcerror\ The witness could not run.}")
    for k, fig in enumerate(w.get("figures") or [], start=1):
        lines += _figure(fig, figures.get((r.get("id"), w.get("name"), k)), getattr(figures, "drawn", None),
                         r.get("id"))
    return lines


def _evidence_table(rows: list) -> list:
    """The compared quantities of a statistical witness: quantity, n, estimate +- SE, predicted, |z| against the
    limit its false-alarm budget allows, and a mark."""
    shown, more = _capped(rows, "quantities")
    out = [r"\begin{center}\small", r"\begin{tabular}{lrrrrc}", r"\toprule",
           r"quantity & $n$ & estimate $\pm$ SE & predicted & $|z|$ (limit) & \\", r"\midrule"]
    for row in shown:
        quantity = f"${tex.math(row.get('quantity_latex'))}$" if row.get("quantity_latex") else \
            tex.text(row.get("quantity", ""))
        n = tex.text(row.get("n")) if row.get("n") is not None else ""
        holds = row.get("holds") is True
        out.append(rf"\dcfit{{{quantity}}} & {n} & {tex.text(row.get('estimate', ''))} $\pm$ "
                   rf"{tex.text(row.get('se', ''))} & {tex.text(row.get('predicted', ''))} & "
                   rf"{tex.text(row.get('z', ''))} ({tex.text(row.get('limit', ''))}) & "
                   rf"{_mark('proved' if holds else 'refuted')} \\")
    out += [r"\bottomrule", r"\end{tabular}", r"\end{center}"]
    if more:
        out.append(tex.text(more.strip()))
    return out


class _Figures(dict):
    """Figure paths by ``(claim id, witness name, index)``, and the plots drawn so far (:func:`_same_plot` key
    -> (label, claim id)), so a plot is drawn once."""

    def __init__(self, paths: dict):
        super().__init__(paths)
        self.drawn: dict = {}


def _same_plot(fig: dict) -> str:
    """Two figure records are the same plot when their titles, captions, axes and the labels and styles of
    their series and marks coincide (one witness attached to two claims draws it twice, with other random
    draws); the data may differ."""
    series = [(s.get("label"), s.get("style")) for s in fig.get("series") or [] if isinstance(s, dict)]
    marks = [(m.get("axis"), m.get("label")) for m in fig.get("marks") or [] if isinstance(m, dict)]
    return tex.digest(repr((fig.get("title"), fig.get("caption"), fig.get("xlabel"), fig.get("ylabel"),
                            fig.get("xscale"), fig.get("yscale"), series, marks)), 16)


def _figure(fig: dict, path, drawn: dict | None = None, claim_id=None) -> list:
    caption = tex.text_with_math(fig.get("title", ""))
    if fig.get("caption"):
        caption += ". " + tex.text_with_math(fig["caption"])
    if not path:
        return [rf"\par\emph{{Figure not drawn (matplotlib is not installed, or the record is malformed): "
                rf"{caption}.}}"]
    key = _same_plot(fig)
    if drawn is not None and key in drawn:
        label, first = drawn[key]
        return [rf"\par\emph{{This witness's plot has the title, axes and series of Figure~\ref{{{label}}} "
                rf"(drawn for {tex.code(first)}); its own run is not drawn again.}}"]
    label = tex.label("fig", key)
    if drawn is not None:
        drawn[key] = (label, claim_id)
    return [r"\begin{dcfigure}", rf"\includegraphics[width=0.72\linewidth]{{{path}}}",
            rf"\caption{{{caption}}}\label{{{label}}}", r"\end{dcfigure}"]


# -- one claim -----------------------------------------------------------------------------------

def _meta(r: dict) -> list:
    lines = [rf"{tex.code(r.get('id', ''))}\quad {_verdict_words(r)}\\",
             rf"\textbf{{Source:}} {_source(r.get('source') or {})}"]
    also = r.get("also") or []
    if also:
        lines[-1] += r"\\" + r"\textbf{Also in:} " + "; ".join(_source(a) for a in also)
    return lines + [""]


def _body(r: dict, figures: dict) -> list:
    """Statement, reading, checked form, givens, derivation, notes, witnesses (everything but the header)."""
    out = [r"\textbf{Statement} (the source's words):"] + _quote(r.get("statement", ""))
    if r.get("reading"):
        out += [r"\textbf{Read as:} " + tex.text_with_math(r["reading"]), ""]
    v = str(r.get("verdict"))
    if v == "not checkable":
        out += [r"\textbf{Not checkable:} " + tex.text(str(r.get("message", "")).replace("not checkable: ", "", 1)),
                ""]
    elif v in ("error", "timeout"):
        out += [r"\textbf{Not checked:} " + tex.text(r.get("message", "")), ""]
    if r.get("statement_latex"):
        out += [r"\textbf{Checked statement:}"]
        out.append(r"\dcdisplay{" + tex.math(r["statement_latex"]) + "}")
    givens = r.get("givens") or []
    if givens:
        out += ["", r"\textbf{Given:}"]
        out.append(r"\begin{description}\small")
        for g in givens:
            out.append(rf"\item[{{{_given_label(g)}}}] {tex.text_with_math(g.get('why') or '')}")
            out.append(r"\dcdisplay{" + tex.math(g.get("latex")) + "}")
        out.append(r"\end{description}")
    steps = r.get("steps") or []
    if steps:
        out += ["", r"\textbf{Derivation:}"]
        out += _chain(steps) + _justifications(steps)
    for note in _capped(r.get("notes"), "notes")[0]:
        out += [r"\textbf{Note:} " + tex.text_with_math(note), ""]
    if r.get("assuming"):
        out += [r"\textbf{Proved, assuming (unchecked):}", r"\begin{itemize}"]
        out += [r"\item " + tex.text_with_math(a) for a in _capped(r["assuming"], "assumptions")[0]]
        out += [r"\end{itemize}", ""]
    if r.get("loud"):
        out.append(rf"\fcolorbox{{dcred}}{{white}}{{\parbox{{0.95\linewidth}}{{\dcerror\ \textbf{{Symbolic and "
                   rf"numeric witnesses contradict:}} {tex.text(r['loud'])}}}}}")
    for k, w in enumerate(r.get("witnesses") or [], start=1):
        out += _witness(w, r, figures, k)
    if not r.get("witnesses") and v not in ("error", "timeout"):
        out.append(r"\emph{No numeric witness.}")
    return out


def _failing_step(r: dict) -> list:
    k = r.get("first_failing_step")
    st = next((s for s in r.get("steps") or [] if s.get("index") == k), None)
    if st is None:
        return []
    out = [rf"\textbf{{First failing step:}} {_mark('refuted')} {tex.text_with_math(_step_name(st))}, "
           rf"\emph{{{tex.text_with_math(st.get('rule', ''))}}}:", ""]
    sides = _capped(st.get("sides"), "sides")[0]
    if sides:
        out.append(r"\dcdisplay{" + r",\quad ".join(f"{tex.math(l)} {tex.math(op)} {tex.math(rr)}".strip()
                                                    for l, op, rr in sides) + "}")
    if st.get("residual"):
        out += [rf"Residual (left minus right): ${tex.math(st['residual'])}$.", ""]
    out += _counterexample(st.get("counterexample") or r.get("counterexample") or {})
    rv = r.get("result_verdict")
    if rv == "proved":
        out.append(r"The stated \emph{result} itself follows directly from the givens (proved): the error is in "
                   r"this step, not in the conclusion.")
        out.append("")
    elif rv == "refuted":
        out += [rf"The stated result checked directly from the givens: {_mark(rv)} {tex.text(rv)}: the result is "
                r"false as well.", ""]
    elif rv:
        out += [r"Whether the stated result holds was not decided from the givens: only this step is shown wrong.",
                ""]
    return out


# -- the document --------------------------------------------------------------------------------

def _summary(results: list, summary: dict, errata: list, corrected_by: dict) -> list:
    out = [r"\section*{Summary}", r"\addcontentsline{toc}{section}{Summary}"]
    by_source = defaultdict(Counter)
    for r in results:
        by_source[(r.get("source") or {}).get("file", "")][str(r.get("verdict"))] += 1
        for a in r.get("also") or []:
            by_source[a.get("file", "")]["also cited"] += 1
    cols = [v for v in VERDICT_ORDER if any(c[v] for c in by_source.values())]
    out += [r"\begin{center}\small", r"\begin{tabular}{l r " + "r " * len(cols) + "r}", r"\toprule",
            "source & claims & " + " & ".join(tex.text(c) for c in cols) + r" & also cited \\", r"\midrule"]
    total = Counter()
    for src in sorted(by_source):
        c = by_source[src]
        total.update(c)
        out.append(f"{tex.code(src)} & {sum(c[v] for v in VERDICT_ORDER)} & "
                   + " & ".join(str(c[v]) for v in cols) + f" & {c['also cited']} \\\\")
    out += [r"\midrule", f"all & {sum(total[v] for v in VERDICT_ORDER)} & "
            + " & ".join(str(total[v]) for v in cols) + f" & {total['also cited']} \\\\",
            r"\bottomrule", r"\end{tabular}", r"\end{center}"]
    wit = Counter(str(w.get("verdict")) for r in results for w in r.get("witnesses") or [])
    n_as = sum(1 for r in results if r.get("verdict") == r.get("expected"))
    out.append(f"{len(results)} claims; {n_as} verdicts as expected. Numeric witnesses: {wit['agrees']} agree, "
               f"{wit['disagrees']} disagree, {wit['error']} could not run.")
    settings = [("seed", str(summary.get("seed", 0)))]
    for k, v in sorted((summary.get("versions") or {}).items()):
        settings.append((k, str(v)))
    out += [r"\begin{center}\small", r"\begin{tabular}{ll}", r"\toprule", r"setting & value \\", r"\midrule"]
    out += [f"{tex.text(k)} & {tex.text(v)} \\\\" for k, v in settings]
    out += [r"\bottomrule", r"\end{tabular}", r"\end{center}"]
    out.append("")
    out.append(r"\textbf{Marks:} \dcproved\ proved (exact symbolic reduction); \dcrefuted\ refuted (counterexample "
               r"in exact or 50-digit arithmetic); \dcunproved\ unproved (numeric agreement only); "
               r"\dcnotcheckable\ not checkable; \dcerror\ error or timeout.")
    if errata:
        out += ["", r"\textbf{Errata found:}", r"\begin{itemize}\small"]
        for r in errata:
            fixes = ", ".join(tex.code(i) for i in sorted(corrected_by.get(r["id"], [])))
            out.append(rf"\item {tex.code(r['id'])} ({_source(r.get('source') or {})}), "
                       rf"Section~\ref{{{tex.label('erratum', r['id'])}}}"
                       + (f"; corrected by {fixes}" if fixes else "") + ".")
        out.append(r"\end{itemize}")
    return out


def render(results: list, summary: dict | None = None, *, figures: dict | None = None,
           title: str = "derivcheck verification report", subtitle: str = "", date: str | None = None) -> str:
    """The whole standalone LaTeX document (see the module docstring).

    ``figures`` maps ``(claim id, witness name, 1-based figure index)`` to the path to include (relative to
    the ``.tex``); a figure without a path is described but not drawn.
    """
    summary = summary or {}
    figures = _Figures(figures or {})
    results = sorted(results, key=lambda r: str(r.get("id")))
    by_id = {r["id"]: r for r in results}
    corrected_by = defaultdict(list)
    for r in results:
        if r.get("corrects"):
            corrected_by[r["corrects"]].append(r["id"])
    errata = sorted((r for r in results if r.get("verdict") == "refuted"),
                    key=lambda r: ((r.get("source") or {}).get("file", ""), r["id"]))
    in_errata = {r["id"] for r in errata} | {c for r in errata for c in corrected_by.get(r["id"], [])}

    out = [PREAMBLE.rstrip("\n"), r"\title{" + tex.text(title) + (r"\\[0.5ex]\large " + tex.text(subtitle)
                                                                    if subtitle else "") + "}",
           r"\author{generated by derivcheck " + tex.text((summary.get("versions") or {}).get("derivcheck", "")) + "}",
           r"\date{" + tex.text(date or "") + "}",
           r"\hypersetup{pdftitle={" + _pdf_string(title) + "}, pdfsubject={" + _pdf_string(subtitle or title) + "}}",
           r"\begin{document}", r"\maketitle"]
    out += _summary(results, summary, errata, corrected_by)
    # the contents lists the topics only (each claim is a subsection, listed in its topic), so the errata begin
    # within the first pages; the summary lists every erratum with its section
    out += [r"\setcounter{tocdepth}{1}", r"\tableofcontents", r"\clearpage"]

    if errata:
        out += [r"\section{Errata}", "Each refuted claim: the source's words, the first failing step with its "
                "counterexample, the numeric witness's evidence, then the corrected statement with its proof."]
        for r in errata:
            out += [r"\subsection{" + tex.heading(r.get("title") or r["id"]) + "}",
                    r"\label{" + tex.label("erratum", r["id"]) + "}"]
            out += _meta(r) + _failing_step(r) + _body(r, figures)
            for cid in sorted(corrected_by.get(r["id"], [])):
                c = by_id[cid]
                out += [r"\subsubsection*{Corrected: " + tex.heading(c.get("title") or cid) + "}",
                        r"\label{" + tex.label("claim", cid) + "}"]
                out += _meta(c) + _body(c, figures)
            if not corrected_by.get(r["id"]):
                out.append(r"\emph{No corrected claim is given for this erratum.}")

    topics = defaultdict(list)
    for r in results:
        topics[str(r.get("topic") or "other")].append(r)
    for topic in sorted(topics):
        out += [r"\section{" + tex.heading(_topic_title(topic)) + "}", r"\label{" + tex.label("topic", topic) + "}"]
        for r in topics[topic]:
            out += [r"\subsection{" + tex.heading(r.get("title") or r["id"]) + "}"]
            if r["id"] in in_errata:
                target = r["id"] if r.get("verdict") == "refuted" else r.get("corrects")
                what = ("Refuted" if r.get("verdict") == "refuted" else
                        f"Corrects {tex.code(r.get('corrects'))}; statement, proof and witness")
                out += _meta(r) + [rf"{what}: see Section~\ref{{{tex.label('erratum', target)}}} (errata)."]
                continue
            out += [r"\label{" + tex.label("claim", r["id"]) + "}"] + _meta(r) + _body(r, figures)
    out += [r"\end{document}", ""]
    doc = "\n".join(_fold(line) for line in out)
    if "^^" in doc:  # pragma: no cover - text() and math() never emit it; a last guard against a new bug
        raise RuntimeError("the report would contain '^^' (TeX's character-code notation)")
    return doc


def _fold(line: str) -> str:
    """A line longer than ``LINE_LIMIT`` broken at single spaces between two other characters (a line break
    reads as the space it replaces; never after a backslash, never making an empty line)."""
    if len(line) <= LINE_LIMIT:
        return line
    out, start = [], 0
    while len(line) - start > LINE_LIMIT:
        cut = start + LINE_LIMIT
        while cut > start + 1 and not (line[cut] == " " and line[cut - 1] not in " \\\n" and line[cut + 1:cut + 2]
                                        not in (" ", "\n", "")):
            cut -= 1
        if cut <= start + 1:                 # no space to break at: look forward instead
            cut = start + LINE_LIMIT
            while cut < len(line) - 1 and not (line[cut] == " " and line[cut - 1] not in " \\\n"
                                               and line[cut + 1] not in " \n"):
                cut += 1
            if cut >= len(line) - 1:
                break
        out.append(line[start:cut])
        start = cut + 1
    out.append(line[start:])
    return "\n".join(out)


def audit(results: list) -> list:
    """``[(claim id, field, why)]``: every maths field that fails :func:`tex.check_math` and so is shown as
    text, not typeset (in document order of the fields, claims by id)."""
    found = []
    for r in sorted(results, key=lambda r: str(r.get("id"))):
        def check(field, s):
            why = tex.check_math(s) if isinstance(s, str) and s.strip() else None
            if why:
                found.append((r.get("id"), field, why))
        check("statement_latex", r.get("statement_latex"))
        for i, g in enumerate(r.get("givens") or [], start=1):
            check(f"given {i} latex", g.get("latex"))
        for st in r.get("steps") or []:
            name = f"step {st.get('index')}"
            if not st.get("sides"):
                check(f"{name} latex", st.get("latex"))
            check(f"{name} residual", st.get("residual"))
            for j, (lhs, op, rhs) in enumerate(_capped(st.get("sides"), "")[0], start=1):
                for part, s in (("left side", lhs), ("operator", op), ("right side", rhs)):
                    check(f"{name} sides[{j}] {part}", s)
        for w in r.get("witnesses") or []:
            for k, fig in enumerate(w.get("figures") or [], start=1):
                for part in ("title", "caption"):
                    for span in tex.math_spans(fig.get(part) or ""):
                        check(f"witness {w.get('name')} figure {k} {part}", span)
    return found
