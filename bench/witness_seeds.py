"""False alarms of the catalog's stochastic witnesses over many seeds (issue 9).

    python -m bench.witness_seeds [--seeds 200] [--claims PATTERN ...] [--json FILE] [--doc FILE]
                                  [--minutes 60] [--deep 2000] [--no-doc] [--from-json FILE] [-q]

``proofs.stats`` designs every statistical comparison at ``WITNESS_ALPHA`` (1e-5) so that the catalog as a
whole raises a false alarm with probability at most ``CATALOG_FALSE_ALARM`` (1e-3). This script measures it.

1. **Truth.** Each selected claim is checked once by the engine (``check_claim``, seed 0): its symbolic
   verdict says whether the *statement* is true (proved, or refuted only at a middle step with the result
   proved), false (refuted at the conclusion or directly), or undecided (unproved, not checkable).
2. **Which witnesses are stochastic.** Every witness runs with seeds 0, 1, 2 (only the witness, through the
   engine's own witness runner ``proofs.engine._run_witnesses``, on the derivation built once). A witness is
   stochastic when it reads ``w.rng`` or ``w.seed`` (``WitnessContext.stochastic``) or when its observation
   differs between seeds; the others give the same result for every seed and are not run again. The three
   runs also time each witness.
3. **Budget.** If ``seeds x cost`` of all stochastic witnesses is more than ``--minutes`` of one core, every
   witness gets at most the same time ``T`` (water-filling: the cheap ones all their seeds, the expensive
   ones ``floor(T / cost)`` seeds, never fewer than the 3 of the probe); the report names them.
4. **Runs.** Seeds 0..n-1 (the probe's 3 included). Per witness: runs, *false alarms* (the witness of a
   statement that is not known to be false disagrees with the verdict: it observed the statement fail),
   *misses* (the statement is false and the witness observed it hold), errors (a witness error, e.g. NaN),
   the designed alpha (the sum of the ``alpha=`` of the z-tests it reports: the union bound over its
   comparisons), the observed rate with a two-sided 95% Clopper-Pearson upper bound, and a flag when the
   count is improbable under the design (``P(Binomial(n, alpha) >= k) < 0.01``).
5. **Deeper.** A witness flagged at ``--seeds`` runs on to ``--deep`` seeds (when that fits in a quarter of
   ``--minutes``), so its rate is measured, not only detected; the catalog line keeps the first ``--seeds``.
6. **Catalog.** The seeds at which at least one witness of a statement not known to be false false-alarmed,
   out of the seeds every witness ran, against ``CATALOG_FALSE_ALARM``.

200 seeds cannot show a rate of 1e-5 (0 alarms in 200 runs bounds the rate by 1.8% at 95%); what they can
show is a witness that false-alarms far more often than designed (a CLT approximation in a heavy tail, a
deterministic bias, a NaN). A witness over budget is reported, never re-tuned here.

The markdown report (``docs/false-alarms.md`` by default) is generated; its header names the command, the
date and the commit.
"""
from __future__ import annotations

import argparse
import copy
import datetime as _dt
import fnmatch
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "false-alarms.md"
PROBE_SEEDS = 3
FLAG_P = 0.01          # a count this improbable under the designed alpha is flagged

# Why a flagged witness false-alarms: diagnosed by hand from the runs at the seeds the report lists (the report
# shows a diagnosis only for a witness it flags). Keyed by (claim id, witness name).
_RICHARDSON = (
    "(Diagnosed at commit 596c86e and fixed in af7f6cc: `richardson(measure_noise=True)` takes the rounding floor "
    "from the measured noise of f, and these witnesses had 0 disagreements at seeds 0..1999 after it. If the "
    "witness is flagged again, what follows is the old cause, not necessarily the new one.) Not a CLT tail: the witness compares its complex-step derivative with a Richardson-extrapolated central "
    "difference, `|cs - rich| <= 10 x rerr + 1e-12`, where `rerr` is `proofs.finite_diff.richardson`'s own error "
    "estimate `|D(h/2) - D(h)| / 3 + 2 eps max|f| / h`. That estimate is itself random: the first term vanishes when "
    "the two central differences happen to agree, and the rounding term assumes each loss evaluation is exact to "
    "one ulp of max|f|, whereas the loss (a mean of per-example losses through tanh/exp/log) carries several ulps. "
    "At the listed seeds the actual gap is 12 to 35 times `rerr` (e.g. seed 136, batch element 3, direction 2: "
    "complex step 0.0457937479465 vs Richardson 0.0457937479051, gap 4.1e-11, `rerr` 1.2e-12). The same "
    "cross-check in `weightnorm.*` (derivations/backprop.py) false-alarms too, less often: at 2000 seeds, "
    "`weightnorm.grad_b` 3 (seeds 643, 955, 1830), `weightnorm.grad_x` 1 (853), `weightnorm.grad_w.corrected` 4 "
    "(244, 821, 1855, 1963), `weightnorm.grad_w` 0, `batched_layer.batch_grad` 0 "
    "(`python -m bench.witness_seeds --seeds 2000 --claims batched_layer.per_example_grad "
    "batched_layer.batch_grad weightnorm`). The complex step itself agrees with the statement at every seed; it is "
    "the cross-check between two estimates of the process that fails. A fix is a design change of the error "
    "estimate (a rounding floor from the measured noise of f, as `gradient_check` does with 4th differences), "
    "not a larger k; it belongs to `proofs/finite_diff.py` and the witnesses that call `richardson`.")
DIAGNOSES = {
    ("batched_layer.per_example_grad", "per_example_gradient_fd"): _RICHARDSON,
    ("batched_layer.batch_grad", "batch_gradient_fd"): _RICHARDSON,
    **{(f"weightnorm.{c}", w): _RICHARDSON for c, w in (("grad_b", "bias_gradient_fd"), ("grad_x", "input_gradient_fd"),
                                                        ("grad_w", "weight_gradient_fd"),
                                                        ("grad_w.corrected", "weight_gradient_fd"))},
    ("sgd.convergence_theorem", "nonconvex_sgd"): (
        "(Diagnosed at commit d982b7a and fixed in 8435fd8: the settling observation is held to the median run; 0 "
        "false alarms at seeds 0..1999 after it. If the witness is flagged again, what follows is the old cause, not "
        "necessarily the new one.) A heavy-tailed statistic under a fixed threshold, with no alpha: the first observation requires the mean over "
        "400 runs of the oscillation max - min of L(w_t) over the window [2^11, 2^12) to be at most 0.01 and at most "
        "a quarter of the same mean over [2^7, 2^8). The 9 failing seeds among 0..199 all fail the 4x ratio (measured "
        "1.5 to 3.9; the last window's mean is 0.003 to 0.007, under 0.01), none the stationarity test (mean "
        "|L'(w_T)| at most 0.023 against 0.05). In those seeds 4 of the 400 runs carry 93 to 97% of the last window's mean (median over "
        "all seeds 9%): a run that still hops between the basins near k pi late, driven by the skewed Exp(1) - 1 "
        "gradient noise, dominates a mean of max - min. The typical run behaves as the theorem says: the median "
        "run's oscillation shrinks 13x to 16x over the 4 doublings at every one of the 200 seeds (eta_t ~ 1/t, so "
        "the spread of w_t around its minimum, and with it L - L*, ~ 1/t: 16x), and the ratio of the means has "
        "median 66. A fix is a design change of the observation (a robust statistic such as the median run or a "
        "trimmed mean, or a ratio tested against its spread over the runs), not a looser 4x; it belongs to "
        "derivations/sgd_basics.py (convergence_observation, shared with the schedule claims that call it)."),
}

_ALPHA_RE = re.compile(r"alpha=([0-9.]+e[-+]?[0-9]+)")


# -- statistics ----------------------------------------------------------------------------------

def _betainc_inv(a: float, b: float, p: float) -> float:
    """x with I_x(a, b) = p (regularised incomplete beta), by bisection on mpmath's betainc."""
    import mpmath as mp
    lo, hi = 0.0, 1.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if float(mp.betainc(a, b, 0, mid, regularized=True)) < p:
            lo = mid
        else:
            hi = mid
    return hi


def clopper_pearson_upper(k: int, n: int, conf: float = 0.95) -> float:
    """Upper end of the two-sided ``conf`` Clopper-Pearson interval for k successes in n trials.

    >>> round(clopper_pearson_upper(0, 200), 5)      # (1 - (0.025)^(1/200))
    0.01827
    """
    if n <= 0:
        return 1.0
    if k >= n:
        return 1.0
    return _betainc_inv(k + 1, n - k, 1 - (1 - conf) / 2)


def binom_tail(k: int, n: int, p: float) -> float:
    """P(Binomial(n, p) >= k)."""
    if k <= 0:
        return 1.0
    import mpmath as mp
    return float(mp.betainc(k, n - k + 1, 0, p, regularized=True)) if k <= n else 0.0


# -- what is run ----------------------------------------------------------------------------------

@dataclass
class Row:
    claim: str
    witness: str
    kind: str
    statistical: bool          # kind counts against the catalog budget (proofs.model.STATISTICAL_KINDS)
    verdict: str               # the claim's symbolic verdict (seed 0)
    truth: str                 # holds / fails / unknown (proofs.verdicts.statement_truth)
    stochastic: bool = False
    cost: float = 0.0          # mean seconds per run (probe)
    seeds: int = 0             # planned
    runs: int = 0
    agrees: int = 0
    false_alarms: list = field(default_factory=list)   # seeds
    misses: list = field(default_factory=list)         # seeds
    errors: list = field(default_factory=list)         # [seed, one line]
    alpha: float | None = None  # designed (sum of the alpha= its z-tests report), None if not stated
    seconds: float = 0.0
    first_detail: str = ""
    deep: bool = False          # ran on past --seeds because it was flagged

    @property
    def kind_of_miss(self) -> str:
        return "miss" if self.truth == "fails" else "false alarm"

    @property
    def bad(self) -> list:
        return self.misses if self.truth == "fails" else self.false_alarms

    def upper(self) -> float:
        return clopper_pearson_upper(len(self.bad), self.runs)

    def p_value(self) -> float | None:
        if self.truth == "fails" or self.alpha is None:
            return None
        return binom_tail(len(self.false_alarms), self.runs, min(1.0, self.alpha))

    def over_budget(self) -> bool:
        """False alarms more often than the design allows (misses are judged by power, not alpha)."""
        if self.truth == "fails" or not self.false_alarms:
            return False
        p = self.p_value()
        return p is None or p < FLAG_P

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["observed_rate"] = (len(self.bad) / self.runs) if self.runs else None
        d["upper_95"] = self.upper()
        d["p_value"] = self.p_value()
        d["over_budget"] = self.over_budget()
        return d


def _select(claims, patterns):
    if not patterns:
        return claims
    out = []
    for c in claims:
        if any(c.id == p or c.id.startswith(p + ".") or fnmatch.fnmatchcase(c.id, p) for p in patterns):
            out.append(c)
    return out


def catalog_claims(patterns=()) -> list:
    from proofs.loader import catalog_files, load
    claims = []
    for sf in catalog_files():
        claims.extend(load(sf).claims)
    return _select(claims, patterns)


class Bench:
    """One claim: its derivation built once, its truth from one engine check, its witnesses run per seed."""

    def __init__(self, claim):
        from sympy.core.cache import clear_cache

        from proofs.derivation import Derivation
        from proofs.engine import check_claim
        from proofs.verdicts import Verdict, statement_truth
        self.claim = claim
        self.baseline = check_claim(claim, seed=0)
        clear_cache()
        self.d = Derivation(claim)
        if not claim.not_checkable:
            claim.build(self.d)
        r = self.baseline
        concl = bool(r.steps) and r.first_failing_step == len(r.steps)
        self.truth = statement_truth(Verdict(r.verdict), r.result_verdict, refuted_at_conclusion=concl)

    def run(self, spec, seed: int):
        """(WitnessResult, stochastic) of one witness at one seed, through the engine's witness runner."""
        from proofs.engine import _run_witnesses
        seen = {"stochastic": False}

        def fn(w):
            try:
                return spec.fn(w)
            finally:
                seen["stochastic"] = bool(getattr(w, "stochastic", False))

        one = copy.copy(spec)
        one.fn = fn
        claim = copy.copy(self.claim)
        claim.witnesses = [one]
        result = copy.copy(self.baseline)
        result.witnesses = []
        result.loud = ""
        _run_witnesses(claim, self.d, result, seed, False)
        return result.witnesses[0], seen["stochastic"]


def _record(row: Row, wr, seed: int) -> None:
    row.runs += 1
    row.seconds += wr.seconds
    if wr.verdict == "agrees":
        row.agrees += 1
    elif wr.verdict == "disagrees":
        (row.misses if row.truth == "fails" else row.false_alarms).append(seed)
    else:
        row.errors.append([seed, (wr.detail or "").splitlines()[0][:300] if wr.detail else "error"])
    alphas = [float(a) for a in _ALPHA_RE.findall(wr.detail or "")]
    if alphas:
        a = sum(alphas)
        row.alpha = a if row.alpha is None else max(row.alpha, a)


def plan(rows: list, seeds: int, minutes: float) -> float | None:
    """Set ``row.seeds`` for the stochastic rows; return the per-witness time cap T (None: no cap needed)."""
    stoch = [r for r in rows if r.stochastic]
    budget = minutes * 60.0
    want = {id(r): r.cost * seeds for r in stoch}
    if sum(want.values()) <= budget:
        for r in stoch:
            r.seeds = seeds
        return None
    lo, hi = 0.0, max(want.values())
    for _ in range(60):                       # water-filling: sum min(want, T) = budget
        mid = (lo + hi) / 2
        if sum(min(v, mid) for v in want.values()) > budget:
            hi = mid
        else:
            lo = mid
    cap = lo
    for r in stoch:
        r.seeds = seeds if want[id(r)] <= cap else max(PROBE_SEEDS, min(seeds, int(cap // max(r.cost, 1e-9))))
    return cap


def run(patterns=(), seeds: int = 200, minutes: float = 60.0, deep: int = 0, quiet: bool = False,
        log=sys.stderr) -> dict:
    from proofs.stats import CATALOG_FALSE_ALARM, MAX_STATISTICAL_WITNESSES, WITNESS_ALPHA
    t_start = time.perf_counter()
    claims = [c for c in catalog_claims(patterns) if c.witnesses]
    benches, rows, unexpected = {}, [], []

    def say(msg):
        if not quiet:
            print(msg, file=log, flush=True)

    # 1-2: truth, probe with PROBE_SEEDS seeds, cost
    probe = min(PROBE_SEEDS, seeds)
    for c in claims:
        b = Bench(c)
        benches[c.id] = b
        if b.baseline.verdict != c.expected.value:
            unexpected.append(f"{c.id}: verdict {b.baseline.verdict}, expected {c.expected.value}")
        for spec in c.witnesses:
            row = Row(claim=c.id, witness=spec.name, kind=spec.kind, statistical=spec.statistical,
                      verdict=b.baseline.verdict, truth=b.truth)
            details, t = set(), 0.0
            for s in range(probe):
                t0 = time.perf_counter()
                wr, stoch = b.run(spec, s)
                t += time.perf_counter() - t0
                row.stochastic = row.stochastic or stoch
                details.add((wr.verdict, wr.observed, wr.detail))
                _record(row, wr, s)
                if s == 0:
                    row.first_detail = (wr.detail or "")[:200]
            row.stochastic = row.stochastic or len(details) > 1
            row.cost = t / probe
            rows.append(row)
        say(f"probe {c.id}: " + ", ".join(f"{r.witness} {'stochastic' if r.stochastic else 'fixed'} "
                                           f"{r.cost:.2f}s" for r in rows if r.claim == c.id))

    cap = plan(rows, seeds, minutes)
    stoch = [r for r in rows if r.stochastic]
    est = sum(r.cost * r.seeds for r in stoch)
    say(f"{len(stoch)} stochastic witnesses of {len(rows)}; estimated {est / 60:.1f} min for the planned runs"
        + (f" (cap {cap:.0f} s a witness)" if cap is not None else ""))

    # 4: the runs (seeds probe..n-1)
    per_seed_alarm: dict = {}
    for row in stoch:
        b = benches[row.claim]
        spec = next(s for s in b.claim.witnesses if s.name == row.witness)
        for s in range(probe, row.seeds):
            wr, _ = b.run(spec, s)
            _record(row, wr, s)
        say(f"{row.claim} / {row.witness}: {row.runs} runs, {len(row.false_alarms)} false alarms, "
            f"{len(row.misses)} misses, {len(row.errors)} errors ({row.seconds:.0f} s)")
    for row in stoch:
        for s in row.false_alarms:
            per_seed_alarm.setdefault(s, []).append(f"{row.claim}/{row.witness}")
    catalog_runs = {(r.claim, r.witness): r.runs for r in stoch}

    # 5: flagged witnesses run on to --deep seeds
    for row in stoch:
        if row.over_budget() and deep > row.runs and row.cost * deep <= minutes * 60 / 4:
            b = benches[row.claim]
            spec = next(s for s in b.claim.witnesses if s.name == row.witness)
            for s in range(row.runs, deep):
                wr, _ = b.run(spec, s)
                _record(row, wr, s)
            row.deep = True
            say(f"deeper {row.claim} / {row.witness}: {row.runs} runs, {len(row.false_alarms)} false alarms")

    # 6: catalog level, over the seeds every stochastic witness of a not-false statement ran (before --deep)
    watched = [r for r in stoch if r.truth != "fails"]
    common = min((catalog_runs[(r.claim, r.witness)] for r in watched), default=0)
    alarm_seeds = sorted(s for s in per_seed_alarm if s < common)
    flagged = {f"{r.claim}/{r.witness}" for r in stoch if r.over_budget()}
    alarm_seeds_rest = sorted(s for s, who in per_seed_alarm.items() if s < common and set(who) - flagged)
    catalog = dict(
        seeds=common, seeds_with_false_alarm=alarm_seeds, seeds_with_false_alarm_unflagged=alarm_seeds_rest,
        observed_rate=(len(alarm_seeds) / common) if common else None,
        upper_95=clopper_pearson_upper(len(alarm_seeds), common), budget=CATALOG_FALSE_ALARM,
        designed_sum=sum(r.alpha or 0.0 for r in watched),
        statistical_kind=sum(1 for r in rows if r.statistical), max_statistical=MAX_STATISTICAL_WITNESSES,
        witnesses_false_alarming=sorted({f"{r.claim}/{r.witness}" for r in watched if r.false_alarms}),
        all_seeds_with_false_alarm={str(k): v for k, v in sorted(per_seed_alarm.items())})
    return dict(
        config=dict(seeds=seeds, minutes=minutes, deep=deep, claims=list(patterns), probe_seeds=probe,
                    witness_alpha=WITNESS_ALPHA, catalog_false_alarm=CATALOG_FALSE_ALARM, cap_seconds=cap,
                    estimated_seconds=est),
        rows=[r.to_dict() for r in rows], catalog=catalog, unexpected=unexpected,
        seconds=time.perf_counter() - t_start)


# -- the report ------------------------------------------------------------------------------------

def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "proofs", "derivations", "bench"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout
        files = [ln[3:] for ln in dirty.splitlines() if ln.strip()]
        return out + (f" (uncommitted changes in {', '.join(files)})" if files else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _rate(k: int, n: int) -> str:
    return f"{k}/{n}" if n else "-"


def _g(x) -> str:
    return "-" if x is None else f"{x:.2g}"


def _section(title: str, rows: list, line) -> list:
    """A markdown section with one bullet a row, or nothing when there are no rows."""
    return [f"## {title}", "", *map(line, rows), ""] if rows else []


def render(data: dict) -> str:
    cfg, cat = data["config"], data["catalog"]
    command = data.get("command", "python -m bench.witness_seeds")
    rows = data["rows"]
    stoch = [r for r in rows if r["stochastic"]]
    fixed = [r for r in rows if not r["stochastic"]]
    reduced = [r for r in stoch if r["seeds"] < cfg["seeds"]]
    over = [r for r in stoch if r["over_budget"]]
    out = [
        "# False alarms of the stochastic witnesses",
        "",
        f"*Generated by `{command}` on {data.get('date', '?')} at commit {data.get('commit', '?')} "
        f"({data.get('seconds', 0) / 60:.0f} min of one core); do not edit by hand (re-run the command).*",
        "",
        "Every catalog witness that draws from its seeded stream (`w.rng`, `w.seed`) or whose observation "
        "changes with the seed was run for base seeds 0, 1, ... (`derivcheck check --seed N`), through the "
        "engine's own witness runner on the claim's derivation, without the symbolic engine (which ran once "
        "per claim, at seed 0, to say whether the statement is true). "
        f"Design (`proofs/stats.py`): each z-test at alpha = {cfg['witness_alpha']:.0e}, at most "
        f"{cat['max_statistical']} statistical witnesses, so the catalog false-alarms with probability at most "
        f"{cfg['catalog_false_alarm']:.0e}.",
        "",
        "* **false alarm**: the witness of a statement that is not known to be false disagrees with the "
        "verdict (it observed the statement fail);",
        "* **miss**: the statement is false (refuted at the conclusion) and the witness observed it hold; "
        "misses are judged by the witness's power, not by alpha;",
        "* **error**: the witness raised (e.g. NaN, which is evidence of nothing);",
        "* **alpha**: the designed false-alarm probability of the witness, the sum of the `alpha=` of the "
        "z-tests it reports (union bound over its comparisons); `-` where the witness states none "
        "(a deterministic tolerance or its own threshold);",
        "* **upper 95%**: two-sided 95% Clopper-Pearson upper bound of the rate (false alarms, or misses for "
        "a false statement);",
        f"* **flag**: the count is improbable under the design, P(Binomial(runs, alpha) >= k) < {FLAG_P} "
        "(any false alarm of a witness without a stated alpha is flagged).",
        "",
        "## Catalog",
        "",
    ]
    n = cat["seeds"]
    k = len(cat["seeds_with_false_alarm"])
    rest = len(cat["seeds_with_false_alarm_unflagged"])
    expected = sum((r["alpha"] or 0.0) * r["runs"] for r in stoch if r["truth"] != "fails")
    out += [
        f"* stochastic witnesses: **{len(stoch)}** of {len(rows)} "
        f"({sum(1 for r in stoch if r['statistical'])} of kind `monte-carlo`, which count against the budget; "
        f"{cat['statistical_kind']} `monte-carlo` witnesses in the selection, at most {cat['max_statistical']} "
        "allowed);",
        f"* seeds at which every stochastic witness ran: **{n}**; seeds with at least one false alarm: "
        f"**{k}**" + (f" ({', '.join(map(str, cat['seeds_with_false_alarm']))})" if k else "") + ";",
        f"* observed catalog false-alarm rate **{_rate(k, n)}** = {_g(cat['observed_rate'])}, 95% upper bound "
        f"{_g(cat['upper_95'])}, against the budget {cat['budget']:.0e} (the designed alphas of these "
        f"witnesses sum to {cat['designed_sum']:.2g});",
        f"* without the witnesses flagged below: {_rate(rest, n)} seeds with a false alarm, 95% upper bound "
        f"{_g(clopper_pearson_upper(rest, n))};",
        f"* false alarms in all runs, the deeper ones included: {sum(len(r['false_alarms']) for r in stoch)} "
        f"(expected under the design, the sum of alpha x runs: {expected:.2g}); misses: "
        f"{sum(len(r['misses']) for r in stoch)}; errors: {sum(len(r['errors']) for r in stoch)}; witness runs: "
        f"{sum(r['runs'] for r in stoch)}.",
        "",
        f"{n} seeds bound the catalog rate only to {_g(cat['upper_95'])}: the measurement can show a witness that "
        "false-alarms far more often than designed, not confirm a rate of 1e-3 (that needs ~3,000 seeds "
        "without an alarm) or 1e-5.",
        "",
    ]
    if data["unexpected"]:
        out += ["**Claims whose verdict at seed 0 was not the expected one:** " + "; ".join(data["unexpected"]), ""]
    out += ["## Witnesses over budget", ""]
    if over:
        for r in over:
            k = len(r["false_alarms"])
            deeper = (f" (flagged at {cfg['seeds']} seeds, then run on to {r['runs']})" if r.get("deep") else "")
            out.append(f"### `{r['claim']}` / `{r['witness']}` ({r['kind']})")
            out.append("")
            out.append(f"{k} false alarms in {r['runs']} runs{deeper}: rate {_g(k / r['runs'])}, 95% upper bound "
                       f"{_g(r['upper_95'])}; designed alpha {_g(r['alpha'])}"
                       + (f", P(this many or more under the design) = {_g(r['p_value'])}" if r["p_value"] is not None
                          else " (the witness states none: any false alarm is unexpected)")
                       + f". Seeds: {', '.join(map(str, r['false_alarms']))}. Reproduce one with "
                       f"`derivcheck check --no-cache --seed {r['false_alarms'][0]} {r['claim']}`.")
            out.append("")
            out.append("Diagnosis: " + (DIAGNOSES.get((r["claim"], r["witness"])) or "not diagnosed yet."))
            out.append("")
        out += ["The budgets and tolerances were left as they are; a fix is a design change, committed on its own.",
                ""]
    else:
        out += ["None: no witness false-alarmed more often than its design allows.", ""]
    out += ["## Runs", ""]
    if cfg["cap_seconds"] is not None:
        out.append(f"All stochastic witnesses at {cfg['seeds']} seeds would take more than {cfg['minutes']:g} "
                   f"minutes of one core (estimated from {cfg['probe_seeds']} seeds each), so each witness got at "
                   f"most {cfg['cap_seconds']:.0f} s: the cheap ones all {cfg['seeds']} seeds, these expensive "
                   "ones fewer:")
        out.append("")
        for r in reduced:
            out.append(f"* `{r['claim']}` / `{r['witness']}`: {r['runs']} seeds ({r['cost']:.2f} s a run; "
                       f"{cfg['seeds']} seeds would take {r['cost'] * cfg['seeds'] / 60:.0f} min)")
        out.append("")
    else:
        out += [f"Every stochastic witness ran {cfg['seeds']} seeds (estimated {cfg['estimated_seconds'] / 60:.1f} "
                f"min of one core from {cfg['probe_seeds']} seeds each, under the {cfg['minutes']:g}-minute "
                "limit).", ""]
    out += ["| claim | witness | kind | statement | runs | false alarms | misses | errors | alpha | "
            "observed | upper 95% | flag | s/run |",
            "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in sorted(stoch, key=lambda r: (r["claim"], r["witness"])):
        bad = r["misses"] if r["truth"] == "fails" else r["false_alarms"]
        stmt = {"holds": "true", "fails": "false", "unknown": f"undecided ({r['verdict']})"}[r["truth"]]
        out.append(f"| `{r['claim']}` | `{r['witness']}` | {r['kind']} | {stmt} | {r['runs']} | "
                   f"{len(r['false_alarms'])} | {len(r['misses'])} | {len(r['errors'])} | {_g(r['alpha'])} | "
                   f"{_g(len(bad) / r['runs'] if r['runs'] else None)} | {_g(r['upper_95'])} | "
                   f"{'**over**' if r['over_budget'] else ''} | {r['cost']:.2f} |")
    out.append("")
    out += _section("Errors", [r for r in stoch if r["errors"]], lambda r: (
        f"* `{r['claim']}` / `{r['witness']}`: {len(r['errors'])} errors (seeds "
        f"{', '.join(str(s) for s, _ in r['errors'][:20])}{', ...' if len(r['errors']) > 20 else ''}): "
        f"{r['errors'][0][1]}"))
    out += _section("Misses", [r for r in stoch if r["misses"]], lambda r: (
        f"* `{r['claim']}` / `{r['witness']}`: {len(r['misses'])} of {r['runs']} runs saw the false statement hold "
        f"(seeds {', '.join(map(str, r['misses'][:30]))})"))
    out += [f"## Witnesses that do not depend on the seed ({len(fixed)})", "",
            f"Same observation at seeds 0..{cfg['probe_seeds'] - 1} and no read of `w.rng`/`w.seed`; not run again:",
            "", ", ".join(f"`{r['claim']}/{r['witness']}`" for r in sorted(fixed, key=lambda r: (r['claim'],
                                                                                                 r['witness']))),
            ""]
    bad_fixed = [r for r in fixed if r["errors"] or r["false_alarms"] or r["misses"]]
    if bad_fixed:
        out += ["Of these, not agreeing at seed 0..2: " + "; ".join(
            f"`{r['claim']}/{r['witness']}` ({len(r['false_alarms'])} false alarms, {len(r['misses'])} misses, "
            f"{len(r['errors'])} errors)" for r in bad_fixed), ""]
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.witness_seeds", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=200, help="base seeds 0..N-1 per witness (default 200)")
    ap.add_argument("--claims", nargs="*", default=[], metavar="PATTERN",
                    help="claim ids, id prefixes or fnmatch patterns (default: the whole catalog)")
    ap.add_argument("--minutes", type=float, default=60.0,
                    help="time budget of one core for the runs; over it, expensive witnesses get fewer seeds")
    ap.add_argument("--deep", type=int, default=2000, metavar="N",
                    help="run a flagged witness on to N seeds (default 2000; 0: never)")
    ap.add_argument("--json", metavar="FILE", help="also write every row as JSON")
    ap.add_argument("--doc", metavar="FILE", default=str(DOC), help=f"the markdown report (default {DOC})")
    ap.add_argument("--no-doc", action="store_true", help="do not write the markdown report")
    ap.add_argument("--from-json", metavar="FILE", help="re-render the report from a saved --json file")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error("--seeds must be at least 1")
    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
    else:
        data = run(args.claims, seeds=args.seeds, minutes=args.minutes, deep=args.deep, quiet=args.quiet)
        shown = list(argv if argv is not None else sys.argv[1:])
        if "--json" in shown:           # where the JSON went does not change the report
            i = shown.index("--json")
            del shown[i:i + 2]
        data["command"] = " ".join(["python -m bench.witness_seeds", *shown])
        data["date"] = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        data["commit"] = _commit()
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, args.json)
    if not args.no_doc:
        text = render(data)
        Path(args.doc).parent.mkdir(parents=True, exist_ok=True)
        tmp = args.doc + ".tmp"
        Path(tmp).write_text(text + "\n")
        os.replace(tmp, args.doc)
    over = [r for r in data["rows"] if r["over_budget"]]
    print(f"{sum(1 for r in data['rows'] if r['stochastic'])} stochastic witnesses; catalog: "
          f"{len(data['catalog']['seeds_with_false_alarm'])}/{data['catalog']['seeds']} seeds with a false alarm; "
          f"{len(over)} witnesses over budget; {data['seconds']:.0f} s")
    return 1 if over or data["unexpected"] else 0


if __name__ == "__main__":
    sys.exit(main())
