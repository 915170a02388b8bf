"""Error codes of the ingest pipeline and the MQTT transport (TWIN_INGEST_*, TWIN_MQTT_*).

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

_RETRY = _s(
    "Send the same frames again after the Retry-After delay; writes are idempotent on "
    "(device_id, timestamp), so a resend never stores a frame twice.",
    "Aynı çerçeveleri Retry-After süresinden sonra yeniden gönderin; yazmalar "
    "(device_id, timestamp) üzerinde idempotenttir, yeniden gönderim bir çerçeveyi iki kez "
    "saklamaz.",
)
_BROKER = _s(
    "Check that the broker runs and that CADML_MQTT_URL (mqtt://host:1883 or "
    "mqtts://host:8883) points at it; `mosquitto -v` shows connection attempts.",
    "Aracının çalıştığını ve CADML_MQTT_URL değerinin (mqtt://host:1883 veya "
    "mqtts://host:8883) onu gösterdiğini kontrol edin; `mosquitto -v` bağlantı "
    "denemelerini gösterir.",
)

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "TWIN_INGEST_OVERLOADED",
        "The ingest queue is full ({queue_depth} of {capacity} frames); "
        "{frames} frames were not accepted.",
        "Alım kuyruğu dolu ({queue_depth} / {capacity} çerçeve); {frames} çerçeve kabul edilmedi.",
        (
            _RETRY,
            _s(
                "If this persists, raise CADML_TWIN_QUEUE_FRAMES, use a faster store or run "
                "more ingestors on a shared subscription.",
                "Sürerse CADML_TWIN_QUEUE_FRAMES değerini artırın, daha hızlı bir depo "
                "kullanın veya paylaşımlı abonelikte daha fazla alıcı çalıştırın.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_INGEST_STOPPED",
        "The ingest pipeline is stopped ({reason}); {frames} frames were not stored.",
        "Alım hattı durduruldu ({reason}); {frames} çerçeve saklanmadı.",
        (_RETRY,),
    ),
    ErrorSpec(
        "TWIN_INGEST_TIMEOUT",
        "The store did not commit {frames} frames within {timeout_s} s.",
        "Depo {frames} çerçeveyi {timeout_s} s içinde kaydetmedi.",
        (
            _RETRY,
            _s(
                "Check the time-series store (cadml ingest --stats-every 5 shows store "
                "errors and the queue depth).",
                "Zaman serisi deposunu kontrol edin (cadml ingest --stats-every 5 depo "
                "hatalarını ve kuyruk derinliğini gösterir).",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_MQTT_UNAVAILABLE",
        "The MQTT broker at {url} cannot be reached: {reason}",
        "{url} adresindeki MQTT aracısına ulaşılamıyor: {reason}",
        (_BROKER,),
    ),
    ErrorSpec(
        "TWIN_MQTT_REFUSED",
        "The MQTT broker at {url} refused the connection: {reason}",
        "{url} adresindeki MQTT aracısı bağlantıyı reddetti: {reason}",
        (
            _s(
                "Check CADML_MQTT_USERNAME / CADML_MQTT_PASSWORD and the broker's ACL for "
                "the client id and topic.",
                "CADML_MQTT_USERNAME / CADML_MQTT_PASSWORD değerlerini ve aracının istemci "
                "kimliği ile konu için erişim listesini kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_MQTT_INVALID_URL",
        "The MQTT URL '{url}' is invalid: {reason}",
        "'{url}' MQTT adresi geçersiz: {reason}",
        (
            _s(
                "Use mqtt://host:1883 (plain) or mqtts://host:8883 (TLS); user and password "
                "may be given as mqtt://user:password@host.",
                "mqtt://host:1883 (şifresiz) veya mqtts://host:8883 (TLS) kullanın; kullanıcı "
                "ve parola mqtt://kullanici:parola@host olarak verilebilir.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_MQTT_TLS_INVALID",
        "The MQTT TLS settings are invalid: {reason}",
        "MQTT TLS ayarları geçersiz: {reason}",
        (
            _s(
                "CADML_MQTT_CA_FILE must be a PEM CA bundle; a client certificate needs both "
                "CADML_MQTT_CERT_FILE and CADML_MQTT_KEY_FILE.",
                "CADML_MQTT_CA_FILE bir PEM CA paketi olmalı; istemci sertifikası için hem "
                "CADML_MQTT_CERT_FILE hem CADML_MQTT_KEY_FILE gerekir.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_MQTT_INVALID_CLIENT",
        "The MQTT client '{client}' is unknown; choose one of: {choices}.",
        "'{client}' MQTT istemcisi bilinmiyor; şunlardan birini seçin: {choices}.",
        (
            _s(
                "Set CADML_MQTT_CLIENT (or cadml ingest --client) to lean (the fast "
                "built-in subscriber) or paho (paho-mqtt).",
                "CADML_MQTT_CLIENT değerini (veya cadml ingest --client) lean (hızlı yerleşik "
                "abone) ya da paho (paho-mqtt) yapın.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_MQTT_INVALID_TOPIC",
        "The MQTT topic '{topic}' is invalid: {reason}",
        "'{topic}' MQTT konusu geçersiz: {reason}",
        (
            _s(
                "Subscribe to a filter whose last level is the device id, e.g. "
                "twin/telemetry/+; give a share group with --share-group, not in the topic.",
                "Son seviyesi cihaz kimliği olan bir filtreye abone olun, örneğin "
                "twin/telemetry/+; paylaşım grubunu konuda değil --share-group ile verin.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "TWIN_INGEST_OVERLOADED": 503,
    "TWIN_INGEST_STOPPED": 503,
    "TWIN_INGEST_TIMEOUT": 503,
    "TWIN_MQTT_UNAVAILABLE": 503,
    "TWIN_MQTT_REFUSED": 503,
    "TWIN_MQTT_INVALID_URL": 500,
    "TWIN_MQTT_TLS_INVALID": 500,
    "TWIN_MQTT_INVALID_TOPIC": 500,
    "TWIN_MQTT_INVALID_CLIENT": 500,
}
