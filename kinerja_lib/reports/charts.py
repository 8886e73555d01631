"""Chart geometry of the individual report: computed here from numbers, drawn as inline SVG by the templates."""

from __future__ import annotations

from typing import Any

from .formatting import angka

_GROUP_COLOURS = {"diri": "#8a94a6", "atasan": "#1d4e89", "rekan": "#2a9d8f", "bawahan": "#e09f3e",
                  "lainnya": "#8d6cab"}

_CHART_WIDTH = 680
_LABEL_WIDTH = 170
_PLOT_RIGHT = 640


def _x(value: float, scale, right: float = _PLOT_RIGHT, left: float = _LABEL_WIDTH) -> float:
    return round(left + (value - scale.min) / scale.range * (right - left), 1)


def _grid(scale, top: float, bottom: float, right: float = _PLOT_RIGHT,
          left: float = _LABEL_WIDTH) -> list[dict[str, Any]]:
    return [{"x": _x(p, scale, right, left), "y1": top, "y2": bottom, "label": str(p)} for p in scale.points]


def chart_groups(values: list[dict[str, Any]], shown: list[str], scale, vocab: dict) -> dict[str, Any]:
    """Return the geometry of the bar chart "score per value by rater group" (shown groups only)."""
    bar, gap, pad, top = 9, 2, 9, 34
    legend = [{"label": vocab["relasi"][g], "colour": _GROUP_COLOURS[g], "x": 20 + i * 120}
              for i, g in enumerate(shown)]
    rows, y = [], top
    for i, v in enumerate(values):
        k = max(len(shown), 1)
        height = k * (bar + gap) - gap + 2 * pad
        bars = []
        for j, g in enumerate(shown):
            entry = next((e for e in v["kelompok"] if e["kode"] == g), None)
            by = y + pad + j * (bar + gap)
            if entry is None:
                continue
            x1 = _x(entry["mean"], scale)
            bars.append({"x": _LABEL_WIDTH, "y": by, "w": max(x1 - _LABEL_WIDTH, 1.5), "h": bar,
                         "colour": _GROUP_COLOURS[g], "text": angka(entry["mean"], 1), "tx": x1 + 4,
                         "ty": by + bar - 1.5, "label": vocab["relasi"][g]})
        rows.append({"label": v["nama"], "y": y, "h": height, "ly": y + height / 2 + 4, "bars": bars,
                     "stripe": i % 2 == 0})
        y += height
    return {"width": _CHART_WIDTH, "height": y + 22, "legend": legend, "rows": rows,
            "grid": _grid(scale, top - 4, y), "axis_y": y + 15, "empty": not shown}


def chart_self_others(values: list[dict[str, Any]], scale) -> dict[str, Any]:
    """Return the geometry of the per-value profile: others as a bar, self as a diamond, flags beside."""
    row_h, bar, top, right = 30, 14, 28, 548
    rows, y = [], top
    for i, v in enumerate(values):
        cy = y + row_h / 2
        row = {"label": v["nama"], "y": y, "h": row_h, "cy": cy, "ly": cy + 4, "tanda": v["tanda"],
               "stripe": i % 2 == 0, "lain": None, "diri": None, "tx": right + 12}
        if v["lain"] is not None:
            x1 = _x(v["lain"], scale, right)
            row["lain"] = {"x": _LABEL_WIDTH, "y": cy - bar / 2, "w": max(x1 - _LABEL_WIDTH, 1.5), "h": bar,
                           "x1": x1, "text": angka(v["lain"], 2)}
        if v["diri"] is not None:
            row["diri"] = {"x": _x(v["diri"], scale, right), "text": angka(v["diri"], 2)}
        rows.append(row)
        y += row_h
    return {"width": _CHART_WIDTH, "height": y + 22, "rows": rows, "grid": _grid(scale, top - 4, y, right),
            "axis_y": y + 15}


def chart_competency(rows_in: list[dict[str, Any]], scale) -> dict[str, Any]:
    """Return the geometry of the competency bars (assessed level) against the standard (a tick)."""
    bar, row_h, top, left = 12, 24, 30, 215
    rows, y = [], top
    for i, r in enumerate(rows_in):
        by = y + (row_h - bar) / 2
        row = {"label": r["nama"], "y": y, "h": row_h, "ly": by + bar - 2, "stripe": i % 2 == 0,
               "bar": None, "std": None, "kurang": bool(r.get("kesenjangan") and r["kesenjangan"] > 0)}
        if r.get("level") is not None:
            x1 = _x(r["level"], scale, left=left)
            row["bar"] = {"x": left, "y": by, "w": max(x1 - left, 1.5), "h": bar, "tx": x1 + 4,
                          "text": angka(r["level"], 1)}
        if r.get("standar") is not None:
            row["std"] = {"x": _x(r["standar"], scale, left=left), "y1": by - 4, "y2": by + bar + 4}
        rows.append(row)
        y += row_h
    return {"width": _CHART_WIDTH, "height": y + 22, "rows": rows,
            "grid": _grid(scale, top - 4, y, left=left), "axis_y": y + 15}
