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
    from proofs.report.tex import check_math, math_spans
    for field in ("title", "statement", "reading"):
        s = getattr(claim, field) or ""
        assert s.replace("\\$", "").count("$") % 2 == 0, f"{field}: unbalanced $ in {s!r}"
        for span in math_spans(s):
            why = check_math(span)
            assert why is None, f"{field}: ${span}$ is not typeset: {why}"
