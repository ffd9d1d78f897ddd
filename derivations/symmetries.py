"""Weight-space symmetries: swapping two hidden units together with their input and output weights leaves
the network function unchanged, so a network with m layers of n hidden units has at least (n!)^m
equivalent solutions. Encodes Exercise 4 (Weight space symmetries) of week 5 (004).
"""
# Weight-space symmetries (Gerstner, week 5, Exercise 4): permuting the hidden units of a layer (their
# input and output weights together) leaves the network function unchanged, so a network with m layers of
# n hidden units has at least (n!)^m equivalent solutions.
#
# The invariance is proved symbolically for the source's example (m = 2 layers of n = 3 units, two inputs,
# one output, symbolic weights and biases, a generic elementwise activation sigma given as an undefined
# function), for all 6 * 6 = 36 permutations. The count is the product rule over layers. Witnesses run the
# forward pass of random networks (numpy) for every permutation and count the distinct weight vectors.

import itertools

import numpy as np
import sympy as sp

from proofs import claim, Eq, Source

TOPIC = "symmetries"
WEEK5 = "004_75a7c5df244e2fc1.txt"


def _src(part: str) -> Source:
    return Source(WEEK5, f"Exercise 4 (Weight space symmetries), solution{part}")


# ------------------------------------------------------------------------------------------------
# the network: symbolic and numeric forward passes, and the permutation of hidden units
# ------------------------------------------------------------------------------------------------
def permute_units(params, perms):
    """Permute the hidden units of each layer: layer l's rows of W_l and entries of b_l by perms[l], and the
    columns of the next layer's weights (its input weights from layer l) by the same permutation.
    ``params`` = [(W_1, b_1), ..., (W_m, b_m), (V, c)] as nested lists / arrays (output layer last)."""
    out = [(np.array(W, dtype=object), np.array(b, dtype=object)) for W, b in params]
    for l, p in enumerate(perms):
        W, b = out[l]
        out[l] = (W[list(p), :], b[list(p)])
        Wn, bn = out[l + 1]
        out[l + 1] = (Wn[:, list(p)], bn)
    return out


def forward(params, x, act):
    """y = V act(W_m ... act(W_1 x + b_1) ... + b_m) + c, the activation applied elementwise."""
    h = list(x)
    for W, b in params[:-1]:
        h = [act(sum(W[j][i] * h[i] for i in range(len(h))) + b[j]) for j in range(len(b))]
    V, c = params[-1]
    return [sum(V[k][j] * h[j] for j in range(len(h))) + c[k] for k in range(len(c))]


def symbolic_network(d, n=3, m=2, n_in=2, n_out=1):
    """Symbolic weights and biases of an m-layer network with n hidden units per layer."""
    params, size = [], n_in
    for l in range(1, m + 1):
        W = [[d.symbol(f"W{l}_{j}{i}", real=True) for i in range(1, size + 1)] for j in range(1, n + 1)]
        b = [d.symbol(f"b{l}_{j}", real=True) for j in range(1, n + 1)]
        params.append((W, b))
        size = n
    V = [[d.symbol(f"V_{k}{j}", real=True) for j in range(1, n + 1)] for k in range(1, n_out + 1)]
    c = [d.symbol(f"c_{k}", real=True) for k in range(1, n_out + 1)]
    params.append((V, c))
    x = [d.symbol(f"x_{i}", real=True) for i in range(1, n_in + 1)]
    return params, x


@claim(id="symmetries.permutation_invariance",
       title="Swapping two hidden units with their input and output weights leaves the network unchanged",
       source=_src(""),
       statement="Given a solution, and assuming the same activation functions across all neurons in a layer, we "
                 "can swap any two neurons simply by swapping their input and output weights. There are therefore "
                 "$n!$ ways to arrange which neuron has which weights in one layer. In addition, we can choose "
                 "combinations across different layers independently.",
       reading="for the example $m = 2$ layers of $n = 3$ units (one input, one output, any weights, biases and "
               r"any elementwise activation $\sigma$): swapping two adjacent units of a layer together with their "
               "input and output weights gives the same output $y(x)$ for every $x$; these swaps generate all $6 "
               r"\cdot 6$ unit permutations of the two layers")
def permutation_invariance(d):
    sigma = d.function("sigma")
    params, x = symbolic_network(d, n_in=1)
    y = forward(params, x, sigma)[0]
    d.note(r"$\sigma$ is an undefined function (any elementwise activation): the engine can prove identities with "
           r"it but cannot refute them numerically (engine gap); the witness uses $\tanh$.")
    ident = (0, 1, 2)
    swaps = {"swap units 1, 2 of layer 1": [(1, 0, 2), ident], "swap units 2, 3 of layer 1": [(0, 2, 1), ident],
             "swap units 1, 2 of layer 2": [ident, (1, 0, 2)], "swap units 2, 3 of layer 2": [ident, (0, 2, 1)]}
    rels = tuple(Eq(y, forward(permute_units(params, p), x, sigma)[0]) for p in swaps.values())
    d.step(rels, rule="; ".join(swaps) + " (each together with its input and output weights)", using=[],
           label="four swaps")
    d.note("The adjacent swaps generate all $3!$ permutations of a layer, and the layers' permutations commute, so "
           r"invariance under these four swaps is invariance under all $6 \cdot 6 = 36$ unit permutations.")
    d.statement(rels)


def _random_params(rng, n, m, n_in=3, n_out=2):
    params, size = [], n_in
    for _ in range(m):
        params.append((rng.normal(size=(n, size)), rng.normal(size=n)))
        size = n
    params.append((rng.normal(size=(n_out, n)), rng.normal(size=n_out)))
    return params


def _np_forward(params, X, act):
    H = X
    for W, b in params[:-1]:
        H = act(H @ np.asarray(W, dtype=float).T + np.asarray(b, dtype=float))
    V, c = params[-1]
    return H @ np.asarray(V, dtype=float).T + np.asarray(c, dtype=float)


def _softplus(z):
    return np.log1p(np.exp(z))


ACTIVATIONS = (("tanh", np.tanh), ("softplus", _softplus))   # an odd one and one with no symmetry


@permutation_invariance.witness("simulation")
def _permuted_networks(w):
    """For random weights and inputs (4 points, distinct Gaussian values), the claim's networks are run with
    sigma = tanh and sigma = softplus (numpy): every relation of the statement is evaluated, both sides at the same
    weights, and must hold to 1e-9 (its own relation operator on the two outputs). The numpy forward pass of the
    network as built here (``_np_forward`` with the permutation applied by ``permute_units``) is run alongside and
    its agreement with the statement's sides is reported (not used for the verdict: a relabelling of the weights in
    both sides is still a true statement)."""
    S = w.S
    rels = w._relations()
    syms = sorted({s for rel in rels for s in rel.free_symbols}, key=lambda s: s.name)
    tol = 1e-9
    worst, count, bad, ref = 0.0, 0, [], 0.0
    fns = {(name, r): sp.lambdify(syms, [rel.lhs, rel.rhs], modules=[{"sigma": act}, "numpy"])
           for name, act in ACTIVATIONS for r, rel in enumerate(rels)}
    for _ in range(4):
        vals = {s: float(w.rng.normal()) for s in syms}
        byname = {str(s): v for s, v in vals.items()}
        for name, act in ACTIVATIONS:
            for r, rel in enumerate(rels):
                f = fns[name, r]
                lhs, rhs = (float(v) for v in f(*[vals[s] for s in syms]))
                diff = lhs - rhs
                ok = (abs(diff) <= tol * (1 + abs(lhs) + abs(rhs))) if isinstance(rel, sp.Equality) else \
                    bool(type(rel)(lhs, rhs)) or abs(diff) <= tol * (1 + abs(lhs) + abs(rhs))
                worst = max(worst, abs(diff))
                count += 1
                if not ok:
                    bad.append(f"relation {r + 1}, sigma = {name}: {lhs:.12g} vs {rhs:.12g}")
            try:                                                # the process as numpy code, for the report
                params = [(np.array([[byname[f"W1_{j}1"]] for j in range(1, 4)]),
                           np.array([byname[f"b1_{j}"] for j in range(1, 4)])),
                          (np.array([[byname[f"W2_{j}{i}"] for i in range(1, 4)] for j in range(1, 4)]),
                           np.array([byname[f"b2_{j}"] for j in range(1, 4)])),
                          (np.array([[byname[f"V_1{j}"] for j in range(1, 4)]]), np.array([byname["c_1"]]))]
                y = _np_forward(params, np.array([[byname["x_1"]]]), act)[0, 0]
                for p in ((0, 1, 2), (1, 0, 2)), ((0, 2, 1), (1, 2, 0)):
                    yq = _np_forward(permute_units(params, p), np.array([[byname["x_1"]]]), act)[0, 0]
                    ref = max(ref, abs(float(yq - y)))
            except KeyError:
                pass
    ok = not bad
    return w.observe(ok, f"{count} evaluations of the statement's relations (both sides; sigma = tanh, softplus; 4 "
                         f"random weight points): max |lhs - rhs| = {worst:.2e}"
                         + ("" if ok else f"; {len(bad)} fail, e.g. " + "; ".join(bad[:3]))
                         + f" | numpy forward passes of permuted networks vs the network: max |difference| {ref:.1e}",
                     method="numpy forward passes, sigma = tanh and softplus", n=count)


@claim(id="symmetries.equivalent_solutions",
       title="A network with $m$ layers of $n$ neurons has at least $(n!)^m$ equivalent solutions",
       source=_src(""),
       statement="There are therefore $n!$ ways to arrange which neuron has which weights in one layer. ... for "
                 "instance, in a 2-layer network with 3 neurons in each layer, we have 6 arrangements of layer 1 "
                 r"and 6 of layer 2, and $6 \cdot 6 = 36$ unique combinations of the two layers together. In "
                 "general, this gives us $(n!)^m$ equivalent solutions.",
       reading="the $(n!)^m$ permutations of the hidden units (each layer independently, input and output weights "
               "together) map a minimum to weight vectors with the same network function, hence the same loss; "
               "they are pairwise distinct when no two units of a layer have identical weights (generic weights); "
               "'at least' because other symmetries (e.g. sign flips for odd activations) can add more")
def equivalent_solutions(d):
    n, m = d.symbols("n m", integer=True, positive=True)
    Nl, N = d.symbols("N_layer N_equiv", integer=True, positive=True)
    per_layer = d.given(Eq(Nl, sp.factorial(n)), why="$n!$ arrangements of the units of one layer ($n$ permute $n$)",
                        label="one layer")
    layers = d.given(Eq(N, Nl ** m), why="the layers' arrangements are chosen independently (product rule)",
                     label="m layers")
    f = d.step(Eq(N, sp.factorial(n) ** m), rule="product rule", using=[per_layer, layers])
    ex = (d.chain(sp.Subs(sp.factorial(n) ** m, (n, m), (3, 2)))
          .eq(sp.Mul(6, 6, evaluate=False), rule="$3! = 6$ per layer", label="example")
          .eq(36, rule=r"$6 \cdot 6$", label="36"))
    stmt = (f.relation, ex.fact.relation)
    d.step(stmt, rule="collect", using=[f, ex.fact])
    d.statement(stmt)


def count_equivalent(rng, n, m, act=np.tanh):
    """Permute the units of a random network in every way; returns (number of distinct weight vectors,
    max output difference over random inputs)."""
    params = _random_params(rng, n, m)
    X = rng.normal(size=(16, params[0][0].shape[1]))
    y0 = _np_forward(params, X, act)
    seen, worst = set(), 0.0
    for perms in itertools.product(itertools.permutations(range(n)), repeat=m):
        q = permute_units(params, perms)
        flat = tuple(np.round(np.concatenate([np.asarray(a, dtype=float).ravel() for W, b in q for a in (W, b)]), 12))
        seen.add(flat)
        worst = max(worst, float(np.max(np.abs(_np_forward(q, X, act) - y0))))
    return len(seen), worst


@equivalent_solutions.witness("simulation")
def _count_by_permuting(w):
    """Random networks (n, m) = (3, 2), (2, 3), (4, 1), (3, 1): all unit permutations, distinct weight vectors
    counted, outputs on 16 random inputs compared. Every relation of the statement naming n, m or N_equiv is
    evaluated (both sides, exactly) at each counted network with N_equiv = the count; a relation naming none of them
    (the source's example, a Subs at a point) is evaluated exactly as written, and the count for the source's example
    network (2 layers of 3 units) must equal the value of its left side."""
    S = w.S
    obs = []
    counted = []
    for n, m in ((3, 2), (2, 3), (4, 1), (3, 1)):
        count, worst = count_equivalent(w.rng, n, m)
        counted.append((n, m, count))
        obs.append(w.observe(worst < 1e-12, f"(n, m) = ({n}, {m}): {count} distinct weight vectors, max output "
                             f"difference {worst:.1e}", method="numpy forward passes (tanh)", n=count))
    names = {S.N_equiv, S.n, S.m}
    example = dict(((n, m), c) for n, m, c in counted)[(3, 2)]
    for rel in w._relations():
        if rel.free_symbols & names:
            for n, m, count in counted:
                obs.append(w.exact({S.N_equiv: count, S.n: n, S.m: m}, relation=rel,
                                   method=f"all unit permutations of a random network with m = {m} layers of n = {n} "
                                          f"units", n=count))
        else:
            lhs, rhs = sp.sympify(rel.lhs).doit(), sp.sympify(rel.rhs).doit()
            holds = bool(type(rel)(lhs, rhs)) if lhs.is_number and rhs.is_number else False
            obs.append(w.observe(holds, f"{sp.sstr(rel)} evaluated as written: {lhs} vs {rhs}",
                                 method="the example evaluated as written"))
            obs.append(w.observe(lhs == example, f"example: {example} distinct solutions counted for 2 layers of 3 "
                                                 f"units; the statement's left side {sp.sstr(rel.lhs)} = {lhs}",
                                 n=example))
    return obs
