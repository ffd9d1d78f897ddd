"""Langevin dynamics and stationary distributions (slides "Langevin Dynamics", "Langevin Dynamics (Without
Annealing)", "Stationary Distributions", "Langevin Dynamics With Annealing"): catalog claims, the erratum
and its correction, and wrong variants (user-style claims reusing the catalog's witnesses)."""
import pytest
import sympy as sp

from derivations import langevin as lg
from proofs import E, Source, Var, claim
from proofs.engine import check_claim
from tests.catalog import assert_caught_at

Eq = lg.Eq
SLIDES = lg.SLIDES
PROVED = (lg.noise_covariance, lg.without_annealing_corrected, lg.boltzmann_1d, lg.not_boltzmann_2d,
          lg.annealing_limit)


@pytest.fixture(scope="module")
def results():
    return {c.id: check_claim(c, seed=0) for c in PROVED + (lg.without_annealing,)}


@pytest.mark.parametrize("cid", [c.id for c in PROVED])
def test_catalog_claim_proved_and_witnessed(results, cid):
    r = results[cid]
    assert r.verdict == "proved", r.message
    assert all(s.verdict == "proved" for s in r.steps)
    assert r.witnesses and all(w.observed == "holds" and w.verdict == "agrees" for w in r.witnesses), \
        [w.detail for w in r.witnesses]


def test_without_annealing_is_an_erratum_at_the_noise_line(results):
    r = results["langevin.without_annealing"]
    assert r.verdict == "refuted", r.message
    assert r.steps[r.first_failing_step - 1].label == "slide's noise term"
    assert r.counterexample is not None and r.counterexample.lhs != r.counterexample.rhs
    assert r.result_verdict == "refuted"
    # the lines before it (eta^2 k Sigma = eta Delta t Sigma) hold
    assert all(s.verdict == "proved" for s in r.steps[:r.first_failing_step - 1])
    (w,) = r.witnesses
    assert w.observed == "fails" and w.verdict == "agrees", w.detail
    assert lg.without_annealing_corrected.corrects == "langevin.without_annealing"


def test_noise_witness_tests_drift_covariance_and_limit(results):
    (w,) = results["langevin.noise_covariance"].witnesses
    # the covariance relation (two E's: the noise's measured, the slide's term's by the model) at 3 index pairs and
    # the drift relation (one E, measured) at 2 coordinates, each at eta = 1/10 and 1/40
    assert w.detail.count("residual of E_1 = E_2") == 6 and w.detail.count("E_1: estimate") == 4
    (w,) = results["langevin.without_annealing.corrected"].witnesses
    assert w.detail.count("lim_Cov") == 2


def test_boltzmann_density_moments_by_quadrature():
    """The witness's quadrature of the claimed density matches a direct numpy quadrature of exp(-2 L)."""
    import numpy as np
    from fractions import Fraction
    from proofs.derivation import Derivation
    from proofs.witness import WitnessContext
    d = Derivation(lg.boltzmann_1d)
    lg.boltzmann_1d.build(d)
    w = WitnessContext(lg.boltzmann_1d, d, seed=0, name="t")
    m1, m2 = lg._density_moments(w, Fraction(1, 50), 50)
    x = np.linspace(-6, 6, 40001)
    p = np.exp(-2 * lg.potential(x))
    Z = np.trapezoid(p, x)
    assert abs(m1 - np.trapezoid(x * p, x) / Z) < 1e-9 and abs(m2 - np.trapezoid(x * x * p, x) / Z) < 1e-9


def test_em_covariance_converges_to_lyapunov():
    C = lg._em_stationary_covariance(0.001)
    assert abs(C[0, 1] - 1 / 6) < 1e-3 and abs(C[0, 0] - 1 / 2) < 1e-3 and abs(C[1, 1] - 1 / 4) < 1e-3


# ---------------------------------------------------------------------------------------------
# Wrong variants
# ---------------------------------------------------------------------------------------------
@claim(id="variant.langevin.noise_cross_terms", title="Noise covariance with the cross terms kept: eta^2 k^2 Sigma",
       source=Source(SLIDES, 'slide "Langevin Dynamics" (wrong variant)'), expected="refuted",
       witnesses=[(lg.langevin_noise_witness, "monte-carlo")], statement="noise Delta t epsilon")
def noise_cross_terms(d):
    eta, Dt, k, i, l, j, g, Sig, gh, eps, step, Delta, n = lg._noise_model(d)
    cov = (d.chain(E(n[i] * n[l]), using=[step])
           .eq(eta ** 2 * E(sp.Sum(gh[j, i] - g[i], (j, 1, k)) * sp.Sum(gh[j, l] - g[l], (j, 1, k))),
               rule="n = -eta sum_j (ghat_j - g)", label="noise as a sum")
           .eq(eta ** 2 * k ** 2 * Sig[i, l], rule="k^2 terms, each Sigma (independence forgotten)",
               label="eta^2 k Sigma")
           .eq(Dt ** 2 * Sig[i, l], rule="eta k = Delta t", label="eta Delta t Sigma")
           .eq(E(Dt * eps[1, i] * Dt * eps[1, l]), rule="covariance of Delta t epsilon", label="noise term"))
    stmt = Eq(E(n[i] * n[l]), E(Dt * eps[1, i] * Dt * eps[1, l]))
    d.step(stmt, rule="collect", using=[cov.fact, step], label="collect")
    d.statement(stmt)


@claim(id="variant.langevin.boltzmann_temperature", title="Boltzmann density exp(-L/(eta Sigma)) (temperature doubled)",
       source=Source(SLIDES, 'slide "Stationary Distributions" (wrong variant)'), expected="refuted",
       witnesses=[(lg._langevin_sampler, "monte-carlo")], statement="p ~ exp(-L/(eta Sigma))")
def boltzmann_temperature(d):
    """Written with a quartic L with symbolic coefficients: with an undefined L the engine cannot refute."""
    Phi = d.symbol("Phi", real=True)
    eta, Sig = d.symbols("eta Sigma", positive=True)
    c4, c2, c1 = d.symbols("c_4 c_2 c_1", real=True)
    Lq = c4 * Phi ** 4 + c2 * Phi ** 2 + c1 * Phi
    p = d.symbol("p", positive=True)
    d.define(p, sp.exp(-Lq / (eta * Sig)), label="Boltzmann density")
    Lp = sp.Derivative(Lq, Phi)
    flux = Lp * p + eta * Sig / 2 * sp.Derivative(p, Phi)
    (d.chain(eta * Sig / 2 * sp.Derivative(p, Phi), using=[])
     .eq(eta * Sig / 2 * (-2 * Lp / (eta * Sig)) * p, rule="derivative of exp (factor 2 from the usual form)",
         label="p'")
     .eq(-Lp * p, rule="cancel", label="diffusion term"))
    d.chain(flux, using=[]).eq(0, rule="zero flux", label="zero flux")
    d.chain(sp.Derivative(flux, Phi), using=[]).eq(0, rule="constant flux", label="stationary Fokker-Planck")
    d.statement(Eq(sp.Derivative(flux, Phi), 0))


@claim(id="variant.langevin.annealing_missing_half", title="Stationary loss without the 1/2 of the quadratic",
       source=Source(SLIDES, 'slide "Langevin Dynamics With Annealing" (wrong variant)'), expected="refuted",
       witnesses=[(lg._annealed_sgd, "monte-carlo")], statement="L(eta) = L(Phi*) + eta sigma^2 / (2 - eta a)")
def annealing_missing_half(d):
    a, s2 = d.symbols("a sigma^2", positive=True)
    eta = d.symbol("eta", bounds=(0, 2 / a))
    Ls = d.symbol("L(Phi*)", real=True)
    Y = d.random.scalar("DeltaPhi_stat", mean=0, var=eta * s2 / (a * (2 - eta * a)))
    Leta = Ls + eta * s2 / (2 - eta * a)
    (d.chain(E(Ls + a / 2 * Y ** 2), using=[])
     .eq(Ls + a * (Var(Y) + E(Y) ** 2), rule="E Y^2 = Var Y + (E Y)^2 (the 1/2 dropped)", label="L(eta)")
     .eq(Leta, rule="stationary moments", label="L(eta) closed form"))
    d.chain(sp.Limit(Leta, eta, 0), using=[]).eq(Ls, rule="eta -> 0", label="limit")
    stmt = (Eq(E(Ls + a / 2 * Y ** 2), Leta), Eq(sp.Limit(Leta, eta, 0), Ls))
    d.step(stmt, rule="collect", using=[], label="collect")
    d.statement(stmt)


@claim(id="variant.langevin.lyapunov_half", title="2-d counterexample with the Lyapunov entry solved as eta/2",
       source=Source(SLIDES, 'slide "Stationary Distributions" (wrong variant)'), expected="refuted",
       witnesses=[(lg._em_covariance, "simulation")], statement="C_12 = eta/2")
def lyapunov_half(d):
    eta = d.symbol("eta", positive=True)
    C11, C12, C22 = d.symbols("C_11 C_12 C_22", real=True)
    d.unknowns(C11, C12, C22)
    lyap = d.given((Eq(2 * C11, eta), Eq(3 * C12, eta / 2), Eq(4 * C22, eta)), label="Lyapunov equation")
    sol = d.step((Eq(C11, eta / 2), Eq(C12, eta / 2), Eq(C22, eta / 4)), rule="solve (forgot the 3 = h_1 + h_2)",
                 using=[lyap], label="stationary covariance")
    stmt = (Eq(C12, eta / 2), sp.Gt(C12, 0))
    d.step(stmt, rule="eta > 0", using=[sol], label="C_12 > 0")
    d.statement(stmt)


VARIANTS = {
    "variant.langevin.noise_cross_terms": (noise_cross_terms, "eta^2 k Sigma"),
    "variant.langevin.boltzmann_temperature": (boltzmann_temperature, "p'"),
    "variant.langevin.annealing_missing_half": (annealing_missing_half, "L(eta)"),
    "variant.langevin.lyapunov_half": (lyapunov_half, "stationary covariance"),
}


@pytest.mark.parametrize("cid", sorted(VARIANTS))
def test_variant_refuted_at_broken_step_and_flagged(cid):
    c, label = VARIANTS[cid]
    r = check_claim(c, seed=0)
    assert_caught_at(r, label)


def test_engine_substitutes_premises_into_expectation_results():
    @claim(id="test.moments_after_E", title="t", source=Source("x", "y"))
    def c(d):
        V = d.symbol("V", positive=True)
        X = d.random.scalar("X", mean=0, var=V)
        sol = d.given(Eq(V, 2))
        rel = Eq(E(X ** 2), 2)
        d.step(rel, using=[sol])
        d.statement(rel)
    assert check_claim(c).verdict == "proved"
