"""Small server-side SVG charts: real charts with no JavaScript library and no CDN."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

PALETTE = ["#1d4f91", "#b00020", "#00703c", "#6f4c9b", "#b35c00", "#005e73", "#4b4b4b"]


def stacked_bars(
    labels: list[str], series: dict[str, list[int]], title: str, width: int = 640, height: int = 240
) -> Markup:
    pad_l, pad_b, pad_t = 36, 40, 24
    plot_w, plot_h = width - pad_l - 10, height - pad_b - pad_t
    totals = [sum(s[i] for s in series.values()) for i in range(len(labels))]
    step = max(1, -(-max([*totals, 1]) // 4))  # whole-number ticks
    top = step * 4
    bar_w = plot_w / max(len(labels), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="c-{id(series)}" class="chart">',
        f'<title id="c-{id(series)}">{escape(title)}</title>',
    ]
    for tick in range(0, 5):
        y = pad_t + plot_h - plot_h * tick / 4
        value = step * tick
        parts.append(
            f'<line x1="{pad_l}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{pad_l - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{value}</text>'
        )
    for i, label in enumerate(labels):
        x = pad_l + i * bar_w
        y = pad_t + plot_h
        for k, (name, values) in enumerate(sorted(series.items())):
            h = plot_h * values[i] / top
            if h:
                y -= h
                parts.append(
                    f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{bar_w - 4:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(name)} {escape(label)}: '
                    f"{values[i]}</title></rect>"
                )
        if i % max(1, len(labels) // 6) == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - pad_b + 14}" '
                f'text-anchor="middle" font-size="10">{escape(label[5:])}</text>'
            )
    legend_x = pad_l
    for k, name in enumerate(sorted(series)):
        parts.append(
            f'<rect x="{legend_x}" y="{height - 14}" width="10" height="10" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
        )
        parts.append(
            f'<text x="{legend_x + 14}" y="{height - 5}" font-size="11">{escape(name)}</text>'
        )
        legend_x += 16 + 7 * len(name) + 12
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704  # every value above is escaped


def horizontal_bars(items: list[tuple[str, int]], title: str, width: int = 640) -> Markup:
    row = 22
    height = row * max(len(items), 1) + 10
    label_w = 330
    top = max([v for _, v in items] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart">'
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = (width - label_w - 50) * value / top
        short = label if len(label) <= 48 else label[:47] + "…"
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(short)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="14" fill="#1d4f91"/>'
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="12">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704  # labels escaped, rest numbers
