"""The few MQTT packets a QoS 1 subscriber needs, encoded and decoded by hand (v5 and 3.1.1).

Encoders: CONNECT (clean start, session expiry, receive maximum, user name and password),
SUBSCRIBE (one filter, e.g. ``$share/group/twin/telemetry/+``), PUBACK (many at once),
PINGREQ and DISCONNECT. Decoders: CONNACK, SUBACK, and :func:`split_packets`, the hot
path: it cuts every complete packet out of a received chunk in one pass, decodes PUBLISH
packets into ``(topic, payload, packet_id, dup)`` tuples on the spot (MQTT 5 properties
are skipped by their length) and leaves an incomplete last packet for the next read.

Examples:
    >>> encode_pubacks([1, 258])
    b'@\\x02\\x00\\x01@\\x02\\x01\\x02'
    >>> publishes, others, used = split_packets(b"\\x32\\x0a\\x00\\x03a/b\\x00\\x07\\x00hi\\xd0")
    >>> publishes, others, used
    ([(b'a/b', b'hi', 7, False)], [], 12)
    >>> encode_varint(321)
    b'\\xc1\\x02'
"""

from __future__ import annotations

import struct

__all__ = [
    "CONNACK",
    "DISCONNECT",
    "PINGREQ",
    "PINGRESP",
    "PUBLISH",
    "SUBACK",
    "MalformedPacket",
    "Publish",
    "connack_reason",
    "decode_connack",
    "decode_suback",
    "encode_connect",
    "encode_pubacks",
    "encode_subscribe",
    "encode_varint",
    "packet_at",
    "split_packets",
]

# packet types (the high nibble of the first byte)
CONNACK = 2
PUBLISH = 3
SUBACK = 9
PINGRESP = 13
DISCONNECT_TYPE = 14

PINGREQ = b"\xc0\x00"
"""A PINGREQ packet."""
DISCONNECT = b"\xe0\x00"
"""A DISCONNECT packet (normal disconnection; the session is kept)."""

Publish = tuple[bytes, bytes, int, bool]
"""A received PUBLISH: ``(topic, payload, packet_id, dup)``; packet id 0 means QoS 0."""

_MAX_VARINT = 268_435_455

_V5_REASONS = {
    0x80: "unspecified error",
    0x81: "malformed packet",
    0x82: "protocol error",
    0x83: "implementation specific error",
    0x84: "unsupported protocol version",
    0x85: "client identifier not valid",
    0x86: "bad user name or password",
    0x87: "not authorized",
    0x88: "server unavailable",
    0x89: "server busy",
    0x8A: "banned",
    0x8C: "bad authentication method",
    0x8F: "topic filter invalid",
    0x90: "topic name invalid",
    0x95: "packet too large",
    0x97: "quota exceeded",
    0x99: "payload format invalid",
    0x9A: "retain not supported",
    0x9B: "QoS not supported",
    0x9C: "use another server",
    0x9D: "server moved",
    0x9E: "shared subscriptions not supported",
    0x9F: "connection rate exceeded",
    0xA2: "wildcard subscriptions not supported",
}
_V4_REASONS = {
    1: "unacceptable protocol version",
    2: "identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}


class MalformedPacket(ValueError):
    """The broker sent bytes that are not a valid MQTT packet (the connection is dropped)."""


def connack_reason(code: int, v5: bool = True) -> str:
    """A readable name of a CONNACK / SUBACK / DISCONNECT reason code.

    Examples:
        >>> connack_reason(0x87), connack_reason(5, v5=False)
        ('not authorized (0x87)', 'not authorized (0x05)')
    """
    names = _V5_REASONS if v5 else _V4_REASONS
    return f"{names.get(code, 'unknown reason')} (0x{code:02x})"


def encode_varint(n: int) -> bytes:
    """MQTT's variable byte integer (remaining length, property lengths).

    Raises:
        ValueError: ``n`` is negative or above 268,435,455.
    """
    if not 0 <= n <= _MAX_VARINT:
        raise ValueError(f"{n} does not fit an MQTT variable byte integer")
    out = bytearray()
    while True:
        n, byte = divmod(n, 128)
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _decode_varint(data: bytes, i: int, end: int) -> tuple[int, int]:
    """The variable byte integer at ``i`` and the index after it (``-1``: incomplete)."""
    value = 0
    shift = 0
    while True:
        if i >= end:
            return -1, i
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7
        if shift > 21:
            raise MalformedPacket("a variable byte integer longer than 4 bytes")


def _utf8(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > 65535:
        raise ValueError("an MQTT string is at most 65535 bytes")
    return struct.pack("!H", len(raw)) + raw


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + encode_varint(len(body)) + body


def encode_connect(
    client_id: str,
    *,
    keepalive_s: int = 30,
    clean_start: bool = False,
    session_expiry_s: int = 0,
    receive_maximum: int = 65535,
    username: str | None = None,
    password: str | None = None,
    v5: bool = True,
) -> bytes:
    """A CONNECT packet.

    Args:
        client_id: the session's client id.
        keepalive_s: keepalive interval (0-65535 s).
        clean_start: drop any session the broker holds for ``client_id``.
        session_expiry_s: how long the broker keeps the session after a disconnect (v5).
        receive_maximum: unacknowledged QoS 1/2 messages the broker may send (v5).
        username: user name, or None.
        password: password (sent only with a user name, as MQTT 3.1.1 requires).
        v5: MQTT 5 (else 3.1.1, where session expiry and receive maximum do not exist).

    Returns:
        The packet bytes.
    """
    flags = 0x02 if clean_start else 0
    tail = _utf8(client_id)
    if username is not None:
        flags |= 0x80
        tail += _utf8(username)
        if password is not None:
            flags |= 0x40
            secret = password.encode()
            tail += struct.pack("!H", len(secret)) + secret
    head = _utf8("MQTT") + bytes([5 if v5 else 4, flags]) + struct.pack("!H", keepalive_s)
    if v5:
        props = b"\x11" + struct.pack("!I", session_expiry_s)
        props += b"\x21" + struct.pack("!H", receive_maximum)
        head += encode_varint(len(props)) + props
    return _packet(0x10, head + tail)


def encode_subscribe(packet_id: int, topic_filter: str, qos: int = 1, *, v5: bool = True) -> bytes:
    """A SUBSCRIBE packet for one topic filter (no-local and retain flags off)."""
    body = struct.pack("!H", packet_id) + (b"\x00" if v5 else b"")
    return _packet(0x82, body + _utf8(topic_filter) + bytes([qos]))


def encode_pubacks(packet_ids: list[int]) -> bytes:
    """PUBACKs (reason: success) for ``packet_ids``, concatenated for one ``sendall``."""
    return struct.pack(f"!{len(packet_ids)}I", *[0x40020000 | pid for pid in packet_ids])


def decode_connack(body: bytes, v5: bool = True) -> tuple[bool, int]:
    """``(session_present, reason_code)`` of a CONNACK body (its properties are ignored).

    Raises:
        MalformedPacket: the body is shorter than 2 bytes.
    """
    if len(body) < 2:
        raise MalformedPacket(f"a CONNACK of {len(body)} bytes")
    return bool(body[0] & 1), body[1]


def decode_suback(body: bytes, v5: bool = True) -> tuple[int, list[int]]:
    """``(packet_id, reason_codes)`` of a SUBACK body; codes ≥ 0x80 are refusals.

    Raises:
        MalformedPacket: a truncated body.
    """
    if len(body) < 3:
        raise MalformedPacket(f"a SUBACK of {len(body)} bytes")
    packet_id = (body[0] << 8) | body[1]
    i = 2
    if v5:
        length, i = _decode_varint(body, 2, len(body))
        if length < 0 or i + length > len(body):
            raise MalformedPacket("SUBACK properties run past the packet")
        i += length
    return packet_id, list(body[i:])


def packet_at(data: bytes, start: int = 0) -> tuple[int, bytes, int] | None:
    """``(first_byte, body, end)`` of the packet at ``start``, None when it is incomplete.

    Examples:
        >>> packet_at(b"\\x20\\x03\\x00\\x00\\x00\\xd0")
        (32, b'\\x00\\x00\\x00', 5)
        >>> packet_at(b"\\x20\\x03\\x00") is None
        True
    """
    if start + 1 >= len(data):
        return None
    length, j = _decode_varint(data, start + 1, len(data))
    if length < 0 or j + length > len(data):
        return None
    return data[start], data[j : j + length], j + length


def split_packets(
    data: bytes, start: int = 0, v5: bool = True
) -> tuple[list[Publish], list[tuple[int, bytes]], int]:
    """Every complete packet in ``data[start:]``, PUBLISH packets already decoded.

    Args:
        data: received bytes (the previous read's incomplete tail first).
        start: where the first packet begins.
        v5: MQTT 5 (PUBLISH carries properties) or 3.1.1.

    Returns:
        ``(publishes, others, used)``: the PUBLISH packets as ``(topic, payload,
        packet_id, dup)`` in arrival order, the other packets as ``(first_byte, body)``,
        and the index after the last complete packet (keep ``data[used:]``).

    Raises:
        MalformedPacket: a packet that cannot be MQTT (bad lengths, QoS 3, ...).
    """
    publishes: list[Publish] = []
    others: list[tuple[int, bytes]] = []
    append = publishes.append
    n = len(data)
    i = start
    while i + 1 < n:
        first = data[i]
        byte = data[i + 1]
        if byte < 0x80:  # remaining length < 128: one byte
            j = i + 2
            end = j + byte
        else:
            length, j = _decode_varint(data, i + 1, n)
            if length < 0:
                break
            end = j + length
        if end > n:
            break
        if first >> 4 == PUBLISH:
            qos = (first >> 1) & 3
            k = j + 2 + ((data[j] << 8) | data[j + 1]) if end - j >= 2 else end + 1
            topic = data[j + 2 : k]
            if qos:
                if qos == 3:
                    raise MalformedPacket("a PUBLISH with QoS 3")
                pid = (data[k] << 8) | data[k + 1] if k + 2 <= end else 0
                k += 2
            else:
                pid = 0
            if v5 and k < end:
                plen = data[k]
                if plen < 0x80:
                    k += 1 + plen
                else:
                    plen, k = _decode_varint(data, k, end)
                    if plen < 0:
                        raise MalformedPacket("PUBLISH properties run past the packet")
                    k += plen
            elif v5:
                k += 1  # the properties length is missing: malformed (caught below)
            if k > end or (qos and pid == 0):
                raise MalformedPacket("a truncated PUBLISH packet")
            append((topic, data[k:end], pid, bool(first & 0x08)))
        else:
            others.append((first, data[j:end]))
        i = end
    return publishes, others, i
