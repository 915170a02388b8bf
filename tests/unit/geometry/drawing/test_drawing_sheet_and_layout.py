"""Sheet options, scale series and the documented sheet/scale rule (pure, no kernel)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cadml.errors import ValidationError
from cadml.geometry.drawing.layout import choose_sheet_and_scale, plan_layout, title_block_rect
from cadml.geometry.drawing.sheet import STANDARD_SCALES, SheetInfo, format_scale, parse_scale


def box_extents(x: float, y: float, z: float) -> dict[str, tuple[float, float, float, float]]:
    """View extents of an axis-aligned x*y*z block with its corner at the origin."""
    iso_w = (x + y) / 2**0.5
    iso_h = z * (2 / 3) ** 0.5 + (x + y) / 6**0.5
    return {
        "front": (0.0, 0.0, x, z),
        "top": (0.0, 0.0, x, y),
        "right": (0.0, 0.0, y, z),
        "iso": (-iso_w / 2, -iso_h / 2, iso_w / 2, iso_h / 2),
    }


def test_scale_text_round_trips() -> None:
    assert [parse_scale(format_scale(s)) for s in STANDARD_SCALES] == pytest.approx(
        list(STANDARD_SCALES)
    )
    assert format_scale(1 / 2.5) == "1:2.5"
    assert parse_scale(" 2 : 1 ") == 2.0


@pytest.mark.parametrize("text", ["", "1/2", "0:1", "1:0", "a:b", "1:2:3", "-1:2"])
def test_malformed_scale_is_an_invalid_option(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_scale(text)
    assert caught.value.code == "DRAWING_INVALID_OPTION"
    assert caught.value.details["field"] == "scale"


@pytest.mark.parametrize(
    ("field", "value"),
    [("projection", "second"), ("language", "de"), ("units", "inch"), ("scale", "half")],
)
def test_sheet_info_rejects_unknown_options(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SheetInfo("t", "p", "m", **{field: value})  # type: ignore[arg-type]
    assert caught.value.code == "DRAWING_INVALID_OPTION"
    assert caught.value.details["field"] == field
    assert value in caught.value.message("tr")


def test_a_1000_mm_part_goes_on_a3_at_1_to_5() -> None:
    # Grid width at scale s (first angle): right view 300s + gap 10 + front 1000s + 12 mm
    # of dimension space = 1300s + 22. A4's area is 257 mm wide: 1:5 needs 282, so A4
    # would be 1:10; A3's is 380 mm: 1:5 fits, 1:2 (672) does not. A4 would reduce
    # below 1:1 and A3 gives a larger scale, so the rule takes A3.
    extents = box_extents(1000.0, 300.0, 200.0)
    assert choose_sheet_and_scale(extents, "first", "auto", None) == ("A3", 0.2)
    assert choose_sheet_and_scale(extents, "first", "A4", None) == ("A4", 0.1)
    assert choose_sheet_and_scale(extents, "third", "auto", None) == ("A3", 0.2)


def test_a_small_part_stays_on_a4_even_when_a3_could_enlarge_it() -> None:
    # 100 x 50 x 30 fits A4 at 1:1 (grid 172 x 120 mm); A3 would allow 2:1 but the
    # rule only moves to A3 to avoid a reduction.
    extents = box_extents(100.0, 50.0, 30.0)
    assert choose_sheet_and_scale(extents, "first", "auto", None) == ("A4", 1.0)
    assert choose_sheet_and_scale(extents, "first", "A3", None) == ("A3", 2.0)
    tiny = box_extents(10.0, 5.0, 3.0)
    assert choose_sheet_and_scale(tiny, "first", "auto", None) == ("A4", 10.0)


def test_a_fixed_scale_takes_the_first_sheet_where_it_fits() -> None:
    extents = box_extents(1000.0, 300.0, 200.0)
    assert choose_sheet_and_scale(extents, "first", "auto", 0.2) == ("A3", 0.2)
    assert choose_sheet_and_scale(extents, "first", "auto", 0.1) == ("A4", 0.1)
    with pytest.raises(ValidationError) as caught:
        choose_sheet_and_scale(extents, "first", "auto", 1.0)
    assert caught.value.code == "DRAWING_TOO_LARGE_FOR_SHEET"
    assert caught.value.details["sheet"] == "A3"
    assert caught.value.details["scale"] == "1:1"


def test_a_part_too_large_for_any_standard_scale_is_refused() -> None:
    extents = box_extents(5.0e6, 1.0e6, 1.0e6)
    with pytest.raises(ValidationError) as caught:
        choose_sheet_and_scale(extents, "first", "auto", None)
    assert caught.value.code == "DRAWING_TOO_LARGE_FOR_SHEET"


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("projection", ["first", "third"])
@pytest.mark.parametrize("size", [(100.0, 50.0, 30.0), (1000.0, 300.0, 200.0), (20.0, 200.0, 5.0)])
def test_views_are_aligned_and_clear_of_each_other_and_the_title_block(
    projection: str, size: tuple[float, float, float]
) -> None:
    extents = box_extents(*size)
    sheet, scale = choose_sheet_and_scale(extents, projection, "auto", None)
    layout = plan_layout(extents, size, projection, sheet, scale)
    boxes = {}
    for name, (s, (ox, oy)) in layout.placements.items():
        u0, v0, u1, v1 = extents[name]
        boxes[name] = (ox + s * u0, oy - s * v1, ox + s * u1, oy - s * v0)
    assert set(boxes) == {"front", "top", "right", "iso"}
    assert layout.placements["iso"][0] in STANDARD_SCALES
    assert layout.placements["iso"][0] <= scale
    # Projection alignment: front/top share x, front/right share y.
    assert boxes["front"][0] == pytest.approx(boxes["top"][0])
    assert boxes["front"][1] == pytest.approx(boxes["right"][1])
    if projection == "first":
        assert boxes["top"][1] > boxes["front"][3] and boxes["right"][2] < boxes["front"][0]
    else:
        assert boxes["top"][3] < boxes["front"][1] and boxes["right"][0] > boxes["front"][2]
    width, height = layout.size_mm
    for a in boxes.values():  # inside the frame (20/10 mm) less the 5 mm working margin
        assert a[0] >= 25.0 - 1e-9 and a[2] <= width - 15.0 + 1e-9
        assert a[1] >= 15.0 - 1e-9 and a[3] <= height - 15.0 + 1e-9
    rects = [*boxes.values(), title_block_rect(layout.size_mm)]
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not _overlap(a, b)
    texts = sorted(d.text for d in layout.dimensions)
    assert texts == sorted(f"{v:g}" for v in size)


def test_the_package_imports_no_kernel() -> None:
    script = (
        "import json, sys\n"
        "import cadml.geometry.drawing, cadml.geometry.drawing.hlr, cadml.geometry.drawing.pdf\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('OCP', 'build123d'))))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True, timeout=120
    )
    assert json.loads(completed.stdout) == []
