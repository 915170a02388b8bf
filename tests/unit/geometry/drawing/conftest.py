"""Fixtures of the drawing tests: a structural PDF checker (no poppler needed)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest


def _check_pdf(data: bytes) -> dict[int, bytes]:
    """Assert header, xref offsets, trailer and ``%%EOF``; return the objects by number."""
    assert data.startswith(b"%PDF-1.4\n")
    assert data.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))  # type: ignore[union-attr]
    assert data[startxref : startxref + 5] == b"xref\n"
    head = re.match(rb"xref\n0 (\d+)\n", data[startxref:])
    assert head is not None
    count = int(head.group(1))
    table = data[startxref + head.end() : startxref + head.end() + 20 * count]
    rows = [table[i : i + 20] for i in range(0, len(table), 20)]
    assert rows[0] == b"0000000000 65535 f \n"
    objects: dict[int, bytes] = {}
    for number, row in enumerate(rows[1:], start=1):
        assert re.fullmatch(rb"\d{10} 00000 n \n", row), row
        offset = int(row[:10])
        assert data.startswith(f"{number} 0 obj\n".encode(), offset), number
        end = data.index(b"\nendobj\n", offset)
        objects[number] = data[offset:end]
    trailer = data[startxref + head.end() + 20 * count :]
    assert trailer.startswith(f"trailer\n<< /Size {count} /Root 1 0 R".encode())
    for number, body in objects.items():
        stream = re.search(rb"<< /Length (\d+) >>\nstream\n", body)
        if stream:
            length = int(stream.group(1))
            assert body[stream.end() + length :] == b"endstream", number
    return objects


@pytest.fixture(scope="session")
def check_pdf() -> Callable[[bytes], dict[int, bytes]]:
    """``check_pdf(data)``: assert the PDF's structure, return its objects by number."""
    return _check_pdf
