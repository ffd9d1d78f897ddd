"""Draw the figures witnesses record (:mod:`proofs.figure`) to vector PDF files for a report.

::

    from proofs.report import figures
    if figures.available():
        for i, fig in enumerate(witness["figures"], 1):
            figures.render(fig, outdir / figures.figure_file_name(claim["id"], witness["name"], i))

* :func:`render` takes one ``Figure.to_dict()`` record (as stored in the JSON results, so a report
  re-draws figures without re-running anything) and writes one file; the format follows the suffix:
  ``.pdf`` (the default, vector, for ``\\includegraphics``), ``.svg`` or ``.png`` (previews).
* :func:`available` says whether matplotlib (the optional ``report`` extra) is installed; without it
  :func:`render` raises :class:`FiguresUnavailable`, whose message says what to install.
* :func:`figure_file_name` gives the deterministic, file-system-safe name ``[a-z0-9-]+.pdf`` of a figure,
  distinct for distinct (claim id, witness name, index).

Invariants
----------
* Deterministic: the same record gives the same bytes, across runs, machines with the same
  matplotlib version and ``PYTHONHASHSEED`` values (no dates in the metadata, fixed producer,
  only fonts shipped with matplotlib, every rcParam that matters pinned in :data:`RC`).
* No global state: matplotlib's object API (``matplotlib.figure.Figure`` and a canvas per call; no
  pyplot), rcParams set only inside a ``matplotlib.style.context`` that starts from matplotlib's
  defaults (a user's matplotlibrc changes nothing) and is restored on exit.
* Cheap to import: matplotlib is imported inside the functions, on first use.
* Atomic: the file appears complete or not at all (temporary file in the same folder + ``os.replace``).
* The renderer, not the witness, decides fonts, sizes, colours and layout. Style rules:
  series ``solid`` / ``dashed`` / ``dotted`` are lines, ``points`` markers only; series sharing a label
  share a colour and one legend entry (so pieces of one contour, or points plus the line joining
  them, read as one thing); markers are drawn above lines; marks are thin grey reference lines, each
  with its own dash pattern and its label in the legend; the legend sits below the axes, outside the
  frame, so neither it nor a label ever covers data; long titles
  and axis labels are wrapped (never inside ``$...$``); the caption is not drawn (it belongs under
  the figure in the document).
* Fast: about 0.1-0.2 s a figure after a ~0.7 s first import. Margins are computed from the measured
  tick labels (one drawing pass; matplotlib's constrained layout draws three times), and log-axis
  tick labels are plain text with Unicode superscripts (``10⁻⁴``), not mathtext.
* Not thread-safe (rcParams are process-wide while a figure is drawn); use processes to draw in
  parallel.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..atomic import atomic_file

INSTALL_HINT = "pip install 'derivcheck[report]' (or: pip install matplotlib)"

# Okabe & Ito's colour-blind-safe palette (without its yellow, too pale on white), then black.
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")      # points series: one shape per colour (greyscale prints)
MARK_COLOUR = "#8c8c8c"
MARK_STYLES = ("--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))   # one per mark, so the legend tells them apart
FIGSIZE = (4.6, 2.9)                               # inches; ~9 pt text when included at 0.8\textwidth

# Every rcParam the drawing depends on, in one place (applied on top of matplotlib's defaults).
RC = {
    "font.family": ["DejaVu Sans"],                # shipped with matplotlib: the same glyphs everywhere
    "mathtext.fontset": "dejavusans",
    "font.size": 9.0,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 7.5,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.5,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "lines.linewidth": 1.4,
    "lines.markersize": 3.8,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "#cccccc",
    "legend.fancybox": False,
    "legend.borderpad": 0.35,
    "legend.handlelength": 2.2,
    "figure.figsize": FIGSIZE,
    "figure.dpi": 100.0,
    "savefig.dpi": 200.0,                          # png previews only; pdf and svg are vector
    "pdf.fonttype": 3,                             # Type 3 subsets (fontTools Type 42 subsetting costs ~0.4 s a font)
    "pdf.compression": 6,
    "svg.fonttype": "path",
    "svg.hashsalt": "derivcheck",                  # otherwise svg ids are random
    "path.simplify": True,
    "axes.unicode_minus": True,
}
LINESTYLES = {"solid": "-", "dashed": (0, (5.0, 2.5)), "dotted": (0, (1.0, 1.8))}
LINEWIDTHS = {"solid": 1.4, "dashed": 1.1, "dotted": 1.1}
FORMATS = {".pdf": "pdf", ".svg": "svg", ".png": "png"}
METADATA = {
    "pdf": {"Creator": "derivcheck", "Producer": "derivcheck", "CreationDate": None, "ModDate": None},
    "svg": {"Creator": "derivcheck", "Date": None},
    "png": {"Software": "derivcheck"},
}


class FiguresUnavailable(RuntimeError):
    """Drawing figures needs matplotlib, which is an optional extra."""

    def __init__(self, detail: str = ""):
        super().__init__("figures need matplotlib, which is not installed: " + INSTALL_HINT
                         + (f" ({detail})" if detail else ""))


_AVAILABLE: bool | None = None


def available() -> bool:
    """True if matplotlib can be imported (checked once per process)."""
    global _AVAILABLE
    if _AVAILABLE is None:
        try:
            import matplotlib  # noqa: F401
            _AVAILABLE = True
        except ImportError:
            _AVAILABLE = False
    return _AVAILABLE


def _matplotlib():
    try:
        import matplotlib
        import matplotlib.style
        from matplotlib.figure import Figure
    except ImportError as e:
        raise FiguresUnavailable(str(e)) from None
    return matplotlib, Figure


def figure_file_name(claim_id: str, witness_name: str, index: int, suffix: str = ".pdf") -> str:
    """``unitwise_rates.gd_iterates``, ``gradient_descent``, 1 ->
    ``unitwise-rates-gd-iterates-gradient-descent-1a2b3c4d5e-1.pdf``.

    A readable part (lower case, every run of other characters one ``-``, at most 100 characters), then the
    first 10 hex digits of the SHA-256 of the exact claim id and witness name (so ids differing only in
    punctuation or case get different files), then ``index`` (a witness's figures count from 1). Only
    ``[a-z0-9-]`` and the suffix: safe in any file system and in ``\\includegraphics``."""
    if not isinstance(index, int) or index < 0:
        raise ValueError(f"index must be a non-negative integer, got {index!r}")
    if suffix not in FORMATS:
        raise ValueError(f"suffix must be one of {', '.join(FORMATS)}, got {suffix!r}")
    parts = [re.sub(r"[^a-z0-9]+", "-", str(p).lower()).strip("-") for p in (claim_id, witness_name)]
    stem = ("-".join(p for p in parts if p) or "figure")[:100].rstrip("-")
    key = hashlib.sha256(f"{claim_id}\0{witness_name}".encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{stem}-{key}-{index}{suffix}"


FILE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,130}\.(?:pdf|svg|png)")   # every name figure_file_name gives
TEXT_LIMIT = 1000        # characters of a title, axis label, series or mark label that matplotlib draws


# ------------------------------------------------------------------------------------------------
# validation: a record from a JSON file is checked with proofs.figure's own rules before drawing
# ------------------------------------------------------------------------------------------------
def _validated(fig: dict):
    """The record as a :class:`proofs.figure.Figure`; ``ValueError`` (naming what is wrong) for anything
    :mod:`proofs.figure` would not have produced, wrong types and missing keys included."""
    try:
        return _build(fig)
    except (TypeError, KeyError, AttributeError) as e:
        raise ValueError(f"malformed figure record ({type(e).__name__}: {' '.join(str(e).split())[:200]})") from None


def _text_field(d: dict, key: str) -> None:
    v = d.get(key, "")
    if not isinstance(v, str):
        raise ValueError(f"{key} must be a string, got {type(v).__name__}")
    if len(v) > TEXT_LIMIT:
        raise ValueError(f"{key} is longer than {TEXT_LIMIT} characters ({len(v):,})")


def _build(fig: dict):
    from proofs.figure import Figure
    if not isinstance(fig, dict):
        raise ValueError(f"a figure record must be a dict (Figure.to_dict()), got {type(fig).__name__}")
    if "title" not in fig:
        raise ValueError("a figure record needs a title")
    for key in ("title", "xlabel", "ylabel"):
        _text_field(fig, key)
    for key in ("series", "marks"):
        if not isinstance(fig.get(key, []), list) or not all(isinstance(x, dict) for x in fig.get(key, [])):
            raise ValueError(f"{key} must be a list of records")
    out = Figure(**{k: fig[k] for k in ("title", "xlabel", "ylabel", "xscale", "yscale", "caption", "equal_aspect")
                    if k in fig})
    for s in fig.get("series", []):
        _text_field(s, "label")
        out.line(s["x"], s["y"], label=s.get("label", ""), style=s.get("style", "solid"))
    for m in fig.get("marks", []):
        _text_field(m, "label")
        axis = m.get("axis")
        if axis not in ("x", "y"):
            raise ValueError(f"mark axis must be 'x' or 'y', got {axis!r}")
        (out.vline if axis == "x" else out.hline)(m["at"], label=m.get("label", ""))
        scale = out.xscale if axis == "x" else out.yscale
        if scale == "log" and out.marks[-1].at <= 0:
            raise ValueError(f"mark {m.get('label', '')!r}: non-positive {axis} value on a log axis")
    if not out.series and not out.marks:
        raise ValueError(f"figure {out.title!r} has nothing to draw")
    return out


# ------------------------------------------------------------------------------------------------
# drawing
# ------------------------------------------------------------------------------------------------
_SUPERSCRIPT = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")
_MATHDEFAULT = re.compile(r"^\$\\mathdefault\{(.*)\}\$$")
_POWER = re.compile(r"\^\{(-?[0-9]+)\}")


def _plain_tick(label: str) -> str:
    """matplotlib's log tick label ``$\\mathdefault{2\\times10^{-3}}$`` as plain text ``2×10⁻³``:
    typesetting mathtext for every tick label of every figure (a new parser per canvas) costs ~15 ms a
    label. Anything of another form is returned unchanged (it is then typeset as mathtext, as before)."""
    m = _MATHDEFAULT.match(label)
    if not m:
        return label
    inner = _POWER.sub(lambda p: p.group(1).translate(_SUPERSCRIPT), m.group(1)).replace("\\times", "\u00d7")
    if not re.fullmatch(r"[0-9.\-\u00d7\u2070-\u209f\u00b9\u00b2\u00b3]*", inner):
        return label
    return inner.replace("-", "\u2212")


def _log_axis(axis) -> None:
    from matplotlib.ticker import LogFormatterSciNotation

    class PlainLogFormatter(LogFormatterSciNotation):
        def __call__(self, x, pos=None):
            return _plain_tick(super().__call__(x, pos))

    axis.set_major_formatter(PlainLogFormatter())
    axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))


def _draw(mfig, fig):
    """The axes with the series, the mark lines (labelled later, once the layout is known) and the legend."""
    ax = mfig.add_subplot()
    ax.set_xscale(fig.xscale)
    ax.set_yscale(fig.yscale)
    for scale, axis in ((fig.xscale, ax.xaxis), (fig.yscale, ax.yaxis)):
        if scale == "log":
            _log_axis(axis)
    colour_of: dict = {}
    n_colours = 0
    labelled = False
    for z, s in enumerate(fig.series):
        key = s.label if s.label else ("", z)        # unlabelled series each get their own colour
        first = key not in colour_of
        if first:
            colour_of[key] = n_colours
            n_colours += 1
        c = colour_of[key]
        legend = s.label if (s.label and first) else "_nolegend_"
        labelled = labelled or legend != "_nolegend_"
        # lines in the order given, markers above every line (a reference line never hides a measurement)
        zorder = (3 if s.style == "points" else 2) + z * 1e-3
        common = dict(color=COLOURS[c % len(COLOURS)], label=legend, zorder=zorder)
        if s.style == "points":
            ax.plot(s.x, s.y, linestyle="none", marker=MARKERS[c % len(MARKERS)], markeredgewidth=0.5, **common)
        else:
            ax.plot(s.x, s.y, linestyle=LINESTYLES[s.style], linewidth=LINEWIDTHS[s.style],
                    dash_capstyle="butt", solid_capstyle="round", **common)
    for k, m in enumerate(fig.marks):
        (ax.axvline if m.axis == "x" else ax.axhline)(
            m.at, color=MARK_COLOUR, linewidth=0.8, zorder=1.5, linestyle=MARK_STYLES[k % len(MARK_STYLES)],
            label=m.label or "_nolegend_")
        labelled = labelled or bool(m.label)
    if fig.equal_aspect:
        ax.set_aspect("equal", adjustable="datalim")
    if labelled:
        _, labels = ax.get_legend_handles_labels()
        ax.legend(loc="lower center", ncols=_legend_columns(labels))     # placed below the axes by _layout
    return ax


def _legend_columns(labels: list) -> int:
    """Two columns when two entries side by side fit the figure's width, else one."""
    if len(labels) < 2:
        return 1
    size = RC["legend.fontsize"]
    entry = max(_text_size(_visible(t), size)[0] for t in labels) + (RC["legend.handlelength"] + 2.5) * size
    return 2 if 2 * entry <= 72.0 * FIGSIZE[0] - 2 * EDGE else 1


# ------------------------------------------------------------------------------------------------
# layout: margins from the measured tick labels (one drawing pass; matplotlib's constrained layout
# draws three times and is most of the cost of a figure)
# ------------------------------------------------------------------------------------------------
EDGE = 3.5                        # points of white around everything
TICK = 3.5 + 3.5                  # major tick length + pad (matplotlib's defaults), points
LABELPAD, TITLEPAD = 4.0, 6.0     # matplotlib's defaults, points
LINESPACING = 1.2
_TEXT_TO_PATH = None


def _text_size(text: str, size: float) -> tuple:
    """(width, height) in points of one line of plain text in the figures' font (FreeType metrics; cheap)."""
    global _TEXT_TO_PATH
    if not text:
        return 0.0, 0.0
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath
    if _TEXT_TO_PATH is None:
        _TEXT_TO_PATH = TextToPath()
    prop = FontProperties(family=RC["font.family"], size=size)
    w, h, _ = _TEXT_TO_PATH.get_text_width_height_descent(text, prop, ismath=False)
    return w, h


_COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def _visible(text: str) -> str:
    """Roughly the characters a line shows: mathtext commands count as one character (``\\eta`` -> ``e``), spacing
    commands as a space, braces, ``$``, ``^`` and ``_`` as nothing. For width estimates only (parsing mathtext
    costs milliseconds)."""
    def one(m):
        return " " if m.group(1) in (",", ";", "quad", "qquad", " ") else m.group(1)[:1]
    if "$" not in text:
        return text
    parts = text.split("$")
    return "".join(p if k % 2 == 0 else re.sub(r"[{}^_]", "", _COMMAND.sub(one, p)) for k, p in enumerate(parts))


def _wrap(text: str, size: float, width: float) -> list:
    """Break a label into lines no wider than ``width`` points, at spaces outside ``$...$`` (a formula is never
    split); a single word longer than the width stays on its own line."""
    if not text:
        return []
    words, cur, math = [], "", False
    for ch in text:
        if ch == "$":
            math = not math
        if ch == " " and not math:
            words.append(cur)
            cur = ""
        else:
            cur += ch
    words.append(cur)
    lines = []
    for word in words:
        if lines and _text_size(_visible(lines[-1] + " " + word), size)[0] <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _height(lines: list, size: float) -> float:
    """Height in points of wrapped label lines: an estimate (measuring mathtext would parse it once more), taller
    for a line with sub- or superscripts or a fraction."""
    def one(line):
        if "$" in line and "\\frac" in line:
            return 1.9 * size
        if "$" in line and ("^" in line or "_" in line):
            return 1.4 * size
        return 1.15 * size
    return sum(one(t) for t in lines) + (LINESPACING - 1.0) * size * max(len(lines) - 1, 0)


def _tick_labels(axis, lim, scale: str) -> tuple:
    """[(position as a fraction of the axis, label)] of the ticks the axis will label within ``lim``, and its
    offset text ("1e-5", "+1.5"), if any."""
    import math
    lo, hi = min(lim), max(lim)
    tol = 1e-9 * max(abs(lo), abs(hi), 1e-300)
    f = (lambda v: math.log10(v)) if scale == "log" else (lambda v: v)
    out, offset = [], ""
    for locs, fmt, major in ((axis.get_majorticklocs(), axis.get_major_formatter(), True),
                             (axis.get_minorticklocs(), axis.get_minor_formatter(), False)):
        locs = [v for v in locs if lo - tol <= v <= hi + tol and (scale != "log" or v > 0)]
        if not locs:
            continue
        labels = fmt.format_ticks(locs)
        out += [((f(v) - f(lo)) / ((f(hi) - f(lo)) or 1.0), t) for v, t in zip(locs, labels) if t]
        if major and hasattr(fmt, "get_offset"):
            offset = fmt.get_offset()
    return out, offset


def _layout(mfig, ax, fig) -> None:
    """Margins around the axes from the tick labels the axes will draw (measured) and the wrapped title and axis
    labels (estimated), so everything fits in the fixed figure size with about EDGE points to spare."""
    W, H = (72.0 * v for v in mfig.get_size_inches())
    tsize, lsize, size = RC["axes.titlesize"], RC["axes.labelsize"], RC["xtick.labelsize"]
    xt, xoff = _tick_labels(ax.xaxis, ax.get_xlim(), fig.xscale)
    yt, yoff = _tick_labels(ax.yaxis, ax.get_ylim(), fig.yscale)
    xs = [(frac, *_text_size(t, size)) for frac, t in xt]
    ytick_w = max((_text_size(t, size)[0] for _, t in yt), default=0.0)
    xtick_h = max([h for _, _, h in xs] + [size])
    ylabel = _wrap(fig.ylabel, lsize, H * 0.8)
    ax.set_ylabel("\n".join(ylabel))
    left = EDGE + (_height(ylabel, lsize) + LABELPAD if ylabel else 0.0) + ytick_w + TICK
    right = EDGE + 2.0
    # x tick labels are centred on their ticks: the first and last may stick out of the axes
    width = W - left - right
    for frac, w, _ in xs:
        left = max(left, EDGE + w / 2 - frac * width)
        right = max(right, EDGE + w / 2 - (1 - frac) * width)
    centre = (left + W - right) / 2                     # the title is centred over the axes
    title = _wrap(fig.title, tsize, 2 * min(centre, W - centre) - 2 * EDGE)
    ax.set_title("\n".join(title))
    xlabel = _wrap(fig.xlabel, lsize, W - left - right)
    ax.set_xlabel("\n".join(xlabel))
    bottom = EDGE + (_height(xlabel, lsize) + LABELPAD if xlabel else 0.0) + xtick_h + TICK
    legend = ax.get_legend()
    if legend is not None:                  # below the x label, outside the frame: it never covers data
        from matplotlib.backends.backend_agg import RendererAgg
        height = legend.get_window_extent(RendererAgg(W, H, 72.0)).height
        legend.set_bbox_to_anchor((0.5, EDGE / H), transform=mfig.transFigure)
        bottom += height + 2.0
    if xoff and not xlabel:
        bottom += 1.3 * size
    top = EDGE + (_height(title, tsize) - 0.25 * tsize + TITLEPAD if title else 0.6 * size)
    if yoff:
        top = max(top, EDGE + 1.3 * size + 4.0)
    if any(abs(frac - 1) < 0.02 for frac, _ in yt):           # the top tick label reaches above the axes
        top = max(top, EDGE + size * 0.6)
    mfig.subplots_adjust(left=left / W, right=1 - right / W, bottom=bottom / H, top=1 - top / H)


def render(fig: dict, path) -> None:
    """Draw one figure record (``proofs.figure.Figure.to_dict()``) to ``path`` (``.pdf``; ``.svg`` and
    ``.png`` for previews), atomically. Raises :class:`FiguresUnavailable` without matplotlib and
    ``ValueError`` for a record :mod:`proofs.figure` would not have accepted (e.g. NaN, a
    non-positive value on a log axis) or text matplotlib cannot typeset (mathtext that does not parse);
    the message names the figure. An existing file at ``path`` is left as it was when drawing fails."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: the file name must end in {', '.join(FORMATS)}")
    f = _validated(fig)
    matplotlib, MplFigure = _matplotlib()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "wb") as fh, matplotlib.style.context(["default", RC]):
        mfig = MplFigure(figsize=FIGSIZE)
        _canvas(mfig, fmt)
        try:
            ax = _draw(mfig, f)
            _layout(mfig, ax, f)
            mfig.savefig(fh, format=fmt, metadata=METADATA[fmt])
        except ValueError as e:                      # e.g. mathtext that does not parse
            raise ValueError(f"figure {f.title!r}: {e}") from e


def _canvas(mfig, fmt: str):
    if fmt == "pdf":
        from matplotlib.backends.backend_pdf import FigureCanvasPdf as Canvas
    elif fmt == "svg":
        from matplotlib.backends.backend_svg import FigureCanvasSVG as Canvas
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg as Canvas
    return Canvas(mfig)
