"""Figures: the records witnesses make (proofs.figure) and their drawing (proofs.report.figures).

Drawing needs matplotlib (the optional ``report`` extra); those tests are skipped, with the reason, only when
it is not installed. The figure of ``running_average.variance_limit`` is tested here (its module has no test
file); the other catalog figures are tested next to their claims (test_finite_differences, test_stationary,
test_gradient_averaging, test_unitwise_rates).
"""
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from proofs.figure import MAX_POINTS, Figure
from proofs.report import figures

ROOT = Path(__file__).resolve().parent.parent
needs_matplotlib = pytest.mark.skipif(
    not figures.available(), reason="matplotlib is not installed: pip install 'derivcheck[report]'")


def every_style() -> Figure:
    """A log-log figure with every series style, both kinds of mark, a shared label and maths in the text."""
    f = Figure(r"Every style on log axes, $\eta = 0.1$", xlabel=r"step $\varepsilon$", ylabel="|error|",
               xscale="log", yscale="log", caption="a test figure")
    hs = [2.0 ** -k for k in range(0, 20)]
    f.line(hs, [0.3 * h + 1e-12 / h for h in hs], label="measured", style="points")
    f.line(hs, [0.3 * h for h in hs], label="slope 1 (reference)", style="dashed")
    f.line(hs, [0.05 * h * h for h in hs], label=r"slope 2, $c\,\varepsilon^2$", style="dotted")
    f.line(hs, [0.05 * h * h + 1e-12 / h for h in hs], label="measured", style="solid")   # shares the label
    f.vline(1e-3, label="a vertical mark")
    f.hline(1e-6, label="a horizontal mark")
    return f


def linear_equal() -> Figure:
    f = Figure("Iterates over level sets", xlabel="$w_1$", ylabel="$w_2$", equal_aspect=True)
    f.line([0, 1, 2, 1.5], [0, 1, 0.5, -1], label="path", style="points")
    f.line([0, 1, 2, 1.5], [0, 1, 0.5, -1], label="path", style="dotted")
    f.line([2, 0, -2, 0, 2], [0, 2, 0, -2, 0])                  # unlabelled: no legend entry
    f.hline(0)
    return f


def semilog() -> Figure:
    f = Figure("A semilog figure whose title is long enough that it has to be wrapped onto a second line "
               "to fit the width", xlabel="t", ylabel="value", yscale="log")
    f.line(range(50), [1.5 ** t for t in range(50)], label="growth")
    f.vline(10, label="t = 10")
    return f


CASES = {"log-log": every_style, "equal aspect": linear_equal, "semilog": semilog}


# ------------------------------------------------------------------------------------------------
# the records (proofs/figure.py): no matplotlib needed
# ------------------------------------------------------------------------------------------------
def test_round_trip_through_json_is_exact():
    f = every_style()
    d = json.loads(json.dumps(f.to_dict()))
    assert Figure.from_dict(d).to_dict() == f.to_dict() == d
    assert d["series"][0]["style"] == "points" and d["marks"][1] == {"axis": "y", "at": 1e-06,
                                                                     "label": "a horizontal mark"}


def test_values_are_rounded_to_six_significant_digits():
    f = Figure("t").line([math.pi], [1 / 3])
    assert f.series[0].x == [3.14159] and f.series[0].y == [0.333333]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_rejected_where_recorded(bad):
    with pytest.raises(ValueError, match="finite"):
        Figure("t").line([1, 2], [1, bad])
    with pytest.raises(ValueError, match="finite"):
        Figure("t").vline(bad)


@pytest.mark.parametrize("axis", ["x", "y"])
@pytest.mark.parametrize("value", [0.0, -1.0])
def test_non_positive_values_on_a_log_axis_are_rejected(axis, value):
    f = Figure("t", xscale="log", yscale="log")
    x, y = ([1.0, value], [1.0, 2.0]) if axis == "x" else ([1.0, 2.0], [1.0, value])
    with pytest.raises(ValueError, match=f"non-positive {axis} value on a log axis"):
        f.line(x, y)


def test_bad_styles_scales_and_sizes_are_rejected():
    with pytest.raises(ValueError, match="style"):
        Figure("t").line([1], [1], style="dashdot")
    with pytest.raises(ValueError, match="xscale"):
        Figure("t", xscale="symlog")
    with pytest.raises(ValueError, match="x values but"):
        Figure("t").line([1, 2], [1])
    with pytest.raises(ValueError, match="at most"):
        Figure("t").line(range(MAX_POINTS + 1), range(MAX_POINTS + 1))


# ------------------------------------------------------------------------------------------------
# file names, availability, the import
# ------------------------------------------------------------------------------------------------
def test_figure_file_name_is_safe_deterministic_and_distinct():
    name = figures.figure_file_name("unitwise_rates.gd_iterates", "gradient_descent", 1)
    assert re.fullmatch(r"unitwise-rates-gd-iterates-gradient-descent-[0-9a-f]{10}-1\.pdf", name)
    assert name == figures.figure_file_name("unitwise_rates.gd_iterates", "gradient_descent", 1)
    odd = figures.figure_file_name("Variant.X__y/../z", " _weird name!_ ", 12)
    assert re.fullmatch(r"variant-x-y-z-weird-name-[0-9a-f]{10}-12\.pdf", odd)
    assert figures.FILE_NAME.fullmatch(odd) and figures.FILE_NAME.fullmatch(name)
    assert re.fullmatch(r"a-[0-9a-f]{10}-2\.pdf", figures.figure_file_name("a", "", 2))
    assert figures.figure_file_name("a", "w", 1, suffix=".png").endswith("-1.png")
    assert len(figures.figure_file_name("x" * 500, "y" * 500, 3)) < 160
    # ids that differ only in punctuation or case, and ids cut at the same place, get different files
    names = {figures.figure_file_name(i, "w", 1) for i in ("a.b", "a_b", "A.b", "a-b", "x" * 300, "x" * 301)}
    assert len(names) == 6 and all(figures.FILE_NAME.fullmatch(n) for n in names)
    assert figures.figure_file_name("a\ud800", "w", 1)           # a lone surrogate from JSON: still a name
    with pytest.raises(ValueError):
        figures.figure_file_name("a", "w", -1)


def test_importing_the_module_does_not_import_matplotlib():
    code = "import sys, proofs.report.figures; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_without_matplotlib_render_says_what_to_install(monkeypatch, tmp_path):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.style"):
        monkeypatch.setitem(sys.modules, name, None)           # "import matplotlib" now raises ImportError
    monkeypatch.setattr(figures, "_AVAILABLE", None)
    assert figures.available() is False
    with pytest.raises(figures.FiguresUnavailable, match=re.escape("pip install 'derivcheck[report]'")):
        figures.render(every_style().to_dict(), tmp_path / "f.pdf")
    assert list(tmp_path.iterdir()) == []                       # no file, no temporary left behind
    assert isinstance(figures.FiguresUnavailable(), RuntimeError)


# ------------------------------------------------------------------------------------------------
# drawing
# ------------------------------------------------------------------------------------------------
@needs_matplotlib
@pytest.mark.parametrize("case", CASES)
def test_renders_every_style_and_scale_to_vector_pdf(case, tmp_path):
    out = tmp_path / "sub" / "f.pdf"
    figures.render(CASES[case]().to_dict(), out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/Image" not in data.replace(b"/ImageB", b"").replace(b"/ImageC", b"").replace(b"/ImageI", b"")
    assert b"CreationDate" not in data and b"(derivcheck)" in data
    assert [p.name for p in out.parent.iterdir()] == ["f.pdf"]            # the temporary file is gone
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())      # like a file from open()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@needs_matplotlib
@pytest.mark.parametrize("suffix", [".svg", ".png"])
def test_previews_in_svg_and_png(suffix, tmp_path):
    out = tmp_path / f"f{suffix}"
    figures.render(every_style().to_dict(), out)
    head = out.read_bytes()[:200]
    assert (b"<svg" in out.read_bytes()[:2000]) if suffix == ".svg" else head.startswith(b"\x89PNG")


@needs_matplotlib
def test_same_record_same_bytes_in_one_process(tmp_path):
    d = every_style().to_dict()
    figures.render(d, tmp_path / "a.pdf")
    figures.render(json.loads(json.dumps(d)), tmp_path / "b.pdf")   # as re-read from saved JSON results
    figures.render(Figure.from_dict(d).to_dict(), tmp_path / "c.pdf")
    a = (tmp_path / "a.pdf").read_bytes()
    assert a == (tmp_path / "b.pdf").read_bytes() == (tmp_path / "c.pdf").read_bytes()


@needs_matplotlib
def test_same_bytes_across_processes_and_hash_seeds(tmp_path):
    src = tmp_path / "fig.json"
    src.write_text(json.dumps([f().to_dict() for f in CASES.values()]))
    code = ("import json, sys\nfrom proofs.report import figures\n"
            "for i, d in enumerate(json.load(open(sys.argv[1]))):\n"
            "    figures.render(d, f'{sys.argv[2]}/{i}.pdf')\n")
    outs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed, "MPLBACKEND": "agg"}
        subprocess.run([sys.executable, "-c", code, str(src), str(out)], cwd=ROOT, env=env, check=True)
        outs.append([(out / f"{i}.pdf").read_bytes() for i in range(len(CASES))])
    assert outs[0] == outs[1]


@needs_matplotlib
def test_a_user_matplotlibrc_changes_nothing(tmp_path, monkeypatch):
    import matplotlib
    d = every_style().to_dict()
    figures.render(d, tmp_path / "a.pdf")
    monkeypatch.setitem(matplotlib.rcParams, "lines.linewidth", 7.0)
    monkeypatch.setitem(matplotlib.rcParams, "font.size", 20.0)
    figures.render(d, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()
    assert matplotlib.rcParams["lines.linewidth"] == 7.0            # and the caller's settings are left alone


@needs_matplotlib
@pytest.mark.parametrize("edit,match", [
    (lambda d: d["series"][0]["y"].__setitem__(0, float("nan")), "finite"),
    (lambda d: d["series"][0]["x"].__setitem__(0, 0.0), "non-positive x value on a log axis"),
    (lambda d: d["marks"][0].__setitem__("at", -1.0), "non-positive x value on a log axis"),
    (lambda d: d.update(title=r"bad $\frac{1}$ maths"), re.escape(r"figure 'bad $\\frac{1}$ maths'")),
])
def test_a_bad_record_is_refused_and_the_old_file_kept(edit, match, tmp_path):
    out = tmp_path / "f.pdf"
    out.write_bytes(b"previous")
    d = every_style().to_dict()
    edit(d)
    with pytest.raises(ValueError, match=match):
        figures.render(d, out)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["f.pdf"]


@needs_matplotlib
def test_series_sharing_a_label_share_a_colour_and_one_legend_entry():
    import matplotlib.style
    from matplotlib.figure import Figure as MplFigure
    f = every_style()
    with matplotlib.style.context(["default", figures.RC]):
        ax = figures._draw(MplFigure(figsize=figures.FIGSIZE), f)
        lines = ax.get_lines()
        by_label = {}
        for s, line in zip(f.series, lines):
            by_label.setdefault(s.label, set()).add(line.get_color())
        assert all(len(c) == 1 for c in by_label.values())
        assert len({c for cs in by_label.values() for c in cs}) == len(by_label)
        # the series, then the marks (each mark's label is in the legend, below the axes, never over the data)
        assert [t.get_text() for t in ax.get_legend().get_texts()] == \
            list(by_label) + [m.label for m in f.marks if m.label]
        assert lines[0].get_linestyle() == "None" and lines[0].get_marker() == "o"     # points: markers only
        assert lines[0].get_zorder() > lines[1].get_zorder()                          # markers above lines


def test_long_labels_are_wrapped_without_splitting_formulas():
    if not figures.available():
        pytest.skip("matplotlib is not installed: pip install 'derivcheck[report]'")
    text = r"a title with a formula $L(\eta) = L(\Phi^*) + \eta\, E\Vert g\Vert^2/4$ and many more words after it"
    lines = figures._wrap(text, 9.5, 150.0)
    assert len(lines) > 2 and " ".join(lines) == text
    assert all(line.count("$") % 2 == 0 for line in lines)
    assert figures._wrap("short", 9.5, 300.0) == ["short"]


# ------------------------------------------------------------------------------------------------
# the figure of running_average.variance_limit (the catalog's other figures: see the module docstring)
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def variance_limit():
    from derivations.running_averages import variance_limit
    from proofs.engine import check_claim
    return check_claim(variance_limit, seed=0)


def test_running_average_variance_figure(variance_limit, tmp_path):
    (w,) = variance_limit.witnesses
    assert w.verdict == "agrees" and len(w.figures) == 1
    fig = Figure.from_dict(w.figures[0])
    (s,) = fig.series
    assert s.style == "points" and s.label == f"measured over {w.n} runs"
    assert s.x == list(range(41)) and s.y[0] == 0.0
    (m,) = fig.marks
    assert m.axis == "y" and m.at == pytest.approx(2 / 7, rel=1e-5) and "claimed limit" in m.label
    assert abs(s.y[-1] - 2 / 7) < 0.01 and s.y[1] == pytest.approx(2 / 16, rel=0.02)   # Var(x)/N^2 at t = 1
    if figures.available():
        figures.render(w.figures[0], tmp_path / "v.pdf")
        assert (tmp_path / "v.pdf").read_bytes().startswith(b"%PDF-")
