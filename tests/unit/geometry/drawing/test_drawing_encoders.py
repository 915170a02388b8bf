"""SVG and PDF encoders, the font table and hidden-line clean-up (pure, no kernel)."""

from __future__ import annotations

import math
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from cadml.geometry.drawing.compose import STYLES, Fill, Group, Path, Sheet, Text
from cadml.geometry.drawing.font import encode_pdf_text, supported_text, text_width
from cadml.geometry.drawing.occlusion import drop_covered
from cadml.geometry.drawing.pdf import encode_pdf
from cadml.geometry.drawing.svg import encode_svg

SVG = "{http://www.w3.org/2000/svg}"

SHEET = Sheet(
    (297.0, 210.0),
    "Blok (Ölçek)",
    (
        Group(
            "view-front",
            (
                Path(STYLES["visible"], (((10.0, 20.0), (110.0, 20.0), (110.0, 50.0)),)),
                Path(STYLES["hidden"], (((30.0, 20.0), (30.0, 50.0)),)),
            ),
        ),
        Group(
            "labels",
            (
                Fill(((0.0, 0.0), (3.0, 0.5), (3.0, -0.5))),
                Text((60.0, 60.0), 3.5, "ÖN GÖRÜNÜŞ & <100>", "middle"),
                Text((5.0, 5.0), 3.5, "30", "middle", 90),
            ),
        ),
    ),
)


def test_svg_is_svg_1_1_in_millimetres_with_iso_line_widths() -> None:
    root = ET.fromstring(encode_svg(SHEET))
    assert root.tag == f"{SVG}svg" and root.get("version") == "1.1"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == (
        "297mm",
        "210mm",
        "0 0 297 210",
    )
    paths = root.findall(f".//{SVG}g[@id='view-front']/{SVG}path")
    assert [(p.get("class"), p.get("stroke-width")) for p in paths] == [
        ("visible", "0.5"),
        ("hidden", "0.25"),
    ]
    assert paths[0].get("d") == "M10 20L110 20 110 50"
    assert paths[1].get("stroke-dasharray") == "3 0.75"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["ÖN GÖRÜNÜŞ & <100>", "30"]
    rotated = root.findall(f".//{SVG}text")[1]
    assert rotated.get("transform") == "rotate(-90 5 5)"


def test_pdf_structure_text_and_no_dates(check_pdf) -> None:
    data = encode_pdf(SHEET)
    objects = check_pdf(data)
    assert b"/BaseFont /Helvetica" in objects[4]
    content = objects[5]
    assert b"0.5 w [] 0 d" in content and b"0.25 w [3 0.75] 0 d" in content
    assert b"10 20 m 110 20 l 110 50 l S" in content
    # Ö = WinAnsi 0xD6, Ş = 0x86 through /Differences, & < > are plain ASCII.
    assert b"(\\326N G\\326R\\334N\\334\\206 & <100>) Tj" in content
    assert b"CreationDate" not in data and b"/ID" not in data
    assert data == encode_pdf(SHEET)


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_qpdf_finds_no_error(tmp_path) -> None:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(encode_pdf(SHEET))
    completed = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_centred_text_in_pdf_is_shifted_by_half_its_helvetica_width(check_pdf) -> None:
    content = check_pdf(encode_pdf(SHEET))[5]
    width = text_width("30", 3.5)  # 2 x 556/1000 x 3.5 mm
    assert width == pytest.approx(3.892)
    # Rotated text reads upwards: shifted down (+y on paper) by half its width.
    assert f"0 -3.5 -3.5 0 5 {5 + width / 2:.3f} Tm (30) Tj".encode() in content


def test_font_replaces_what_it_cannot_draw() -> None:
    assert supported_text("Ø10 ±0.1 ° ğ ı İ ş → €") == "Ø10 ±0.1 ° ğ ı İ ş ? ?"
    assert encode_pdf_text("a(b)\\") == b"a\\(b\\)\\\\"


def _circle(cx: float, cy: float, r: float, n: int, phase: float) -> np.ndarray:
    t = phase + np.linspace(0.0, 2 * math.pi, n + 1)
    return np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)])


def test_hidden_circle_on_a_visible_circle_is_dropped_but_a_smaller_one_stays() -> None:
    visible = [_circle(0.0, 0.0, 10.0, 160, 0.0)]
    same = _circle(0.0, 0.0, 10.0, 150, 0.3)  # another discretisation of the same circle
    smaller = _circle(0.0, 0.0, 9.0, 150, 0.0)
    kept = drop_covered([same, smaller], visible, tolerance=0.05, step=0.25)
    assert len(kept) == 1
    assert np.allclose(np.hypot(kept[0][:, 0], kept[0][:, 1]), 9.0)


def test_hidden_line_crossing_a_visible_line_is_kept_whole() -> None:
    visible = [np.array([[0.0, 5.0], [10.0, 5.0]])]
    hidden = [np.array([[5.0, 0.0], [5.0, 10.0]])]
    kept = drop_covered(hidden, visible, tolerance=0.05, step=0.25)
    assert [k.tolist() for k in kept] == [[[5.0, 0.0], [5.0, 10.0]]]


def test_hidden_line_partly_on_a_visible_one_is_cut_within_one_step() -> None:
    visible = [np.array([[0.0, 0.0], [10.0, 0.0]])]
    hidden = [np.array([[-4.0, 0.0], [14.0, 0.0]])]
    kept = drop_covered(hidden, visible, tolerance=0.05, step=0.25)
    assert len(kept) == 2
    (a0, a1), (b0, b1) = (k[[0, -1], 0] for k in kept)
    assert (a0, b1) == (-4.0, 14.0)
    assert 0.0 <= a1 <= 0.25 and 9.75 <= b0 <= 10.0
