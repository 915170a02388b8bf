"""The SDK's errors: a small tree, each with a stable code and English/Turkish messages.

The SDK never imports ``cadml``; its codes use the ``EDGE_`` prefix so they never clash
with the platform's.

Examples:
    >>> err = QueueFullError("EDGE_QUEUE_FULL", stream="vibration", limit_bytes=1024)
    >>> err.code, err.message("en")
    ('EDGE_QUEUE_FULL', "The buffer is full (1024 bytes); stream 'vibration' rejects new records.")
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "MESSAGES",
    "ConfigError",
    "CorruptRecordError",
    "EdgeError",
    "ModelError",
    "QueueFullError",
    "RuleError",
    "UplinkError",
    "WireError",
]

MESSAGES: dict[str, tuple[str, str, str]] = {
    # code: (English, Turkish, suggestion in English)
    "EDGE_QUEUE_FULL": (
        "The buffer is full ({limit_bytes} bytes); stream '{stream}' rejects new records.",
        "Tampon dolu ({limit_bytes} bayt); '{stream}' akışı yeni kayıtları reddediyor.",
        "Restore the uplink, raise max_bytes, or use the drop_oldest policy for this stream.",
    ),
    "EDGE_RECORD_CORRUPT": (
        "A stored record failed its CRC check ({detail}).",
        "Saklanan bir kayıt CRC denetiminden geçemedi ({detail}).",
        "The record is quarantined; check the storage medium.",
    ),
    "EDGE_WIRE_INVALID": (
        "Invalid telemetry frame: {detail}",
        "Geçersiz telemetri çerçevesi: {detail}",
        "Send timestamp (s), device_id and numeric sensors/metrics.",
    ),
    "EDGE_RULE_INVALID": (
        "Rule '{rule}' is invalid: {detail}",
        "'{rule}' kuralı geçersiz: {detail}",
        "See the rule format in the cad-ml-edge README.",
    ),
    "EDGE_UPLINK_FAILED": (
        "The uplink failed: {detail}",
        "Bağlantı başarısız: {detail}",
        "Records stay buffered and are retried with backoff.",
    ),
    "EDGE_UPLINK_REJECTED": (
        "The platform rejected a batch ({status}): {detail}",
        "Platform bir grubu reddetti ({status}): {detail}",
        "Check the device's API key and the frame format.",
    ),
    "EDGE_MODEL_INVALID": (
        "Model '{model}' cannot be used: {detail}",
        "'{model}' modeli kullanılamıyor: {detail}",
        "Check the model file, its input schema and its sha256.",
    ),
    "EDGE_MODEL_ROLLED_BACK": (
        "Model '{model}' failed its health check and was rolled back to {previous}: {detail}",
        "'{model}' modeli sağlık denetiminden geçemedi ve {previous} sürümüne geri alındı: "
        "{detail}",
        "Inspect the new version's outputs on the sample inputs.",
    ),
    "EDGE_CONFIG_INVALID": (
        "Invalid configuration: {detail}",
        "Geçersiz yapılandırma: {detail}",
        "See `cad-ml-edge run --help` and the example edge.toml.",
    ),
    "EDGE_DISK_FULL": (
        "The disk holding {path} is full; {records} records of stream '{stream}' were not stored.",
        "{path} dosyasının bulunduğu disk dolu; '{stream}' akışının {records} kaydı saklanamadı.",
        "Free disk space or set max_bytes below the free space; earlier records are intact.",
    ),
    "EDGE_QUEUE_STORAGE": (
        "The queue database {path} failed: {detail}",
        "Kuyruk veritabanı {path} hata verdi: {detail}",
        "Check the file, its permissions and the disk; move a damaged file aside to start anew.",
    ),
    "EDGE_MODEL_DOWNLOAD_FAILED": (
        "Downloading model '{model}' from {url} failed: {detail}",
        "'{model}' modeli {url} adresinden indirilemedi: {detail}",
        "Check the URL, the device's API key and the connection; the current version "
        "stays in use and the download can be retried.",
    ),
    "EDGE_RULE_STATE_INVALID": (
        "Saved rule state cannot be restored: {detail}",
        "Kaydedilmiş kural durumu geri yüklenemiyor: {detail}",
        "Delete the rule state file to start with empty windows; rules stay valid.",
    ),
}


class _Defaulting(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "?"


class EdgeError(Exception):
    """Root of the SDK's errors.

    Args:
        code: a key of :data:`MESSAGES`.
        **details: values for the message templates.
    """

    def __init__(self, code: str, **details: Any) -> None:
        self.code = code
        self.details = details
        super().__init__(f"{code}: {self.message('en')}")

    def message(self, lang: str = "en") -> str:
        """The message in English (``"en"``) or Turkish (``"tr"``)."""
        en, tr, _ = MESSAGES[self.code]
        return (tr if lang == "tr" else en).format_map(_Defaulting(self.details))

    @property
    def suggestion(self) -> str:
        """What to do about it."""
        return MESSAGES[self.code][2]


class QueueFullError(EdgeError):
    """The buffer is full and the stream's policy is to reject new records."""


class CorruptRecordError(EdgeError):
    """A stored record or segment failed its CRC."""


class WireError(EdgeError, ValueError):
    """A telemetry frame could not be encoded or decoded."""


class RuleError(EdgeError, ValueError):
    """A rule definition is invalid."""


class UplinkError(EdgeError):
    """Sending to the platform failed (retryable)."""


class ModelError(EdgeError):
    """A model could not be loaded, validated, downloaded or switched."""


class ConfigError(EdgeError, ValueError):
    """The edge configuration is invalid."""
