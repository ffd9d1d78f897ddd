"""-k expressions: tokenizer, recursive-descent parser, evaluation; positional ids."""
import pytest

from proofs.selection import Matcher, SelectionError, parse, select, tokenize

METAS = [
    {"id": "running_average.variance_limit", "title": "Limit of the variance", "topic": "running averages"},
    {"id": "momentum.constant_input_limit", "title": "Momentum with constant input", "topic": "momentum"},
    {"id": "adam.bias_correction", "title": "Bias correction of Adam", "topic": "adaptive methods"},
    {"id": "adam.update_bound", "title": "Adam step bound", "topic": "adaptive methods"},
]


def ids(expr):
    m = Matcher(expr)
    return [x["id"] for x in METAS if m(x)]


def test_tokenize():
    assert [t[:2] for t in tokenize("(a and not b) or c.d")] == [
        ("(", "("), ("word", "a"), ("and", "and"), ("not", "not"), ("word", "b"), (")", ")"), ("or", "or"),
        ("word", "c.d")]
    assert tokenize("   ") == []


def test_substring_of_id_title_or_topic_case_insensitive():
    assert ids("limit") == ["running_average.variance_limit", "momentum.constant_input_limit"]
    assert ids("BIAS") == ["adam.bias_correction"]
    assert ids("adaptive") == ["adam.bias_correction", "adam.update_bound"]
    assert ids("") == [m["id"] for m in METAS]
    assert ids(None) == [m["id"] for m in METAS]


def test_boolean_operators_and_precedence():
    assert ids("adam and not bias") == ["adam.update_bound"]
    assert ids("momentum or bias") == ["momentum.constant_input_limit", "adam.bias_correction"]
    # and binds tighter than or
    assert ids("momentum or adam and bound") == ["momentum.constant_input_limit", "adam.update_bound"]
    assert ids("(momentum or adam) and bound") == ["adam.update_bound"]
    assert ids("not not momentum") == ["momentum.constant_input_limit"]
    assert ids("not (limit or adam)") == []


def test_words_do_not_span_fields():
    # title "... of the variance" + topic "running averages" must not match across the boundary
    assert ids("variancerunning") == []
    assert ids("variance") == ["running_average.variance_limit"]


@pytest.mark.parametrize("bad", ["(", "a and", "a or or b", "not", ")", "a b", "(a or b", "and a"])
def test_malformed_expressions_are_errors(bad):
    with pytest.raises(SelectionError) as e:
        parse(bad)
    assert "-k" in str(e.value)


def test_never_evaluates_python():
    # words are only ever substrings: code-like input matches nothing and runs nothing
    assert ids("__import__") == [] and ids("os.system") == []
    with pytest.raises(SelectionError):                  # a call's parentheses are just bad grouping
        parse("__import__('os').system('false')")


def test_select_with_ids_and_prefixes():
    chosen, unknown = select(METAS, ids=["adam"], keyword=None)
    assert [m["id"] for m in chosen] == ["adam.bias_correction", "adam.update_bound"]
    chosen, unknown = select(METAS, ids=["adam.update_bound", "nope"], keyword=None)
    assert [m["id"] for m in chosen] == ["adam.update_bound"] and unknown == ["nope"]
    chosen, _ = select(METAS, ids=["ada"], keyword=None)      # a prefix must end at a dot
    assert chosen == []
    chosen, _ = select(METAS, ids=["adam"], keyword="not bias")
    assert [m["id"] for m in chosen] == ["adam.update_bound"]
