"""The lean MQTT codec against hand-built byte strings (MQTT 5 and 3.1.1)."""

from __future__ import annotations

import pytest

from cadml.mqtt import packets as pk


def varint(n: int) -> bytes:
    """An independent variable-byte-integer encoder (the spec's algorithm, verbatim)."""
    out = b""
    while True:
        digit = n % 128
        n //= 128
        if n > 0:
            digit |= 0x80
        out += bytes([digit])
        if n == 0:
            return out


def publish(
    topic: bytes,
    payload: bytes,
    pid: int = 0,
    qos: int = 1,
    dup: bool = False,
    props: bytes | None = b"",
) -> bytes:
    """A PUBLISH built by hand; ``props=None`` means 3.1.1 (no properties field)."""
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += pid.to_bytes(2, "big")
    if props is not None:
        body += varint(len(props)) + props
    body += payload
    first = 0x30 | (qos << 1) | (0x08 if dup else 0)
    return bytes([first]) + varint(len(body)) + body


@pytest.mark.parametrize(
    ("n", "encoded"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (16_383, b"\xff\x7f"),
        (16_384, b"\x80\x80\x01"),
        (2_097_151, b"\xff\xff\x7f"),
        (2_097_152, b"\x80\x80\x80\x01"),
        (268_435_455, b"\xff\xff\xff\x7f"),
    ],
)
def test_variable_byte_integers_match_the_spec_table(n: int, encoded: bytes) -> None:
    assert pk.encode_varint(n) == encoded == varint(n)
    if n < 20_000:  # a whole packet of that remaining length
        packet = pk.packet_at(b"\xd0" + encoded + b"x" * n)
        assert packet is not None
        first, body, end = packet
        assert (first, len(body), end) == (0xD0, n, 1 + len(encoded) + n)
    else:  # only the header: incomplete
        assert pk.packet_at(b"\xd0" + encoded + b"x" * 100) is None


def test_varints_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError):
        pk.encode_varint(268_435_456)
    with pytest.raises(ValueError):
        pk.encode_varint(-1)
    with pytest.raises(pk.MalformedPacket):
        pk.split_packets(b"\x30\xff\xff\xff\xff\x01")


def test_connect_v5_with_session_expiry_receive_maximum_and_credentials() -> None:
    packet = pk.encode_connect(
        "c1",
        keepalive_s=30,
        clean_start=False,
        session_expiry_s=86_400,
        receive_maximum=10_000,
        username="u",
        password="p",
    )
    assert packet == (
        b"\x10\x1d"  # CONNECT, remaining length 29
        b"\x00\x04MQTT\x05"  # protocol name, level 5
        b"\xc0"  # user name + password, clean start off
        b"\x00\x1e"  # keepalive 30 s
        b"\x08\x11\x00\x01\x51\x80\x21\x27\x10"  # props: session expiry 86400, receive max
        b"\x00\x02c1\x00\x01u\x00\x01p"
    )


def test_connect_311_clean_start_without_credentials() -> None:
    assert pk.encode_connect("c1", keepalive_s=60, clean_start=True, v5=False) == (
        b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02c1"
    )


def test_subscribe_to_a_shared_filter_at_qos1() -> None:
    topic = b"$share/g/twin/+"
    assert pk.encode_subscribe(7, topic.decode(), 1) == (
        b"\x82" + bytes([2 + 1 + 2 + len(topic) + 1]) + b"\x00\x07\x00\x00\x0f" + topic + b"\x01"
    )
    assert pk.encode_subscribe(7, "a/b", 1, v5=False) == b"\x82\x08\x00\x07\x00\x03a/b\x01"


def test_pubacks_are_concatenated_in_order() -> None:
    assert pk.encode_pubacks([1, 0x1234, 65535]) == (
        b"\x40\x02\x00\x01\x40\x02\x12\x34\x40\x02\xff\xff"
    )
    assert pk.encode_pubacks([]) == b""
    assert pk.PINGREQ == b"\xc0\x00" and pk.DISCONNECT == b"\xe0\x00"


def test_connack_and_its_reason_codes() -> None:
    assert pk.decode_connack(b"\x01\x00\x03\x21\x00\x14") == (True, 0)  # with properties
    assert pk.decode_connack(b"\x00\x87\x00") == (False, 0x87)
    assert pk.connack_reason(0x87) == "not authorized (0x87)"
    assert pk.connack_reason(0x86) == "bad user name or password (0x86)"
    assert pk.connack_reason(4, v5=False) == "bad user name or password (0x04)"
    assert pk.connack_reason(0xFE).startswith("unknown")
    with pytest.raises(pk.MalformedPacket):
        pk.decode_connack(b"\x00")


def test_suback_skips_its_properties() -> None:
    # packet id 5; properties: reason string "" (0x1F, 2-byte length 0) = 3 bytes; QoS 1
    assert pk.decode_suback(b"\x00\x05\x03\x1f\x00\x00\x01") == (5, [1])
    assert pk.decode_suback(b"\x00\x05\x00\x87") == (5, [0x87])
    assert pk.decode_suback(b"\x00\x05\x01", v5=False) == (5, [1])
    with pytest.raises(pk.MalformedPacket):
        pk.decode_suback(b"\x00\x05\x09\x00")


def test_publish_v5_properties_are_skipped_by_their_length() -> None:
    # payload format indicator (0x01 0x01) + user property ("k", "v") + message expiry
    props = b"\x01\x01" + b"\x26\x00\x01k\x00\x01v" + b"\x02\x00\x00\x00\x3c"
    data = publish(b"twin/telemetry/d1", b"\x81\xa1a\x01", pid=300, dup=True, props=props)
    publishes, others, used = pk.split_packets(data)
    assert publishes == [(b"twin/telemetry/d1", b"\x81\xa1a\x01", 300, True)]
    assert others == [] and used == len(data)


def test_publish_with_a_properties_length_above_127() -> None:
    props = b"\x26\x00\x01k\x00\x82" + b"v" * 130  # user property, 137 bytes in all
    data = publish(b"t/d", b"payload", pid=9, props=props)
    assert len(props) > 127
    assert pk.split_packets(data)[0] == [(b"t/d", b"payload", 9, False)]


def test_qos0_publish_has_no_packet_id_and_311_has_no_properties() -> None:
    q0 = publish(b"t/a", b"\x00\x01", qos=0)
    v4 = publish(b"t/b", b"xyz", pid=2, props=None)
    assert pk.split_packets(q0)[0] == [(b"t/a", b"\x00\x01", 0, False)]
    assert pk.split_packets(v4, v5=False)[0] == [(b"t/b", b"xyz", 2, False)]


def test_many_packets_per_chunk_and_the_incomplete_tail_is_left() -> None:
    big = publish(b"t/big", bytes(range(256)) * 3, pid=3)  # remaining length needs 2 bytes
    stream = (
        publish(b"t/1", b"a", pid=1)
        + b"\xd0\x00"  # PINGRESP
        + publish(b"t/2", b"", pid=2)  # an empty payload
        + big
        + b"\x90\x04\x00\x09\x00\x01"  # SUBACK
        + publish(b"t/4", b"d", pid=4)
    )
    whole = pk.split_packets(stream)
    assert [p[2] for p in whole[0]] == [1, 2, 3, 4]
    assert whole[1] == [(0xD0, b""), (0x90, b"\x00\x09\x00\x01")]
    assert whole[2] == len(stream)
    # every cut: the first part yields complete packets only, the rest completes them
    for cut in range(len(stream) + 1):
        first_pubs, first_other, used = pk.split_packets(stream[:cut])
        rest = stream[used:cut] + stream[cut:]
        more_pubs, more_other, used2 = pk.split_packets(rest)
        assert used2 == len(rest), cut
        assert first_pubs + more_pubs == whole[0], cut
        assert first_other + more_other == whole[1], cut


def test_split_starts_at_an_offset() -> None:
    data = b"junk" + publish(b"t/1", b"a", pid=1)
    assert pk.split_packets(data, 4)[0] == [(b"t/1", b"a", 1, False)]


@pytest.mark.parametrize(
    "bad",
    [
        b"\x36\x06\x00\x01t\x00\x01\x00",  # QoS 3
        b"\x32\x01\x00",  # no room for the topic length
        b"\x32\x05\x00\x09t/1",  # topic longer than the packet
        b"\x32\x06\x00\x01t\x00\x00\x00",  # QoS 1 with packet id 0
        b"\x32\x06\x00\x01t\x00\x01\x05",  # properties longer than the packet
        b"\x30\x03\x00\x01t",  # QoS 0 without the v5 properties length
    ],
)
def test_malformed_publish_packets_are_refused(bad: bytes) -> None:
    with pytest.raises(pk.MalformedPacket):
        pk.split_packets(bad)
