"""The human-readable output of ``cadml physics``."""

from __future__ import annotations

from cadml.cli.physics import _face_list


def test_short_face_lists_are_printed_whole() -> None:
    assert _face_list([]) == "[]"
    assert _face_list(list(range(12))) == str(list(range(12)))


def test_long_face_lists_are_cut_and_say_how_many_are_left() -> None:
    text = _face_list(list(range(1000, 1100)))
    assert text.startswith("[1000, 1001,") and "1011, … 88 more (--json lists all)]" in text
    assert "1012" not in text
