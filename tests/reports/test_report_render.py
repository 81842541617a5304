"""The HTML report opened in headless Chromium: it renders, with its charts, and prints to PDF."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.reports.html import find_chromium, screenshot
from tests.reports.sample_data import SAMPLE_WEEK

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
NEEDS_CHROMIUM = pytest.mark.skipif(find_chromium() is None,
                                    reason="headless Chromium is not installed (Debian package `chromium`; .ci/run "
                                           "installs it)")
SENTIMENT_RED = (0xD6, 0x45, 0x45)  # used only by the sentiment chart's bars
FACEBOOK_BLUE = (0x18, 0x77, 0xF2)  # chart bars (and platform badges)


def _pixels_near(image: Image.Image, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    pixels = np.asarray(image.convert("RGB"), dtype=np.int16)
    close = np.abs(pixels - np.array(rgb, dtype=np.int16)).max(axis=2) <= tolerance
    return int(close.sum())


def test_embedded_charts_are_real_pngs(sample_report):
    html = (sample_report.target / f"informe-{SAMPLE_WEEK}.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', html)
    charts = re.findall(r'<figure class="chart" id="grafico-([a-z_]+)"', html)
    assert len(sources) == len(charts) >= 7  # the sample week's, with the audience segments' chart
    for data, alt in sources:
        image = Image.open(io.BytesIO(base64.b64decode(data)))
        image.verify()
        assert image.size[0] >= 900 and image.size[1] >= 150 and alt


@NEEDS_CHROMIUM
def test_report_renders_in_chromium_with_its_charts(sample_report):
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / f"report-{SAMPLE_WEEK}.png"
    png.unlink(missing_ok=True)
    html = sample_report.target / f"informe-{SAMPLE_WEEK}.html"
    assert screenshot(html, png, width=1280, height=9000)  # down to the tone chart, past the audience tables
    image = Image.open(png)
    assert image.size == (1280, 9000)
    assert png.stat().st_size > 150_000  # a page of text, tables and charts, not a blank or error page
    colours = image.convert("RGB").reduce(4).getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 500  # anti-aliased text and charts: many distinct colours
    assert _pixels_near(image, SENTIMENT_RED) > 8_000  # the sentiment chart's bars were decoded and drawn
    assert _pixels_near(image, FACEBOOK_BLUE) > 8_000


@NEEDS_CHROMIUM
def test_pdf_is_a_multi_page_document(sample_report):
    pdf = (sample_report.target / f"informe-{SAMPLE_WEEK}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= 4
    assert pdf.count(b"/Subtype /Image") + pdf.count(b"/Subtype/Image") >= 8  # the charts are in it (with the
    # audience segments' and the followers')


def test_report_csvs_neutralise_formulas_and_script_links_and_keep_numbers(tmp_path):
    import csv as _csv
    from zoneinfo import ZoneInfo

    from bot.reports.model import Column, Table
    from bot.reports.weekly import write_tables

    table = Table("publicaciones_destacadas", "Destacadas",
                  [Column("texto"), Column("enlace", "url"), Column("puntaje", "n"), Column("porcentaje", "pct")],
                  [['=HYPERLINK("http://evil","clic")', "javascript:alert(1)", -0.8, 0.25],
                   ["@MinTIC gracias", "https://x.com/a/status/1", 3, None]])
    [path] = write_tables([table], tmp_path, ZoneInfo("America/Bogota"))
    rows = list(_csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1] == ["'=HYPERLINK(\"http://evil\",\"clic\")", "'javascript:alert(1)", "-0.8", "25.0"]
    assert rows[2] == ["'@MinTIC gracias", "https://x.com/a/status/1", "3", ""]


@NEEDS_CHROMIUM
def test_emoji_are_drawn_with_a_colour_emoji_font_in_the_pdf(tmp_path):
    """Citizens write with emoji: the PDF must embed an emoji font, not print empty boxes (.ci/run installs
    Debian's fonts-noto-color-emoji)."""
    from bot.reports.html import render_pdf

    html = tmp_path / "emoji.html"
    html.write_text("<!doctype html><meta charset='utf-8'><p>Pésimo servicio 😡👎 gracias 🙏</p>", encoding="utf-8")
    pdf = tmp_path / "emoji.pdf"
    assert render_pdf(html, pdf)
    # Chromium embeds colour emoji glyphs as Type 3 fonts; without an emoji font there are none (only the
    # text font's empty-box glyph).
    assert re.search(rb"/Subtype\s*/Type3", pdf.read_bytes()), "no emoji font: install fonts-noto-color-emoji"
