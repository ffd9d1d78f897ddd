"""proofs.audit.declarations: each keyword, as written in a document comment or a sidecar."""
import pytest
import sympy as sp

from proofs.audit.declarations import DeclarationError, DeclarationState, split_top
from proofs.audit.source import Declaration, Where


def _decl(keyword, text, scope="document"):
    return Declaration(keyword=keyword, text=text, where=Where("doc.md", 3), scope=scope)


def _state(*decls):
    st = DeclarationState()
    for kw, text in decls:
        st.apply(_decl(kw, text))
    return st


def test_split_top_keeps_groups_together():
    assert split_top(r"f(a, b), \frac{1}{2}, x_{i,j}") == ["f(a, b)", r"\frac{1}{2}", "x_{i,j}"]


def test_function_labelled_and_sequence_names_are_canonical():
    st = _state(("function", r"\mathcal{L}, w_i"), ("labelled", r"\Sigma"), ("sequence", r"x, \theta^"))
    n = st.notation
    assert r"\mathcal{L}" in n.functions and "w_{i}" in n.functions
    assert r"\Sigma" in n.labelled and "x" in n.sub_indexed and r"\theta" in n.sup_indexed


def test_assume_bounds_become_assumptions_and_premises():
    st = _state(("assume", r"0 < \rho < 1, N \ge 1"), ("integer", "N"))
    assert st.notation.assumptions(r"\rho").get("positive") is True
    assert st.notation.assumptions("N").get("integer") is True
    ops = [op for op, _, _ in st.premises.assumptions]
    assert ops == ["<", "<", ">="]


def test_unknown_accepts_a_power():
    st = _state(("unknown", r"\sigma^2"))
    (u,) = st.premises.unknowns
    assert isinstance(u, sp.Pow) and u.exp == 2


def test_constant_independent_of():
    st = _state(("constant", "c independent of w_i, w_j"))
    assert [str(v) for v in st.premises.constants["c"]] == ["w_{i}", "w_{j}"]


def test_fact_at_document_scope():
    st = _state(("fact", r"y = \frac{w x + b}{\|w\|}"))
    (text, rels), = st.premises.facts
    assert rels[0][0] == "="


@pytest.mark.parametrize("kw, text, why", [
    ("reading", "no arrow here", "reading needs the form"),
    ("assume", r"\foo > 0", "cannot read the assumption"),
    ("assume", "x", "a relation was expected"),
    ("unknown", r"\frac{1}{", "cannot read the unknown"),
    ("flavour", "x", "unknown keyword"),
])
def test_a_declaration_that_cannot_be_read_is_a_one_line_error(kw, text, why):
    with pytest.raises(DeclarationError, match=why) as e:
        _state((kw, text))
    assert "\n" not in str(e.value)


def test_display_scope_given_refs_facts_readings():
    st = DeclarationState()
    opts = st.for_display([_decl("given", "(33a) (33b), eq:upd", "display"), _decl("skip", "", "display"),
                           _decl("fact", "a = b", "display"), _decl("reading", "x as y", "display")])
    assert opts.given_refs == ["33a", "33b", "eq:upd"] and opts.restricted and opts.skip
    assert opts.facts[0][0] == "a = b" and opts.readings == [("x", "y")] and opts.strict
