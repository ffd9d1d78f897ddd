"""The gradient witness side by side with torch gradcheck and jax check_grads (issue 9).

    python -m bench.gradients [--quick] [--doc docs/benchmarks.md] [--json out.json]

Same instances for every tool: a weight-normalised layer
``L(W, b) = sum_k v_k (w_k . x + b_k) / |w_k|`` in float64 with n = 16, 256,
4096 parameters (m = 2, 8, 64 units).  Every tool checks the *same analytic
gradient* (numpy, written by hand), never its own autodiff: torch through a
``torch.autograd.Function`` whose backward returns it, jax through a
``jax.custom_vjp`` (so ``check_grads`` runs with ``modes=("rev",)``).

Measured per tool and n: time per check (one thread), loss evaluations,
false alarms (a right gradient reported wrong) over the instances for the
parameters scaled by 1e-4 .. 1e4, the layer input scaled likewise, and a
stationary point (the tilted loss ``L - <g0, theta>`` at theta, gradient 0);
the smallest single-entry relative error detected (``g_j -> g_j (1 + delta)``,
delta = 1e-2 .. 1e-10, j a fixed entry with |g_j| >= median |g|); what each
tool says at a kink (relu of a pre-activation that is exactly 0) and whether a
wrong entry next to the kink is still caught.

torch and jax are the optional ``bench`` extra (``pip install .[bench]``):
imported here only, never by proofs/ or derivations/.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("JAX_ENABLE_X64", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from proofs.finite_diff import gradient_check  # noqa: E402

SIZES = {16: (2, 7), 256: (8, 31), 4096: (64, 63)}     # n -> (units m, inputs)
SCALINGS = (1e-4, 1e-3, 1e3, 1e4)
DELTAS = tuple(10.0 ** -k for k in range(2, 11))
TOOLS = ("derivcheck", "derivcheck richardson", "gradcheck", "gradcheck fast",
         "jax check_grads")
BEFORE = "derivcheck before"        # the witness as issue 9 measured it (--before REV)
SETTINGS = tuple(["unscaled"] + [f"theta x {c:g}" for c in SCALINGS] + [f"input x {c:g}" for c in SCALINGS]
                 + ["stationary"])


# --------------------------------------------------------------------------
# instances
# --------------------------------------------------------------------------

class Layer:
    """Weight-normalised layer; ``relu=True`` puts relu on the normalised
    pre-activations and unit 0 exactly at the kink (b_0 = -w_0 . x)."""

    def __init__(self, size: int, seed: int, relu: bool = False):
        rng = np.random.default_rng([size, seed])
        self.m, self.n = SIZES[size]
        self.x = rng.standard_normal(self.n)
        self.v = rng.standard_normal(self.m)
        self.theta = rng.standard_normal(self.m * self.n + self.m)
        self.relu = relu
        self.tilt = None                      # g0 of the tilted (stationary) loss
        if relu:                              # unit 0 at the kink, the others active
            W = self.theta[: self.m * self.n].reshape(self.m, self.n)
            b = self.theta[self.m * self.n:]
            b[:] = -(W @ self.x) + np.abs(b) * (np.arange(self.m) > 0)

    def scaled(self, theta=1.0, inputs=1.0) -> "Layer":
        out = object.__new__(Layer)
        out.__dict__.update(self.__dict__)
        out.theta, out.x = self.theta * theta, self.x * inputs
        return out

    def stationary(self) -> "Layer":
        out = self.scaled()
        out.tilt = self.grad(self.theta)
        return out

    def loss(self, t, xp=np, relu=None):
        """Batched (..., p), complex-safe for numpy; xp = numpy, torch or jax.numpy."""
        mn = self.m * self.n
        W = t[..., :mn].reshape(tuple(t.shape[:-1]) + (self.m, self.n))
        z = (W @ self.x + t[..., mn:]) / xp.sqrt(xp.sum(W * W, axis=-1))
        if self.relu:
            z = relu(z) if relu is not None else np.where(z.real > 0, z, 0)
        out = xp.sum(self.v * z, axis=-1)
        if self.tilt is not None:
            out = out - xp.sum(t * self.tilt, axis=-1)
        return out

    def grad(self, t):
        mn = self.m * self.n
        W, b = t[:mn].reshape(self.m, self.n), t[mn:]
        norm = np.sqrt(np.sum(W * W, axis=-1))
        pre = W @ self.x + b
        on = (pre > 0).astype(float) if self.relu else np.ones(self.m)   # relu'(0) = 0
        gW = (on * self.v)[:, None] * (self.x[None, :] / norm[:, None]
                                       - (pre / norm ** 3)[:, None] * W)
        g = np.concatenate([gW.ravel(), on * self.v / norm])
        return g if self.tilt is None else g - self.tilt


def probe_entry(layer: Layer) -> int:
    """A fixed entry with |g_j| >= median |g| (not a near-zero one)."""
    g = np.abs(layer.grad(layer.theta))
    candidates = np.flatnonzero(g >= np.median(g))
    return int(np.random.default_rng(len(g)).choice(candidates))


# --------------------------------------------------------------------------
# the tools: each returns verdict ("pass", "fail", "not differentiable"),
# forward evaluations, backward passes, seconds, entry named (or None)
# --------------------------------------------------------------------------

def run_derivcheck(layer: Layer, grad, use_complex=None):
    """``use_complex=False``: the Richardson path, what a loss that is not
    holomorphic as written gets."""
    calls = [0]

    def f(points):
        calls[0] += len(points)
        return layer.loss(points)

    t0 = time.perf_counter()
    res = gradient_check(f, grad, layer.theta, batched=True, chunk=512,
                         use_complex=use_complex)
    dt = time.perf_counter() - t0
    assert calls[0] == res.n_evals
    named = res.worst_index if res.status == "fail" else None
    return dict(verdict=res.status, evals=calls[0], backward=0, seconds=dt, named=named,
                kinks=len(res.kinks), ratio=res.worst_ratio)


def run_torch(layer: Layer, grad, fast: bool):
    import torch
    torch.set_num_threads(1)
    G = torch.tensor(grad, dtype=torch.float64)
    counts = {"forward": 0, "backward": 0}
    xt = torch.tensor(layer.x)
    vt = torch.tensor(layer.v)
    tilt = None if layer.tilt is None else torch.tensor(layer.tilt)
    proxy = layer.scaled()
    proxy.x, proxy.v, proxy.tilt = xt, vt, tilt

    class Loss(torch.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return proxy.loss(t, xp=torch, relu=torch.relu)

        @staticmethod
        def backward(ctx, go):
            counts["backward"] += 1
            return go * G

    def fn(t):
        counts["forward"] += 1
        return Loss.apply(t)

    t = torch.tensor(layer.theta, dtype=torch.float64, requires_grad=True)
    t0 = time.perf_counter()
    ok = torch.autograd.gradcheck(fn, (t,), raise_exception=False, fast_mode=fast)
    dt = time.perf_counter() - t0
    return dict(verdict="pass" if ok else "fail", evals=counts["forward"],
                backward=counts["backward"], seconds=dt, named=None, kinks=0)


def run_jax(layer: Layer, grad):
    import jax
    import jax.numpy as jnp
    from jax.test_util import check_grads
    G = jnp.asarray(grad)
    counts = {"forward": 0, "backward": 0}
    proxy = layer.scaled()
    proxy.x, proxy.v = jnp.asarray(layer.x), jnp.asarray(layer.v)
    proxy.tilt = None if layer.tilt is None else jnp.asarray(layer.tilt)

    def primal(t):
        counts["forward"] += 1
        return proxy.loss(t, xp=jnp, relu=jax.nn.relu)

    @jax.custom_vjp
    def f(t):
        return primal(t)

    def f_fwd(t):
        return primal(t), None

    def f_bwd(_, ct):
        counts["backward"] += 1
        return (ct * G,)

    f.defvjp(f_fwd, f_bwd)
    t = jnp.asarray(layer.theta)
    t0 = time.perf_counter()
    try:
        check_grads(f, (t,), order=1, modes=("rev",))
        verdict = "pass"
    except AssertionError:
        verdict = "fail"
    dt = time.perf_counter() - t0
    return dict(verdict=verdict, evals=counts["forward"], backward=counts["backward"],
                seconds=dt, named=None, kinks=0)


def load_before(rev: str):
    """proofs/finite_diff.py as of git revision ``rev`` (read with git show)."""
    import subprocess
    import sys
    import types
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = subprocess.run(["git", "show", f"{rev}:proofs/finite_diff.py"], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    mod = types.ModuleType("finite_diff_before")
    sys.modules[mod.__name__] = mod
    exec(compile(src, f"proofs/finite_diff.py@{rev}", "exec"), mod.__dict__)
    return mod


_BEFORE = {}


def run_before(layer: Layer, grad):
    """The old witness as issue 9 measured it: complex-step gradient_check, Richardson
    gradient_check (all coordinates for n <= 500, else 8 random directions) and a Taylor
    test along a unit-norm direction; wrong iff any of the three says so (5n + 14 evaluations)."""
    fd = _BEFORE["module"]
    calls = [0]

    def f(points):
        calls[0] += len(points)
        return layer.loss(points)

    def f1(point):
        calls[0] += 1
        return float(np.real(layer.loss(point)))

    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    a = fd.gradient_check(f, grad, layer.theta, rng=rng, use_complex=True, batched=True)
    b = fd.gradient_check(f, grad, layer.theta, rng=rng, batched=True)
    d = rng.standard_normal(layer.theta.size)
    c = fd.taylor_test(f1, grad, layer.theta, d / np.linalg.norm(d))
    dt = time.perf_counter() - t0
    ok = a.passed and b.passed and c.passed
    worst = a if not a.passed else b
    named = worst.worst_index if (not ok and worst.coordinate and not worst.passed) else None
    return dict(verdict="pass" if ok else "fail", evals=calls[0], backward=0, seconds=dt,
                named=named, kinks=0)


def run(tool: str, layer: Layer, grad):
    if tool == "derivcheck":
        return run_derivcheck(layer, grad)
    if tool == "derivcheck richardson":
        return run_derivcheck(layer, grad, use_complex=False)
    if tool == BEFORE:
        return run_before(layer, grad)
    if tool == "gradcheck":
        return run_torch(layer, grad, fast=False)
    if tool == "gradcheck fast":
        return run_torch(layer, grad, fast=True)
    return run_jax(layer, grad)


# --------------------------------------------------------------------------
# experiments
# --------------------------------------------------------------------------

def smallest_detected(tool, layer, j):
    """Decreasing delta until the first miss: (smallest delta caught, entry named each time)."""
    g = layer.grad(layer.theta)
    best, named = None, True
    for delta in DELTAS:
        bad = g.copy()
        bad[j] *= 1 + delta
        r = run(tool, layer, bad)
        if r["verdict"] != "fail":
            break
        best = delta
        if tool.startswith("derivcheck"):
            named &= r["named"] == j
    return best, named


def measure(sizes, instances, sens_instances, tools, log=print):
    out = {}
    for size in sizes:
        for tool in tools:
            rec = dict(seconds=[], evals=[], backward=[],
                       false_alarms={s: 0 for s in SETTINGS}, detected=[], named=[],
                       kink=[], kink_wrong=[], kink_named=[], instances=instances, ratio=0.0)
            for seed in range(instances):
                base = Layer(size, seed)
                r = run(tool, base, base.grad(base.theta))
                rec["seconds"].append(r["seconds"])
                rec["evals"].append(r["evals"])
                rec["backward"].append(r["backward"])
                rec["false_alarms"]["unscaled"] += r["verdict"] != "pass"
                rec["ratio"] = max(rec["ratio"], r.get("ratio", 0.0))
                variants = [(f"theta x {c:g}", base.scaled(theta=c)) for c in SCALINGS]
                variants += [(f"input x {c:g}", base.scaled(inputs=c)) for c in SCALINGS]
                variants += [("stationary", base.stationary())]
                for name, layer in variants:
                    r = run(tool, layer, layer.grad(layer.theta))
                    rec["false_alarms"][name] += r["verdict"] != "pass"
                    rec["ratio"] = max(rec["ratio"], r.get("ratio", 0.0))
                kinked = Layer(size, seed, relu=True)
                gk = kinked.grad(kinked.theta)
                r = run(tool, kinked, gk)
                rec["kink"].append(r["verdict"] + (f" ({r['kinks']} coords)" if r["kinks"] else ""))
                last = slice((kinked.m - 1) * kinked.n, kinked.m * kinked.n)
                j = last.start + int(np.argmax(np.abs(gk[last])))  # the last unit's largest
                bad = gk.copy()
                bad[j] *= 1 + 1e-6
                r = run(tool, kinked, bad)
                rec["kink_wrong"].append(r["verdict"])
                rec["kink_named"].append(r["named"] == j)
                if seed < sens_instances:
                    d, named = smallest_detected(tool, base, probe_entry(base))
                    rec["detected"].append(d)
                    rec["named"].append(named)
            out[(size, tool)] = rec
            log(f"n={size:5d} {tool:16s} t={np.median(rec['seconds']):.3g}s "
                f"evals={int(np.median(rec['evals']))} fa={rec['false_alarms']} "
                f"det={rec['detected']} kink={rec['kink'][:2]} kw={rec['kink_wrong'][:2]}")
    return out


# --------------------------------------------------------------------------
# the document
# --------------------------------------------------------------------------

def _fmt_delta(ds):
    if any(d is None for d in ds) or not ds:
        caught = [d for d in ds if d is not None]
        return "none" if not caught else f"{max(caught):.0e} in {len(caught)}/{len(ds)}"
    return f"{max(ds):.0e}" if max(ds) == min(ds) else f"{max(ds):.0e} (best {min(ds):.0e})"


def _evals(rec, tool):
    e = int(np.median(rec["evals"]))
    b = int(np.median(rec["backward"]))
    return f"{e}" + (f" + {b} bwd" if b else "")


def _cell(text: str) -> str:
    """Text for a markdown table cell (a | would end the cell)."""
    return str(text).replace("|", "\\|")


def _kink_summary(values):
    from collections import Counter
    return ", ".join(f"{k} {v}/{len(values)}" for k, v in Counter(values).most_common())


def machine():
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next(l.split(":", 1)[1].strip() for l in fh if l.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor()
    for mod in ("torch", "jax", "jaxlib"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = "absent"
    return info


GOALS = (
    "No false alarm for scalings 1e-4..1e4 (parameters, input) and at a stationary point",
    "At most gradcheck default's evaluations at every n, no cliff",
    "1e-8 single-entry relative error detected",
    "A kink reported as 'not differentiable at x[i]', not as pass or fail",
    "A failing check names the wrong entry",
)

# why a goal is missed, per derivcheck variant (shown only where the measurement says "no")
MISSES = {
    "derivcheck richardson": (
        "",
        "Without complex arithmetic a slope needs two step sizes to estimate its own "
        "truncation error: f at +-t and +-t/2 per coordinate, 4n + 1. One step (2n + 1, like "
        "gradcheck) would leave the O(t^2) truncation unmeasured, i.e. a fixed tolerance.",
        "A real difference loses ~eps^(2/3) of relative accuracy at its best step; the "
        "extrapolated truncation estimate |D(t/2) - D(t)|/3 with k = 10 puts the budget at "
        "~1e-9..1e-6 of |g_j|, depending on the curvature along the coordinate.",
        "", ""),
    BEFORE: (
        "Taylor steps of unit norm (not small against a parameter vector of norm 1e-3), "
        "a complex-step budget proportional to max abs(g) (0 at a stationary point).",
        "Complex step (n) + Richardson (4n + 1) + Taylor test (13) = 5n + 14, and 8 random "
        "directions above n = 500.",
        "",
        "The complex step on the kink and a pooled RMS noise estimate that a kink inflates.",
        "At a kink the old check's worst entry is a kink coordinate, not the wrong entry; "
        "above n = 500 a random direction names no entry."),
}


def goals(res, sizes, tool):
    """(goal, met?, evidence) for each goal of issue 9, for one derivcheck variant."""
    dc = {s: res[(s, tool)] for s in sizes if (s, tool) in res}
    gc = {s: res[(s, "gradcheck")] for s in sizes if (s, "gradcheck") in res}
    fa = {s: sum(r["false_alarms"].values()) for s, r in dc.items()}
    ev = {s: (int(np.median(dc[s]["evals"])), int(np.median(gc[s]["evals"])) if s in gc else None)
          for s in dc}
    det = {s: max((d if d is not None else 1.0) for d in r["detected"]) for s, r in dc.items()
           if r["detected"]}
    kinks = {s: r["kink"] for s, r in dc.items()}
    named = {s: all(r["named"]) and all(r["kink_named"]) for s, r in dc.items()}
    return [
        (GOALS[0], all(v == 0 for v in fa.values()),
         ", ".join(f"n={s}: {v}" for s, v in fa.items()) + " false alarms"),
        (GOALS[1], all(b is None or a <= b for a, b in ev.values()),
         ", ".join(f"n={s}: {a} vs {b}" for s, (a, b) in ev.items())),
        (GOALS[2], all(d <= 1e-8 for d in det.values()),
         ", ".join(f"n={s}: {d:.0e}" for s, d in det.items()) + " caught in every instance"),
        (GOALS[3], all(all(k.startswith("not differentiable") for k in v) for v in kinks.values()),
         "; ".join(f"n={s}: {_kink_summary(v)}" for s, v in kinks.items())),
        (GOALS[4], all(named.values()),
         ", ".join(f"n={s}: {'yes' if v else 'no'}" for s, v in named.items())),
    ]


def render(res, sizes, tools, instances, sens_instances, info, started, load):
    lines = [
        "# Gradient witness benchmark (issue 9)",
        "",
        "<!-- generated by `python -m bench.gradients --doc docs/benchmarks.md`; do not edit by hand -->",
        "",
        f"Generated by `python -m bench.gradients` on {started:%Y-%m-%d %H:%M} UTC. "
        f"Machine: {info['cpu']}, {info['cpus']} cores, {info['platform']}; Python "
        f"{info['python']}, numpy {info['numpy']}, torch {info['torch']}, jax {info['jax']} "
        f"(jaxlib {info['jaxlib']}), all on CPU in float64 with one thread "
        "(`torch.set_num_threads(1)`, XLA single-threaded, BLAS threads 1).",
        "",
        f"**Load caveat.** The machine was shared with other jobs while this ran (load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end, {info['cpus']} cores), so times "
        "are noisy: only ratios between tools at the same n (measured minutes apart) are "
        "indicative, to a factor of about 2. Loss evaluations are deterministic and are the "
        "primary cost measure; time is secondary.",
        "",
        "## What is measured",
        "",
        "Instances: the weight-normalised layer `L(W, b) = sum_k v_k (w_k . x + b_k) / |w_k|` with "
        "n = 16, 256, 4096 parameters (2, 8, 64 units of 7, 31, 63 inputs), all entries N(0, 1), "
        f"{instances} instances per n. Every tool checks the same hand-written numpy gradient: "
        "torch through an `autograd.Function` whose backward returns it, jax through a "
        "`custom_vjp` (so `check_grads(f, (theta,), order=1, modes=('rev',))`, default tolerances "
        "and `eps = 1e-4`). torch `gradcheck` is run with its defaults (`eps = 1e-6, "
        "atol = 1e-5, rtol = 1e-3`), with and without `fast_mode`; derivcheck is "
        "`proofs.finite_diff.gradient_check(f, g, theta, batched=True)`.",
        "",
        "* **time**: median seconds of one check of a right gradient.",
        "* **evaluations**: loss evaluations per check. derivcheck: points passed to the "
        "(batched) loss, counted by a wrapper (= `n_evals`). torch: calls of the checked "
        "function (each one forward pass) counted by a wrapper, plus calls of the custom "
        "backward (`bwd`). jax: calls of the Python loss (each a forward evaluation or the "
        "trace of one inside `vjp`) plus calls of the custom backward.",
        "* **false alarms**: right gradients reported wrong (for derivcheck: anything but "
        f"`pass`), out of {instances}, for the parameters theta scaled by 1e-4, 1e-3, 1e3, 1e4 "
        "(the loss is invariant, the gradient scales by 1/c), the layer input x scaled likewise "
        "(loss and gradient scale by c), and at a stationary point (the tilted loss "
        "`L(theta) - <g0, theta>` with `g0 = grad L(theta0)`, checked at theta0, gradient 0; the "
        "terms of the loss are not small).",
        f"* **smallest error**: `g_j -> g_j (1 + delta)` for a fixed entry with |g_j| >= median |g|, "
        f"delta = 1e-2, 1e-3, ... until the first miss; the value given is caught in every one of "
        f"{sens_instances} instances (`best` where some instance went further).",
        "* **kink**: relu on the normalised pre-activations with unit 0 exactly at 0 "
        "(`b_0 = -w_0 . x`), its right gradient (relu'(0) = 0): the verdict. **kink + wrong "
        "entry**: the same with one entry of an active unit off by 1e-6 relative.",
        "",
        "## Table",
        "",
        "| tool | n | time (s) | evaluations | false alarms: " + ", ".join(SETTINGS)
        + " | smallest error detected | kink | kink + wrong entry |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        for tool in tools:
            if (size, tool) not in res:
                continue
            rec = res[(size, tool)]
            fa = " / ".join(str(rec["false_alarms"][s]) for s in SETTINGS)
            lines.append(f"| {tool} | {size} | {np.median(rec['seconds']):.3g} | "
                         f"{_evals(rec, tool)} | {fa} | {_fmt_delta(rec['detected'])} | "
                         f"{_kink_summary(rec['kink'])} | {_kink_summary(rec['kink_wrong'])} |")
    lines += ["", "False alarms are listed in the order of the header "
              f"(out of {instances} each); 0 / 0 / ... means none.", "",
              "## Goals of issue 9", "",
              "`derivcheck` is `gradient_check` as the weight-normalised layer gets it (the "
              "loss is holomorphic as written: complex pair). `derivcheck richardson` is the "
              "path of a loss that is not (abs, conj, comparisons): it is listed with its own "
              "verdicts." + (f" `{BEFORE}` is `proofs/finite_diff.py` at {_BEFORE.get('rev')} "
                             "run as issue 9 measured it (complex step + Richardson + Taylor "
                             "test)." if BEFORE in tools else ""), ""]
    variants = [t for t in ("derivcheck", "derivcheck richardson", BEFORE) if t in tools]
    for tool in variants:
        lines += [f"### {tool}", "", "| goal | met | measured | why not |", "|---|---|---|---|"]
        for i, (goal, met, ev) in enumerate(goals(res, sizes, tool)):
            why = "" if met else (MISSES.get(tool, ("",) * 5)[i] or "see the table")
            lines.append(f"| {goal} | {'yes' if met else '**no**'} | {_cell(ev)} | {_cell(why)} |")
        lines.append("")
    ratios = [f"n={size}: {np.median(res[(size, 'derivcheck')]['seconds']) / np.median(res[(size, 'gradcheck')]['seconds']):.2g}"
              for size in sizes if (size, "derivcheck") in res and (size, "gradcheck") in res]
    lines += ["## How, and what each number rests on", ""] + NOTES
    margins = [f"n={size}: {res[(size, 'derivcheck')]['ratio']:.2g}" for size in sizes
               if (size, "derivcheck") in res]
    if margins:
        lines += ["* **Margins.** Largest discrepancy / budget of derivcheck over all right "
                  "gradients above (every scaling, the stationary point): " + ", ".join(margins)
                  + " (1 would be a false alarm); the smallest error column says how far "
                  "below 1e-8 a wrong entry is still outside its budget."]
    if ratios:
        lines += [f"* **Time** (secondary, shared machine): derivcheck / gradcheck default = "
                  + ", ".join(ratios) + ". The evaluations are nearly equal; the difference is "
                  "the batched numpy loss vs a torch call per point, and complex arithmetic "
                  "(about twice the cost of real) at large n." + (
                      f" `{BEFORE}` is fastest at n = 4096 because it checked 8 random "
                      "directions there (54 evaluations, the cliff) and so could name no entry."
                      if BEFORE in tools else "")]
    return "\n".join(lines) + "\n"


NOTES = [
    "* **No cliff, fewer evaluations.** derivcheck checks every coordinate at every n with "
    "2n + 1 evaluations: f(x) and the complex pair `f(x +- t e_i + i h e_i)` (t = 2^-24 s_i, "
    "h = 2^-64 s_i, s_i = max(|x_i|, 2^-10 rms x)). The imaginary parts are complex-step "
    "derivatives at x +- t e_i, interpolated to x; the real parts give the rounding noise of f, "
    "a kink statistic and a holomorphy check, at no extra cost. gradcheck's default costs "
    "2n + 2 forward passes plus backward passes; its fast mode and jax check one random "
    "direction (a handful of evaluations) and are correspondingly blind (see the smallest "
    "error column).",
    "* **Scale.** Every step and budget is a multiple of s_i, and the budget of slope i is "
    "`16 sigma_f / s_i` with sigma_f the measured rounding noise of f (median over "
    "coordinates), i.e. set by the size of f's terms, not by max |g|. Scaling theta or x "
    "scales slopes and budgets alike; at a stationary point g ~ 0 but the terms, hence the "
    "budget, are unchanged. gradcheck's absolute `atol = 1e-5` and `eps = 1e-6`, and jax's "
    "absolute `eps = 1e-4` along a N(0, 1) direction, are what the scaled rows test.",
    "* **Kinks.** A coordinate whose one-sided slopes differ is reported as `not "
    "differentiable at x[i] (coordinate i)` with the left and right derivatives, neither "
    "pass nor fail (a relu at exactly 0 is non-differentiable along every coordinate of its "
    "unit, so all of them are listed). The noise estimate is a median over the other "
    "coordinates, so a kink does not inflate their budgets: a wrong entry elsewhere still "
    "fails, named. torch and jax have no such outcome: their central difference straddles "
    "the kink.",
    "* **Limits.** The complex pair needs f holomorphic as written (no abs, conj, "
    "comparisons on perturbed values other than on the real part); otherwise the "
    "holomorphy check (real chord vs complex slope) falls back to Richardson, the "
    "`derivcheck richardson` rows: no false alarms and kinks reported too, but 4n + 1 "
    "evaluations and a coarser smallest error (its two misses are explained above). The "
    "budget's size argument (`|dT/dx_i| <~ |T|/|x_i|` for a term T of f) is a heuristic; the "
    "margins it leaves on these instances are listed below (Margins). "
    "See the docstring of `proofs/finite_diff.py` for every constant; docs/false-alarms.md "
    "covers the witnesses' false alarms elsewhere in the catalog.",
    "* **Batched path.** derivcheck is run with `batched=True` (512 points per call of the "
    "loss). The witnesses in derivations/ do not call `gradient_check`: they take three "
    "directional derivatives of a layer of at most 4 x 5 with `complex_step`, so batching "
    "has nothing to speed up there. Their Richardson cross-check now measures the loss's "
    "rounding noise (`richardson(..., measure_noise=True)`, 17 more evaluations) instead of "
    "assuming one ulp of |f|. Over seeds 0..1999 the one-ulp floor false-alarmed in "
    "weightnorm.grad_b 3, grad_x 1, grad_w.corrected 4, batched_layer.per_example_grad 13 and "
    "batch_grad 0 times (diagnosed in bench/witness_seeds.py); the measured floor in none.",
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n = 16, 256; 2 instances")
    ap.add_argument("--doc", help="write the markdown table here (docs/benchmarks.md)")
    ap.add_argument("--json", help="write the raw measurements here")
    ap.add_argument("--instances", type=int, default=None)
    ap.add_argument("--sensitivity-instances", type=int, default=None)
    ap.add_argument("--sizes", type=int, nargs="*", default=None)
    ap.add_argument("--tools", nargs="*", default=None, choices=TOOLS + (BEFORE,))
    ap.add_argument("--before", metavar="REV", default=None,
                    help="also run proofs/finite_diff.py as of git revision REV, as issue 9 "
                         "measured it (complex step + Richardson + Taylor test)")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([16, 256] if args.quick else list(SIZES))
    instances = args.instances or (2 if args.quick else 10)
    sens = args.sensitivity_instances or (1 if args.quick else 3)
    tools = args.tools or list(TOOLS)
    if args.before:
        _BEFORE["module"], _BEFORE["rev"] = load_before(args.before), args.before
        tools = [BEFORE] + [t for t in tools if t != BEFORE]
    started = datetime.datetime.now(datetime.timezone.utc)
    load0 = os.getloadavg()[0]
    res = measure(sizes, instances, min(sens, instances), tools)
    load1 = os.getloadavg()[0]
    info = machine()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({f"{s}|{t}": v for (s, t), v in res.items()}, fh, indent=1, default=str)
    text = render(res, sizes, tools, instances, min(sens, instances), info, started,
                  (load0, load1))
    if args.doc:
        with open(args.doc, "w") as fh:
            fh.write(text)
    else:
        print(text)
    return res


if __name__ == "__main__":
    main()
