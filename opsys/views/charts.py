"""Static SVG charts for generated pages: plain SVG text, no internet, no JavaScript, no fonts to fetch.

Written by hand rather than with matplotlib: two bar charts do not justify a 0.7 s import on every
CRM import, and the output is byte-for-byte stable (an unchanged chart is an unchanged file).
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from opsys.rules.pipeline_metrics import OwnerLoad, StageFigure

_BLUE, _ORANGE, _GREEN, _RED, _PURPLE, _GREY = "#4C78A8", "#F58518", "#54A24B", "#E45756", "#B279A2", "#555"
_LABEL_W, _BAR_W, _ROW_H, _TOP = 190, 380, 34, 30


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img">\n'
            f"<title>{escape(title)}</title>\n" + "\n".join(body) + "\n</svg>\n")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _label(text: str, limit: int = 28) -> str:
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _legend(items: list[tuple[str, str]], y: int) -> list[str]:
    out, x = [], _LABEL_W
    for color, text in items:
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 14}" y="{y}" fill="{_GREY}">{escape(text)}</text>')
        x += 16 + 7 * len(text) + 18
    return out


def stage_chart(stages: list[StageFigure], currency: str, path: Path) -> Path:
    """Open value per stage with its weighted forecast beneath, and the deal count beside each bar."""
    top = max([s.value for s in stages] + [1.0])
    body = _legend([(_BLUE, f"open value ({currency})"), (_ORANGE, "weighted forecast")], 16)
    for i, s in enumerate(stages):
        y = _TOP + i * _ROW_H
        w_val, w_wt = _BAR_W * s.value / top, _BAR_W * s.weighted / top
        body.append(f'<text x="{_LABEL_W - 8}" y="{y + 17}" text-anchor="end">{_label(s.label)}</text>')
        body.append(f'<rect x="{_LABEL_W}" y="{y + 4}" width="{w_val:.1f}" height="12" fill="{_BLUE}"/>')
        body.append(f'<rect x="{_LABEL_W}" y="{y + 17}" width="{w_wt:.1f}" height="8" fill="{_ORANGE}"/>')
        body.append(f'<text x="{_LABEL_W + w_val + 6:.1f}" y="{y + 15}" fill="{_GREY}">'
                    f"{s.count} deals · {s.value:,.0f}</text>")
    if not stages:
        body.append(f'<text x="{_LABEL_W}" y="{_TOP + 17}" fill="{_GREY}">no open deals</text>')
    height = _TOP + max(len(stages), 1) * _ROW_H + 10
    return _write(path, _svg(_LABEL_W + _BAR_W + 150, height, body, "Open value and weighted forecast by stage"))


def owner_chart(owners: list[OwnerLoad], path: Path, limit: int = 15) -> Path:
    """Each owner's open deals plus intake assignments; a black tick marks capacity, red bars are over it."""
    shown = owners[:limit]
    top = max([o.open_deals + o.open_assignments for o in shown] + [o.capacity or 0 for o in shown] + [1])
    body = _legend([(_GREEN, "open deals"), (_PURPLE, "intake assignments"), (_RED, "over capacity")], 16)
    for i, o in enumerate(shown):
        y = _TOP + i * _ROW_H
        w_d = _BAR_W * o.open_deals / top
        w_a = _BAR_W * o.open_assignments / top
        color = _RED if o.over_capacity else _GREEN
        body.append(f'<text x="{_LABEL_W - 8}" y="{y + 17}" text-anchor="end">{_label(o.owner)}</text>')
        body.append(f'<rect x="{_LABEL_W}" y="{y + 6}" width="{w_d:.1f}" height="16" fill="{color}"/>')
        body.append(f'<rect x="{_LABEL_W + w_d:.1f}" y="{y + 6}" width="{w_a:.1f}" height="16" fill="{_PURPLE}"/>')
        if o.capacity is not None:
            cx = _LABEL_W + _BAR_W * o.capacity / top
            body.append(f'<line x1="{cx:.1f}" y1="{y + 2}" x2="{cx:.1f}" y2="{y + 26}" stroke="black" '
                        'stroke-width="2"/>')
        cap = "" if o.capacity is None else f" / {o.capacity}"
        body.append(f'<text x="{_LABEL_W + w_d + w_a + 6:.1f}" y="{y + 19}" fill="{_GREY}">'
                    f"{o.open_deals + o.open_assignments}{cap}</text>")
    if not shown:
        body.append(f'<text x="{_LABEL_W}" y="{_TOP + 17}" fill="{_GREY}">no owners with open work</text>')
    height = _TOP + max(len(shown), 1) * _ROW_H + 10
    return _write(path, _svg(_LABEL_W + _BAR_W + 150, height, body, "Open load per owner against capacity"))
