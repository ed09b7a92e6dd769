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
