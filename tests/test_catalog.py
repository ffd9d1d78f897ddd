"""Every catalog claim is a regression test: its verdict equals ``expected`` and its witnesses agree."""
import pytest

from proofs.engine import check_claim
from proofs.stats import MAX_STATISTICAL_WITNESSES
from tests.catalog import catalog_claims

CLAIMS = catalog_claims()
BY_ID = {c.id: c for c in CLAIMS}


@pytest.fixture(scope="module")
def results():
    return {}


def _result(results, claim):
    if claim.id not in results:
        results[claim.id] = check_claim(claim, seed=0)
    return results[claim.id]


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_verdict_as_expected(claim, results):
    r = _result(results, claim)
    assert r.verdict == r.expected, r.message
    assert not r.loud, r.loud


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_claim_has_an_agreeing_witness(claim, results):
    r = _result(results, claim)
    if claim.not_checkable:
        assert r.verdict == "not checkable" and claim.not_checkable.strip(), "a one-line reason is required"
        return
    assert r.witnesses, f"{claim.id} has no numeric witness"
    for w in r.witnesses:
        assert w.verdict == "agrees", f"{w.name}: {w.verdict}: {w.detail}"


def test_every_refuted_claim_has_a_proved_correction():
    refuted = [c for c in CLAIMS if c.expected.value == "refuted"]
    for c in refuted:
        fixes = [d for d in CLAIMS if d.corrects == c.id]
        assert fixes, f"{c.id} is an erratum without a corrected claim"
        assert all(f.expected.value == "proved" for f in fixes)


def test_corrections_point_at_catalog_claims():
    for c in CLAIMS:
        if c.corrects:
            assert c.corrects in BY_ID, f"{c.id} corrects unknown claim {c.corrects}"


def test_refuted_claims_carry_a_confirmed_counterexample(results):
    for c in CLAIMS:
        if c.expected.value == "refuted":
            r = _result(results, c)
            assert r.first_failing_step is not None
            assert r.counterexample is not None and r.counterexample.lhs != r.counterexample.rhs


def test_false_alarm_budget():
    """Each statistical witness runs at alpha = 1e-5; the catalog's total stays <= 1e-3."""
    n = sum(1 for c in CLAIMS for w in c.witnesses if w.statistical)
    assert n <= MAX_STATISTICAL_WITNESSES


def test_ids_unique_and_sources_cited():
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    for c in CLAIMS:
        assert c.source.file and c.source.locator, c.id


def test_readme_summary_is_current(results):
    """The README's catalog table is what `derivcheck check --format markdown` prints for the catalog."""
    import re
    from pathlib import Path

    from proofs.render.markdown import render_check
    fresh = render_check([_result(results, c).to_dict() for c in CLAIMS])
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = re.search(r"<!-- catalog-summary:start -->\n(.*?)<!-- catalog-summary:end -->", readme, re.S)
    assert block, "README lacks the catalog-summary markers"
    assert block.group(1) == fresh, "README catalog table is stale; paste this:\n" + fresh


def test_readme_lists_every_module_with_its_claims():
    """The README's table of modules names every catalog module once, with its number of claims."""
    import re
    from pathlib import Path

    from proofs.loader import catalog_files, load
    counts = {sf.module.rsplit(".", 1)[-1]: len(load(sf).claims) for sf in catalog_files()}
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("| module | concept | handout parts | claims |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \|.*\| (\d+) \|$", table, re.M)
    assert [m for m, _ in rows if rows.count((m, _)) > 1] == [], "a module is listed twice"
    assert {m: int(n) for m, n in rows} == counts


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_maths_in_titles_statements_and_readings_is_typeset(claim):
    """A title, statement or reading writes its maths as ``$...$`` spans of LaTeX, every span one the report
    typesets (it passes the report's whitelist verifier), with the ``$`` signs balanced."""
    problems = [p for field in ("title", "statement", "reading")
                for p in _typeset_problems(field, getattr(claim, field) or "")]
    assert not problems, "\n".join(problems)


def _typeset_problems(field: str, s: str) -> list:
    """What keeps the ``$...$`` maths of one prose field from being typeset: unbalanced ``$`` signs, or a span
    that fails the report's whitelist verifier (:func:`proofs.report.tex.check_math`)."""
    from proofs.report.tex import check_math, math_spans
    s = str(s or "")
    if s.replace("\\$", "").count("$") % 2:
        return [f"{field}: unbalanced $ in {s!r}"]
    return [f"{field}: ${span}$ is not typeset: {why} (in {s!r})"
            for span in math_spans(s) for why in [check_math(span)] if why is not None]


def _prose_fields(claim) -> list:
    """``[(field, text)]``: every prose text of the claim's derivation the report prints with its ``$...$``
    maths typeset: each step's rule, why and label, each given's, definition's and assumption's why and label,
    and each note. The derivation is built as the engine builds it (an empty SymPy cache, then ``build``)."""
    from sympy.core.cache import clear_cache

    from proofs.derivation import Derivation
    if claim.not_checkable:
        return []
    clear_cache()
    d = Derivation(claim)
    claim.build(d)
    out = []
    for st in d.steps:
        out += [(f"step {st.index} {k}", getattr(st, k)) for k in ("rule", "why", "label")]
    for f in d.facts:
        if f.kind != "step":
            out += [(f"{f.kind} {f.label!r} {k}", getattr(f, k)) for k in ("why", "label")]
    out += [(f"note {k}", n) for k, n in enumerate(d.notes, start=1)]
    return out


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.id for c in CLAIMS])
def test_maths_in_rules_whys_notes_and_labels_is_typeset(claim):
    """A step's rule, why and label, a premise's why and label, and a note write their maths as ``$...$``
    spans of LaTeX (``$\\Sigma_{\\Delta\\Phi}$ is the covariance matrix of ...``, not ``Sigma_DeltaPhi is ...``),
    every span one the report typesets, with the ``$`` signs balanced."""
    fields = _prose_fields(claim)
    assert fields or claim.not_checkable, f"{claim.id}: no derivation texts found"
    problems = [p for field, s in fields for p in _typeset_problems(field, s)]
    assert not problems, "\n".join(problems)


def test_the_typesetting_check_catches_a_bad_span_and_an_unbalanced_dollar():
    """The check above can fail: an unknown command, an unbalanced brace and a lone ``$`` are reported."""
    assert _typeset_problems("rule", r"independence: $\operatorname{Cov}(\hat{g}_i, \hat{g}_j) = 0$") == []
    assert _typeset_problems("rule", "no maths at all, sigma^2 / B") == []
    assert _typeset_problems("rule", r"a command $\input{x}$ the report refuses")
    assert _typeset_problems("why", r"a brace $\frac{1}{N$ left open")
    assert _typeset_problems("note", r"a lone $\mu_0 = 0 sign")[0].startswith("note: unbalanced $")
