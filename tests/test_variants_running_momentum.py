"""Wrong variants of the running-average and momentum results: refuted symbolically AND flagged by witnesses."""
import importlib.util
import pathlib

import pytest

from proofs.engine import check_claim
from proofs.model import Claim

HERE = pathlib.Path(__file__).parent / "variants"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"variants_{name}", HERE / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return [v for v in vars(mod).values() if isinstance(v, Claim)]


CASES = {  # claim id -> the step the variant broke
    "variant.running_average.changed_constant": 4,
    "variant.running_average.sign_in_expansion": 1,
    "variant.running_average.wrong_middle_step": 3,
    "variant.running_average.dropped_square": 1,
    "variant.momentum.limit_swapped": 1,
    "variant.momentum.factor_slip": 3,
}
CLAIMS = {c.id: c for c in _load("running_average_variants") + _load("momentum_variants")}


def test_all_variants_present():
    assert set(CASES) == set(CLAIMS)


@pytest.mark.parametrize("cid", sorted(CASES))
def test_variant_refuted_at_the_broken_step_and_flagged_by_witness(cid):
    r = check_claim(CLAIMS[cid], seed=0)
    assert r.verdict == "refuted", r.message
    assert r.first_failing_step == CASES[cid], r.message
    assert r.counterexample is not None
    assert r.witnesses and all(w.observed == "fails" for w in r.witnesses), [w.detail for w in r.witnesses]
