"""Small PNG charts for Slack (Pillow): the health trend on the account card."""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

WIDTH, HEIGHT, PAD = 480, 160, 12
BAND_FLOORS = ((75, "#e8f5e9"), (55, "#fffde7"), (35, "#fff3e0"), (0, "#ffebee"))  # healthy..critical
LINE = "#1565c0"


def _y(score: float) -> float:
    return PAD + (100 - max(0.0, min(100.0, score))) / 100 * (HEIGHT - 2 * PAD)


def trend_png(scores: Sequence[int]) -> bytes:
    """Health scores (oldest first, 0-100) over the health bands, as PNG bytes. Needs two points."""
    if len(scores) < 2:
        raise ValueError("a trend needs at least two scores")
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    top = 100
    for floor, colour in BAND_FLOORS:
        draw.rectangle((PAD, _y(top), WIDTH - PAD, _y(floor)), fill=colour)
        top = floor
    step = (WIDTH - 2 * PAD) / (len(scores) - 1)
    points = [(PAD + i * step, _y(score)) for i, score in enumerate(scores)]
    draw.line(points, fill=LINE, width=3)
    for x, y in points:
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=LINE)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
