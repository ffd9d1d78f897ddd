"""The LaTeX report document: golden files, structure, and determinism.

Golden files
------------
``tests/golden/report/results.json`` holds engine results for four claims (one proved, one refuted with
its correction, one unproved from ``tests/golden/report/unproved_claim.py``); ``<case>.tex`` is the
document rendered from them. After an intended change to the engine's output or the document layout,
refresh both and review the diff::

    DERIVCHECK_REFRESH_GOLDEN=1 python -m pytest -q tests/test_report_document.py -k golden
    git diff tests/golden/report/
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from proofs.outcome import summarize
from proofs.report import document, tex

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden" / "report"
RESULTS = GOLDEN / "results.json"
CASES = {
    "proved": ["running_average.weighted_sum_lemma"],
    "refuted": ["temperature.weighted_sum_covariance", "temperature.weighted_sum_covariance.corrected"],
    "unproved": ["golden.divide_by_step_size"],
}
VERSIONS = {"derivcheck": "golden", "numpy": "golden", "python": "golden", "sympy": "golden"}
REFRESH = bool(os.environ.get("DERIVCHECK_REFRESH_GOLDEN"))


def _compute_results() -> list:
    from proofs.engine import check_claim
    from proofs.loader import SourceFile, load
    from tests.catalog import catalog_claims
    wanted = {i for ids in CASES.values() for i in ids}
    claims = [c for c in catalog_claims() if c.id in wanted]
    path = GOLDEN / "unproved_claim.py"
    claims += load(SourceFile(path=str(path.resolve()), display="tests/golden/report/unproved_claim.py",
                              folder=str(GOLDEN))).claims
    out = []
    for c in sorted(claims, key=lambda c: c.id):
        r = check_claim(c, seed=0).to_dict()
        r["seconds"] = 0.0
        for part in r["steps"] + r["witnesses"]:
            part["seconds"] = 0.0
        out.append(r)
    return out


def golden_results() -> dict:
    if REFRESH and not getattr(golden_results, "done", False):
        RESULTS.write_text(json.dumps(_compute_results(), indent=1, sort_keys=True) + "\n")
        golden_results.done = True
    return {r["id"]: r for r in json.loads(RESULTS.read_text())}


def render_case(case: str) -> str:
    results = [golden_results()[i] for i in CASES[case]]
    return document.render(results, summarize(results, seed=0, versions=VERSIONS), subtitle=f"golden: {case}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case):
    path = GOLDEN / f"{case}.tex"
    text = render_case(case)
    if REFRESH:
        path.write_text(text)
    assert path.exists(), f"missing golden file {path}: run with DERIVCHECK_REFRESH_GOLDEN=1 (see module doc)"
    assert text == path.read_text(), (f"{path.name} differs from the rendered document; if the change is "
                                      f"intended, refresh (see this module's docstring) and review the diff")


def test_golden_inputs_have_the_verdicts_they_stand_for():
    res = golden_results()
    assert res["running_average.weighted_sum_lemma"]["verdict"] == "proved"
    assert res["temperature.weighted_sum_covariance"]["verdict"] == "refuted"
    assert res["temperature.weighted_sum_covariance.corrected"]["verdict"] == "proved"
    assert res["golden.divide_by_step_size"]["verdict"] == "unproved"


# -- structure -------------------------------------------------------------------------------------------

def test_errata_come_first_with_source_words_failing_step_counterexample_witness_and_correction():
    text = render_case("refuted")
    errata = text.index(r"\section{Errata}")
    topics = text.index(r"\section{Stationary distributions}")
    assert errata < topics and r"\section{" not in text[errata + 5:topics]
    part = text[errata:topics]
    for needle in (r"\textbf{First failing step:}", r"\textbf{Counterexample}", r"Show $\Sigma_{\Delta\Phi} =",
                   r"\paragraph{Witness", "confirms the erratum", r"\subsubsection*{Corrected:",
                   r"\dcrefuted", r"\dcproved"):
        assert needle in part, needle
    # the topic section points to the erratum instead of repeating it
    assert text[topics:].count(r"\ref{" + tex.label("erratum", "temperature.weighted_sum_covariance") + "}") == 2


def test_unproved_claim_is_marked_as_such():
    text = render_case("unproved")
    assert r"\dcunproved~\textbf{unproved}" in text
    assert r"\section{Errata}" not in text


def test_every_claim_gets_a_subsection_and_the_summary_counts_them():
    text = render_case("refuted")
    assert text.count(r"\subsection{") == 3           # erratum + two topic subsections
    assert "2 claims; 2 verdicts as expected" in text
    assert r"\tableofcontents" in text and text.rstrip().endswith(r"\end{document}")


def test_figures_are_included_when_drawn_and_described_when_not():
    r = json.loads(json.dumps(golden_results()["running_average.weighted_sum_lemma"]))
    r["witnesses"][0]["figures"] = [{"title": "Variance against t", "caption": "converges", "series": [],
                                     "marks": []}]
    wname = r["witnesses"][0]["name"]
    drawn = document.render([r], {}, figures={(r["id"], wname, 1): "report-figures/x-1.pdf"})
    assert r"\includegraphics[width=0.72\linewidth]{report-figures/x-1.pdf}" in drawn
    assert r"\caption{Variance against t. converges}" in drawn
    not_drawn = document.render([r], {})
    assert "Figure not drawn (matplotlib is not installed, or the record is malformed): Variance against t" \
        in not_drawn


def test_not_checkable_error_and_disagreeing_results_render():
    base = dict(title="t", topic="misc", source={"file": "f.txt", "locator": "p. 1"}, also=[], statement="s",
                statement_latex="", expected="proved", steps=[], witnesses=[], givens=[], notes=[])
    results = [
        dict(base, id="a.nc", verdict="not checkable", expected="not checkable", message="not checkable: why"),
        dict(base, id="b.err", verdict="error", message="f.py:3: b.err: NameError: x 100% & #1"),
        dict(base, id="c.loud", verdict="proved", loud="symbolic verdict 'proved' but witness w observed fails",
             witnesses=[dict(kind="exact", name="w", verdict="disagrees", observed="fails", detail="x")]),
    ]
    text = document.render(results, {})
    assert r"\textbf{Not checkable:} why" in text
    assert r"NameError: x 100\% \&\allowbreak{}" not in text and r"100\% \& \#1" in text
    assert "Symbolic and numeric witnesses contradict" in text and r"\textbf{Disagrees}" in text


def test_no_date_unless_given():
    assert r"\date{}" in render_case("proved")
    dated = document.render([golden_results()["golden.divide_by_step_size"]], {}, date="2026-11-22")
    assert r"\date{2026-11-22}" in dated


# -- determinism across processes --------------------------------------------------------------------------

def _cli(*args, env_extra=None, cwd=None):
    env = dict(os.environ, **(env_extra or {}))
    env.pop("SOURCE_DATE_EPOCH", None)
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          env=env, cwd=cwd or ROOT, stdin=subprocess.DEVNULL)


def test_report_bytes_do_not_depend_on_hash_seed_or_jobs(tmp_path):
    """Two processes with different PYTHONHASHSEED and -j check and render the same claims: same bytes."""
    targets = ["running_average.weighted_sum_lemma", "running_average.variance_limit",
               "temperature.weighted_sum_covariance", "temperature.weighted_sum_covariance.corrected"]
    outs = []
    for seed, jobs in (("1", "1"), ("12345", "2")):
        (tmp_path / seed).mkdir()
        out = tmp_path / seed / "report.tex"           # same name: the figures folder is named after it
        proc = _cli("report", *targets, "--no-cache", "-j", jobs, "-o", str(out),
                    env_extra={"PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert b"\\date{}" in outs[0]


def test_report_from_saved_json_matches_a_checked_report(tmp_path):
    saved = tmp_path / "results.json"
    proc = _cli("check", "temperature.weighted_sum_covariance", "--no-cache", "--format", "json", "-o", str(saved))
    assert proc.returncode == 0, proc.stderr
    a, b = tmp_path / "a.tex", tmp_path / "b.tex"
    assert _cli("report", "--from", str(saved), "-o", str(a), env_extra={"PYTHONHASHSEED": "7"}).returncode == 0
    assert _cli("report", "temperature.weighted_sum_covariance", "--no-cache", "-o", str(b)).returncode == 0
    assert a.read_bytes() == b.read_bytes()


def test_source_date_epoch_sets_the_date(tmp_path):
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps({"schema": "derivcheck/1", "claims": [golden_results()["golden.divide_by_step_size"]],
                                 "summary": {}}))
    out = tmp_path / "d.tex"
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "--from", str(saved), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, SOURCE_DATE_EPOCH="1800000000"))
    assert proc.returncode == 0, proc.stderr
    assert r"\date{2027-01-15}" in out.read_text()


# -- reading as a mathematician would (issue 11) ----------------------------------------------------------

def _plain(**fields):
    base = dict(id="x.claim", title="t", topic="sgd basics", source={"file": "f.txt", "locator": "p. 1"}, also=[],
                statement="s", statement_latex="", verdict="proved", expected="proved", message="", steps=[],
                witnesses=[], givens=[], notes=[])
    return dict(base, **fields)


def test_titles_readings_and_rules_typeset_their_maths_and_bookmarks_stay_plain():
    r = _plain(title=r"Bias of $\hat{m}_t$ in Adam", reading=r"for every $t \geq 1$: $\mathbb{E}[\hat{m}_t] = g$",
               steps=[dict(index=1, verdict="proved", rule=r"divide by $1 - \beta^t$", sides=[["a", "=", "a"]])])
    text = document.render([r], {})
    assert r"\subsection{\texorpdfstring{Bias of $\hat{m}_t$ in Adam}{Bias of m\_t in Adam}}" in text
    assert r"\textbf{Read as:} for every $t \geq 1$: $\mathbb{E}[\hat{m}_t] = g$" in text
    assert r"\emph{divide by $1 - \beta^t$}" in text
    assert r"\section{SGD basics}" in text                       # a topic's acronym as the field writes it


def test_maths_in_a_title_that_does_not_verify_is_text():
    text = document.render([_plain(title=r"bad $\input{/etc/passwd}$ title")], {})
    assert r"\input{" not in text and "not typeset" in text


def test_a_definitions_label_and_a_counterexample_name_their_symbols_as_maths():
    r = _plain(verdict="refuted", expected="refuted",
               givens=[dict(label="def Sigma_DeltaPhi[k, l]", kind="definition", why="the covariance", latex="x")],
               steps=[dict(index=1, verdict="refuted", rule="r", sides=[["a", "=", "b"]],
                           counterexample=dict(point={"Sigma_g[1, 2]": "1", "theta^{t+1}": "-1", "W.grad2_A": "3"},
                                               lhs="1", rhs="-1", arithmetic="exact rational"))],
               first_failing_step=1)
    text = document.render([r], {})
    assert r"\item[{definition of $\Sigma_{\Delta\Phi}[k,l]$}]" in text
    assert r"$\Sigma_{g}[1,2]$\,$=$\,$1$" in text and r"$\theta^{t+1}$\,$=$\,$-1$" in text
    assert r"\texttt{W.\allowbreak{}grad2\_\allowbreak{}A}" in text      # not a name of the usual form: as code
    assert "DeltaPhi" not in text.replace(r"\Delta\Phi", "")


def test_step_labels_are_braced_so_a_bracket_cannot_close_them():
    r = _plain(steps=[dict(index=1, verdict="proved", label="entry [k]", rule="r", sides=[["a", "=", "a"]])])
    assert r"\item[{\dcproved (1) entry {[}k{]}}]" in document.render([r], {})


def test_statistical_evidence_is_a_table():
    rows = [dict(quantity="Sigma_DeltaPhi[1,1]", quantity_latex=r"\Sigma_{\Delta\Phi}[1,1]", n=5170,
                 estimate="3.53877", se="0.0625532", predicted="5", z="23.36", limit="4.79", holds=False)]
    w = dict(kind="monte-carlo", name="weighted_sum", verdict="agrees", observed="fails", detail="long text",
             estimate="3.53877", se="0.0625532", predicted="5", rows=rows)
    text = document.render([_plain(verdict="refuted", expected="refuted", witnesses=[w])], {})
    assert r"quantity & $n$ & estimate $\pm$ SE & predicted & $|z|$ (limit) & \\" in text
    assert r"\dcfit{$\Sigma_{\Delta\Phi}[1,1]$} & 5170 & 3.53877 $\pm$ 0.0625532 & 5 & 23.36 (4.79) & \dcrefuted" \
        in text
    assert "long text" not in text                      # the table replaces the run-on paragraph


def test_the_same_plot_is_drawn_once():
    fig = {"title": "Error of the quotients", "caption": "c", "series": [{"label": "forward", "style": "points",
                                                                           "x": [1], "y": [1]}], "marks": []}
    other = dict(fig, series=[dict(fig["series"][0], y=[2])])            # the same plot, another run's data
    ws = [dict(kind="finite-difference", name="loss", verdict="agrees", observed="holds", detail="d", figures=[f])
          for f in (fig, other)]
    a, b = _plain(id="a.central", witnesses=[ws[0]]), _plain(id="b.forward", witnesses=[ws[1]])
    text = document.render([a, b], {}, figures={("a.central", "loss", 1): "f/a.pdf", ("b.forward", "loss", 1): "f/b.pdf"})
    assert text.count(r"\includegraphics") == 1 and "f/b.pdf" not in text
    assert "its own run is not drawn again" in text


def test_metadata_and_a_short_table_of_contents():
    text = document.render([_plain()], {}, title="My $report$ {x}", subtitle="3 claims")
    assert r"\hypersetup{pdftitle={My report x}, pdfsubject={3 claims}}" in text
    assert text.index(r"\setcounter{tocdepth}{1}") < text.index(r"\tableofcontents")


def test_a_bookmark_has_no_latex_spacing_commands():
    head = document.tex.heading(r"gain $\eta\,\lambda$ here")
    assert head.endswith("{gain eta lambda here}"), head
