"""User-style documents (tests/audit/corpus/): correct ones and ones with one wrong line, in Markdown, LaTeX and
notebooks, written as a person would. Every wrong line is refuted at that line; no correct line is refuted."""
from pathlib import Path

import pytest

from proofs.audit.check import Settings, audit_document
from proofs.audit.documents import read_document

CORPUS = Path(__file__).resolve().parent / "corpus"
# document -> the (cell, line) of its one wrong line; documents not listed have none
WRONG = {
    "adam_step_wrong.ipynb": (3, 3),
    "backprop_bias_wrong.md": (None, 8),
    "bias_correction_unrolled_wrong.tex": (None, 15),
    "ema_bias_wrong.md": (None, 12),
    "l2_minimum_wrong.md": (None, 12),
    "lr_scaling_wrong.tex": (None, 6),
    "momentum_sum_wrong.md": (None, 9),
    "sgd_quadratic_wrong.tex": (None, 7),
    "squared_error_wrong.ipynb": (3, 3),
    "unit_circle_loss_wrong.md": (None, 15),
    "variance_average_wrong.md": (None, 5),
    "variance_limit_wrong.tex": (None, 15),
    "weight_decay_wrong.md": (None, 5),
}
DOCUMENTS = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".md", ".tex", ".ipynb"))


def test_the_corpus_is_large_and_mixed():
    assert len(DOCUMENTS) >= 20
    assert {Path(d).suffix for d in DOCUMENTS} == {".md", ".tex", ".ipynb"}
    assert set(WRONG) <= set(DOCUMENTS)
    assert all(d.replace("_wrong", "") in DOCUMENTS for d in WRONG)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_wrong_lines_and_only_they_are_refuted(name):
    result = audit_document(read_document(CORPUS / name, display_name=name), Settings())
    refuted = {(p.cell, p.line) for p in result.pairs if p.verdict == "refuted"}
    assert not any(p.verdict in ("error", "timeout") for p in result.pairs), [p.detail for p in result.pairs]
    assert refuted == ({WRONG[name]} if name in WRONG else set())
    assert result.rows_parsed == result.rows


@pytest.mark.parametrize("name", sorted(WRONG))
def test_the_refutation_carries_a_counterexample(name):
    result = audit_document(read_document(CORPUS / name, display_name=name), Settings())
    bad = [p for p in result.pairs if p.verdict == "refuted"]
    assert bad[0].counterexample and bad[0].counterexample["point"]


@pytest.mark.parametrize("name", [n for n in DOCUMENTS if n not in WRONG])
def test_correct_documents_have_proved_lines(name):
    result = audit_document(read_document(CORPUS / name, display_name=name), Settings())
    assert any(p.verdict == "proved" for p in result.pairs)
