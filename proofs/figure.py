"""Figures a witness records: plain data (lines, points, marks), rendered later by a report.

A witness that would rather show than tell records what it ran::

    fig = w.figure("Forward difference error", xlabel="step h", ylabel="|error|", xscale="log", yscale="log")
    fig.line(hs, errors, label="measured", style="points")
    fig.line(hs, [h for h in hs], label="slope 1", style="dashed")
    fig.vline(0.5, label="window 1/(1-rho)")

Invariants
----------
* A figure is data only (str, float, list, dict): it travels in the JSON results and the cache, so a
  report re-renders it without re-running the witness (``report --from``).
* Numbers are stored rounded to 6 significant digits, so the same run gives the same bytes; non-finite
  values are rejected where they are recorded, not where they are drawn.
* Text (titles, labels) is plain text with optional ``$...$`` maths in matplotlib's mathtext subset; the
  renderer, not the witness, decides fonts, sizes and colours.
* At most ``MAX_POINTS`` points per series: a figure is a picture of the evidence, not the evidence.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_POINTS = 2000
STYLES = ("solid", "dashed", "dotted", "points")
SCALES = ("linear", "log")


def _num(v) -> float:
    x = float(v)
    if not math.isfinite(x):
        raise ValueError(f"a figure value must be finite, got {x!r}")
    return float(f"{x:.6g}")


def _nums(values, what: str) -> list:
    out = [_num(v) for v in values]
    if not out:
        raise ValueError(f"{what}: no points")
    if len(out) > MAX_POINTS:
        raise ValueError(f"{what}: {len(out)} points (at most {MAX_POINTS}; thin the series first)")
    return out


@dataclass
class Series:
    label: str
    x: list
    y: list
    style: str = "solid"

    def to_dict(self) -> dict:
        return dict(label=self.label, x=self.x, y=self.y, style=self.style)


@dataclass
class Mark:
    """A vertical (``axis="x"``) or horizontal (``axis="y"``) reference line."""
    axis: str
    at: float
    label: str = ""

    def to_dict(self) -> dict:
        return dict(axis=self.axis, at=self.at, label=self.label)


@dataclass
class Figure:
    title: str
    xlabel: str = ""
    ylabel: str = ""
    xscale: str = "linear"
    yscale: str = "linear"
    caption: str = ""
    equal_aspect: bool = False
    series: list = field(default_factory=list)
    marks: list = field(default_factory=list)

    def __post_init__(self):
        for name in ("xscale", "yscale"):
            if getattr(self, name) not in SCALES:
                raise ValueError(f"{name} must be one of {', '.join(SCALES)}, got {getattr(self, name)!r}")

    def line(self, x, y, *, label: str = "", style: str = "solid") -> "Figure":
        """Add a series (``style``: solid, dashed, dotted, or points for markers only)."""
        if style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, got {style!r}")
        xs, ys = _nums(x, f"series {label!r} x"), _nums(y, f"series {label!r} y")
        if len(xs) != len(ys):
            raise ValueError(f"series {label!r}: {len(xs)} x values but {len(ys)} y values")
        for scale, vals, axis in ((self.xscale, xs, "x"), (self.yscale, ys, "y")):
            if scale == "log" and min(vals) <= 0:
                raise ValueError(f"series {label!r}: non-positive {axis} value on a log axis")
        self.series.append(Series(label, xs, ys, style))
        return self

    def vline(self, x, *, label: str = "") -> "Figure":
        self.marks.append(Mark("x", _num(x), label))
        return self

    def hline(self, y, *, label: str = "") -> "Figure":
        self.marks.append(Mark("y", _num(y), label))
        return self

    def to_dict(self) -> dict:
        return dict(title=self.title, xlabel=self.xlabel, ylabel=self.ylabel, xscale=self.xscale,
                    yscale=self.yscale, caption=self.caption, equal_aspect=self.equal_aspect,
                    series=[s.to_dict() for s in self.series], marks=[m.to_dict() for m in self.marks])

    @classmethod
    def from_dict(cls, d: dict) -> "Figure":
        fig = cls(**{k: d[k] for k in ("title", "xlabel", "ylabel", "xscale", "yscale", "caption", "equal_aspect")
                     if k in d})
        fig.series = [Series(**s) for s in d.get("series", [])]
        fig.marks = [Mark(**m) for m in d.get("marks", [])]
        return fig
