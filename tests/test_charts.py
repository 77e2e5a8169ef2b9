"""The health trend PNG: drawn over the bands, the line where the scores are."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.charts import HEIGHT, LINE, PAD, WIDTH, trend_png


def test_trend_line_passes_through_each_score() -> None:
    image = Image.open(io.BytesIO(trend_png([90, 20, 60]))).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    blue = Image.new("RGB", (1, 1), LINE).getpixel((0, 0))
    span = HEIGHT - 2 * PAD
    for x, score in ((PAD, 90), (WIDTH // 2, 20), (WIDTH - PAD - 1, 60)):
        y = round(PAD + (100 - score) / 100 * span)
        assert image.getpixel((x, y)) == blue, (x, score)
    assert image.getpixel((WIDTH // 2, PAD + 2)) != blue  # far above the 20 point: background only


def test_one_point_is_not_a_trend() -> None:
    with pytest.raises(ValueError, match="two scores"):
        trend_png([50])
