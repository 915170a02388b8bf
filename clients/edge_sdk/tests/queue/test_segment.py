"""The segment codec: round trips, and every way a stored blob can be found corrupt."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cad_ml_edge.errors import CorruptRecordError
from cad_ml_edge.queue.policy import Priority
from cad_ml_edge.queue.segment import Segment, decode_segment, encode_segment


@given(
    payloads=st.lists(st.binary(max_size=300), min_size=1, max_size=50),
    level=st.sampled_from([0, 1, 6, 9]),
)
def test_round_trip(payloads: list[bytes], level: int) -> None:
    blob, crc, raw = encode_segment(payloads, level)
    assert crc == zlib.crc32(blob)
    assert raw == sum(map(len, payloads))
    assert decode_segment(blob, crc, len(payloads)) == payloads


def test_batch_is_compressed_once() -> None:
    payloads = [b"temperature=71.5;" * 10] * 100
    blob, _, raw = encode_segment(payloads, 1)
    assert len(blob) < raw / 20


def test_bytes_like_payloads() -> None:
    blob, crc, _ = encode_segment([bytearray(b"ab"), memoryview(b"cd")])
    assert decode_segment(blob, crc, 2) == [b"ab", b"cd"]


def test_empty_batch_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        encode_segment([])


def test_text_payload_refused() -> None:
    with pytest.raises(TypeError):
        encode_segment(["not bytes"])  # type: ignore[list-item]


def _body(lengths: list[int], crcs: list[int], data: bytes, n: int | None = None) -> bytes:
    n = len(lengths) if n is None else n
    return struct.pack(f"<{1 + 2 * len(lengths)}I", n, *lengths, *crcs) + data


def _sealed(body: bytes) -> tuple[bytes, int]:
    blob = zlib.compress(body)
    return blob, zlib.crc32(blob)


def test_segment_crc_mismatch() -> None:
    blob, crc, _ = encode_segment([b"abc"])
    flipped = bytes([blob[0], blob[1] ^ 0x01]) + blob[2:]
    with pytest.raises(CorruptRecordError, match="segment CRC mismatch") as caught:
        decode_segment(flipped, crc, 1)
    assert caught.value.code == "EDGE_RECORD_CORRUPT"


@pytest.mark.parametrize(
    ("blob", "match"),
    [
        (b"not zlib at all", "undecodable segment"),  # zlib.error
        (zlib.compress(b"\x01\x00"), "undecodable segment"),  # struct.error: short count
        (zlib.compress(struct.pack("<I", 3) + b"\x00" * 8), "undecodable segment"),
    ],
)
def test_undecodable_blob(blob: bytes, match: str) -> None:
    with pytest.raises(CorruptRecordError, match=match):
        decode_segment(blob, zlib.crc32(blob), 1)


def test_count_disagrees_with_row() -> None:
    blob, crc = _sealed(_body([1], [zlib.crc32(b"a")], b"a"))
    with pytest.raises(CorruptRecordError, match="expected 2"):
        decode_segment(blob, crc, 2)


def test_lengths_disagree_with_body() -> None:
    blob, crc = _sealed(_body([5], [zlib.crc32(b"a")], b"a"))
    with pytest.raises(CorruptRecordError, match="segment layout"):
        decode_segment(blob, crc, 1)


def test_record_crc_mismatch_behind_a_valid_segment_crc() -> None:
    blob, crc = _sealed(_body([1, 1], [zlib.crc32(b"a"), zlib.crc32(b"b")], b"ax"))
    with pytest.raises(CorruptRecordError, match="record 1 CRC mismatch"):
        decode_segment(blob, crc, 2)


def test_segment_nbytes() -> None:
    segment = Segment(1, "s", Priority.HIGH, [b"ab", b"c"], 1, 2, 0.0)
    assert segment.nbytes == 3
