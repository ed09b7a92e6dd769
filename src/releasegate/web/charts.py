"""SVG charts drawn on the server, so pages need no script to show them.

Each function returns an SVG fragment with a `<title>` and a text table
fallback in `<desc>`, so screen readers get the numbers too. Values are
escaped with markupsafe; nothing from a request reaches the markup unescaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

_COLOURS = {"allow": "#1b6e3a", "pending": "#8a5a00", "deny": "#a3222b"}
_NEUTRAL = "#2f4b7c"


def bar_chart(
    title: str, items: Sequence[tuple[str, int]], *, width: int = 420, colours: bool = False
) -> Markup:
    """Horizontal bars, one per (label, value), labelled with the value."""
    row, label_width = 26, 150
    height = max(1, len(items)) * row + 10
    peak = max((v for _, v in items), default=0) or 1
    description = "; ".join(f"{label}: {value}" for label, value in items) or "no data"
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
    ]
    for number, (label, value) in enumerate(items):
        y = 5 + number * row
        bar = int((width - label_width - 50) * value / peak)
        fill = _COLOURS.get(label, _NEUTRAL) if colours else _NEUTRAL
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{max(bar, 1)}" height="16" '
            f'fill="{fill}"/>'
            f'<text x="{label_width + bar + 6}" y="{y + 16}" font-size="13">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped


_SERIES_STYLE = (("#2f4b7c", ""), ("#c0392b", ' stroke-dasharray="6 3"'), ("#1b6e3a", ""))


def _number(value: float) -> str:
    return f"{value:.4g}"


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    width: int = 460,
    height: int = 200,
) -> Markup:
    """Draw one line per (name, values) over numbered points; a missing value breaks its line.

    `labels` name the points, for example the step and time of each
    measurement. `<desc>` lists every value by label, so the chart reads as
    text too. Each series has its own colour and dash pattern, named in a legend.
    """
    left, right, top, bottom = 58, 12, 26, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, points in series for v in points if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high == low:
        low, high = low - (abs(low) or 1) * 0.05, high + (abs(high) or 1) * 0.05
    count = max(len(labels), 1)

    def x(index: int) -> float:
        return left + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    lines = []
    for number, label in enumerate(labels):
        shown = ", ".join(
            f"{name} {_number(points[number])}"
            if number < len(points) and points[number] is not None
            else f"{name} no value"
            for name, points in series
        )
        lines.append(f"{label}: {shown}")
    description = "; ".join(lines) or "no measurement yet"
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#767676"/>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#767676"/>',
        f'<text x="{left - 4}" y="{top + 5}" font-size="11" text-anchor="end">'
        f"{escape(_number(high))}</text>",
        f'<text x="{left - 4}" y="{top + plot_h}" font-size="11" text-anchor="end">'
        f"{escape(_number(low))}</text>",
        f'<text x="{left}" y="{height - 10}" font-size="11">first measurement</text>',
        f'<text x="{left + plot_w}" y="{height - 10}" font-size="11" text-anchor="end">'
        "latest</text>",
    ]
    for number, (name, points) in enumerate(series):
        colour, dash = _SERIES_STYLE[number % len(_SERIES_STYLE)]
        runs: list[list[str]] = [[]]
        for index, value in enumerate(points):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(index):.1f},{y(value):.1f}")
            parts.append(f'<circle cx="{x(index):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}"/>')
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash}/>'
                )
        legend_x = left + 8 + number * 120
        parts.append(
            f'<line x1="{legend_x}" y1="12" x2="{legend_x + 18}" y2="12" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
            f'<text x="{legend_x + 22}" y="16" font-size="12">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped
