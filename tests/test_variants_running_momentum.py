"""Wrong variants of the running-average and momentum results: refuted symbolically AND flagged by witnesses."""
import pytest

from proofs.engine import check_claim
from tests.catalog import assert_caught, variant_claims

CASES = {  # claim id -> the step the variant broke
    "variant.running_average.changed_constant": 4,
    "variant.running_average.sign_in_expansion": 1,
    "variant.running_average.wrong_middle_step": 3,
    "variant.running_average.dropped_square": 1,
    "variant.momentum.limit_swapped": 1,
    "variant.momentum.factor_slip": 3,
}
CLAIMS = {**variant_claims("running_average_variants"), **variant_claims("momentum_variants")}


def test_all_variants_present():
    assert set(CASES) == set(CLAIMS)


@pytest.mark.parametrize("cid", sorted(CASES))
def test_variant_refuted_at_the_broken_step_and_flagged_by_witness(cid):
    assert_caught(check_claim(CLAIMS[cid], seed=0), CASES[cid])
