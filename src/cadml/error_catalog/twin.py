"""Error codes of telemetry frames: why a frame or a payload was refused.

The same codes count rejected frames by reason in the ingest counters. ``STATUS`` gives
each its HTTP status (422 for frames that can never be accepted as sent; 413 for a
payload that is too large).
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

_FORMAT = _s(
    "Send one frame or a list of frames as MsgPack (Content-Type: application/msgpack) or "
    "JSON: {timestamp: unix seconds ≥ 0, device_id, sensors: {name: number}, "
    "metrics: {name: number}, status: {...}}.",
    "Tek bir çerçeve veya çerçeve listesi gönderin; MsgPack (Content-Type: "
    "application/msgpack) veya JSON: {timestamp: ≥ 0 unix saniyesi, device_id, sensors: "
    "{ad: sayı}, metrics: {ad: sayı}, status: {...}}.",
)
_CLOCK = _s(
    "Synchronise the device clock (NTP) or send unix seconds, not milliseconds; the "
    "accepted window is set by CADML_TWIN_MAX_FUTURE_S and CADML_TWIN_MAX_AGE_S.",
    "Cihaz saatini eşitleyin (NTP) veya milisaniye değil unix saniyesi gönderin; kabul "
    "penceresi CADML_TWIN_MAX_FUTURE_S ve CADML_TWIN_MAX_AGE_S ile ayarlanır.",
)

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "TWIN_FRAME_EMPTY",
        "The telemetry payload holds no frames: {detail}",
        "Telemetri yükü hiç çerçeve içermiyor: {detail}",
        (_FORMAT,),
    ),
    ErrorSpec(
        "TWIN_FRAME_UNDECODABLE",
        "The telemetry payload is neither valid MsgPack nor valid JSON: {detail}",
        "Telemetri yükü geçerli bir MsgPack veya JSON değil: {detail}",
        (_FORMAT,),
    ),
    ErrorSpec(
        "TWIN_FRAME_INVALID",
        "Telemetry frame {index} is invalid: {detail}",
        "{index} numaralı telemetri çerçevesi geçersiz: {detail}",
        (_FORMAT,),
    ),
    ErrorSpec(
        "TWIN_FRAME_DEVICE_MISMATCH",
        "Telemetry frame {index} belongs to another device: {detail}",
        "{index} numaralı telemetri çerçevesi başka bir cihaza ait: {detail}",
        (
            _s(
                "Send each device's frames to its own URL or topic "
                "(/api/v1/twin/{{device_id}}/telemetry, twin/telemetry/{{device_id}}).",
                "Her cihazın çerçevelerini kendi adresine veya konusuna gönderin "
                "(/api/v1/twin/{{device_id}}/telemetry, twin/telemetry/{{device_id}}).",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_FRAME_FUTURE",
        "Telemetry frame {index} is from the future: {detail}",
        "{index} numaralı telemetri çerçevesi gelecekten: {detail}",
        (_CLOCK,),
    ),
    ErrorSpec(
        "TWIN_FRAME_TOO_OLD",
        "Telemetry frame {index} is too old to accept: {detail}",
        "{index} numaralı telemetri çerçevesi kabul edilemeyecek kadar eski: {detail}",
        (_CLOCK,),
    ),
    ErrorSpec(
        "TWIN_FRAME_TOO_LARGE",
        "The telemetry payload is {size} bytes; the limit is {limit} bytes",
        "Telemetri yükü {size} bayt; sınır {limit} bayt",
        (
            _s(
                "Send smaller batches (a few thousand frames at most).",
                "Daha küçük partiler gönderin (en fazla birkaç bin çerçeve).",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {spec.code: 422 for spec in SPECS} | {"TWIN_FRAME_TOO_LARGE": 413}
