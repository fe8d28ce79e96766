"""SVG charts rendered by the gateway (services stay free of plotting): plain SVG text, no
library, readable offline and in any browser."""
from decimal import Decimal
from html import escape

from services.common import formats


def bar_chart(title, labels, values, unit="", width=760, height=360, language="tr",
              value_text=None):
    """Vertical bars of `values` (Decimal) under `labels`, with a scale and the values, the
    numbers in the reader's language (services/common/formats.py: `1,2 B` / `1.2K`); each
    bar's value as money in `unit`, or as `value_text(value)` says (a score)."""
    if value_text is None:
        value_text = lambda v: formats.money(v, unit or "TRY", language)  # noqa: E731
    left, right, top, bottom = 70, 20, 40, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max([Decimal(v) for v in values] + [Decimal(0)])
    scale = _nice(top_value)
    n = max(len(values), 1)
    slot = plot_w / n
    bar = max(2.0, slot * 0.7)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<title>{escape(title)}</title>',
             f'<text x="{width / 2:.1f}" y="22" text-anchor="middle" font-size="14">'
             f'{escape(title)}</text>']
    for i in range(5):  # the scale: 0, ¼, ½, ¾, top
        v = scale * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(formats.axis(v, language))}</text>')
    for i, (label, value) in enumerate(zip(labels, values)):
        h = float(Decimal(value) / scale * plot_h) if scale else 0.0
        x = left + slot * i + (slot - bar) / 2
        y = top + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                     f'fill="#2f6fb0"><title>{escape(str(label))}: '
                     f'{escape(value_text(value))}</title></rect>')
        parts.append(f'<text transform="translate({x + bar / 2:.1f},{top + plot_h + 12}) '
                     f'rotate(45)" font-size="10">{escape(str(label))}</text>')
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" '
                 f'y2="{top + plot_h}" stroke="#333"/>')
    if not values:
        parts.append(f'<text x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle">'
                     '—</text>')
    parts.append("</svg>")
    return "".join(parts)


def _nice(value):
    """A round top for the scale at or above `value`."""
    if value <= 0:
        return Decimal(1)
    step = Decimal(1)
    while step * 10 <= value:
        step *= 10
    for m in (1, 2, 5, 10):
        if step * m >= value:
            return step * m
    return step * 10
