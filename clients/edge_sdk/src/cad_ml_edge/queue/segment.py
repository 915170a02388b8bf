"""A segment: one batch of records stored as one compressed blob with two layers of CRC.

The body, before compression, is little-endian::

    u32 n | n × u32 record length | n × u32 record crc32 | the n payloads, concatenated

The stored blob is ``zlib.compress(body, level)``; the segment CRC is the crc32 of the
stored blob, so a flipped bit on disk is caught before decompression, and a record CRC
catches anything the segment CRC could not (a blob rewritten with a matching CRC). A
batch is compressed once: compressing each record costs 3-4× the throughput.

Examples:
    >>> blob, crc, raw = encode_segment([b"a", b"bc"])
    >>> decode_segment(blob, crc, 2), raw
    ([b'a', b'bc'], 3)
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from cad_ml_edge.errors import CorruptRecordError
from cad_ml_edge.queue.policy import Priority

__all__ = ["Segment", "decode_segment", "encode_segment"]

_U32 = struct.Struct("<I")


@dataclass(frozen=True)
class Segment:
    """A batch of records handed to an uplink; acknowledge it with its ``id``.

    Attributes:
        id: the segment's id (never reused within one database).
        stream: the stream it belongs to.
        priority: the stream's priority class.
        records: the payloads, in enqueue order.
        first_seq: the per-stream sequence number of ``records[0]``.
        last_seq: the per-stream sequence number of ``records[-1]``.
        created_at: when it was enqueued (the queue's clock, unix seconds).
    """

    id: int
    stream: str
    priority: Priority
    records: list[bytes]
    first_seq: int
    last_seq: int
    created_at: float

    @property
    def nbytes(self) -> int:
        """The payloads' total size in bytes."""
        return sum(map(len, self.records))


def encode_segment(payloads: Sequence[bytes], level: int = 1) -> tuple[bytes, int, int]:
    """Pack and compress a batch.

    Args:
        payloads: the records (bytes-like), at least one.
        level: the zlib level (0 stores, 1 is fastest compression, 9 smallest).

    Returns:
        ``(blob, segment_crc, raw_bytes)``: the stored blob, its crc32 and the payloads'
        total size.

    Raises:
        ValueError: no payloads.
        TypeError: a payload is not bytes-like.
    """
    n = len(payloads)
    if n == 0:
        raise ValueError("a segment needs at least one record")
    lengths = [len(p) for p in payloads]
    crcs = [zlib.crc32(p) for p in payloads]
    head = struct.pack(f"<{2 * n + 1}I", n, *lengths, *crcs)
    blob = zlib.compress(b"".join((head, *payloads)), level)
    return blob, zlib.crc32(blob), sum(lengths)


def _corrupt(detail: str) -> CorruptRecordError:
    return CorruptRecordError("EDGE_RECORD_CORRUPT", detail=detail)


def decode_segment(blob: bytes, crc: int, count: int) -> list[bytes]:
    """Check and unpack a stored blob.

    Args:
        blob: the stored blob.
        crc: the segment CRC stored beside it.
        count: the number of records stored beside it.

    Returns:
        The payloads, in order.

    Raises:
        CorruptRecordError: a CRC does not match, the blob does not decompress, or its
            layout disagrees with ``count`` or with its own lengths.
    """
    if zlib.crc32(blob) != crc:
        raise _corrupt("segment CRC mismatch")
    try:
        body = zlib.decompress(blob)
        (n,) = _U32.unpack_from(body)
        lengths = struct.unpack_from(f"<{n}I", body, 4)
        crcs = struct.unpack_from(f"<{n}I", body, 4 + 4 * n)
    except (zlib.error, struct.error) as exc:
        raise _corrupt(f"undecodable segment: {exc}") from exc
    offset = 4 + 8 * n
    if n != count or offset + sum(lengths) != len(body):
        raise _corrupt(f"segment layout: {n} records in {len(body)} bytes, expected {count}")
    records = []
    for index, (length, expected) in enumerate(zip(lengths, crcs, strict=True)):
        record = body[offset : offset + length]
        if zlib.crc32(record) != expected:
            raise _corrupt(f"record {index} CRC mismatch")
        records.append(record)
        offset += length
    return records
