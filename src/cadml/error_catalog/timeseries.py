"""Error codes of the time-series stores (TWIN_STORE_*).

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.

Details: ``store`` (adapter name: ``sqlite``, ``postgres``, ``influx``, ``memory``) and
``reason`` (what failed, in English, from the driver or the check).
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "TWIN_STORE_UNAVAILABLE",
        "The time-series store '{store}' cannot be reached: {reason}",
        "Zaman serisi deposuna '{store}' ulaşılamıyor: {reason}",
        (
            _s(
                "Check that the database runs and that CADML_TWIN_STORE and its URL "
                "(CADML_TWIN_POSTGRES_URL, CADML_TWIN_INFLUX_URL) or CADML_TWIN_SQLITE_PATH "
                "are right; then retry.",
                "Veritabanının çalıştığını ve CADML_TWIN_STORE ile adresinin "
                "(CADML_TWIN_POSTGRES_URL, CADML_TWIN_INFLUX_URL) veya CADML_TWIN_SQLITE_PATH "
                "ayarının doğru olduğunu kontrol edin; sonra yeniden deneyin.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_STORE_WRITE_FAILED",
        "The time-series store '{store}' could not store the batch (nothing of it was "
        "stored): {reason}",
        "Zaman serisi deposu '{store}' partiyi kaydedemedi (partiden hiçbir şey "
        "kaydedilmedi): {reason}",
        (
            _s(
                "Send the batch again later: writes are idempotent, so a retry never "
                "stores a frame twice.",
                "Partiyi daha sonra yeniden gönderin: yazmalar idempotenttir, yeniden "
                "deneme bir çerçeveyi asla iki kez kaydetmez.",
            ),
            _s(
                "Check the database's free disk space and its log.",
                "Veritabanının boş disk alanını ve günlüğünü kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_STORE_INVALID_QUERY",
        "Invalid time-series query: {reason}",
        "Geçersiz zaman serisi sorgusu: {reason}",
        (
            _s(
                "Name a numeric field as sensors.<name> or metrics.<name>; use one of the "
                "functions mean, min, max, sum, count, stddev; give a window of at least "
                "0.001 s and a time range with start <= stop (unix seconds).",
                "Sayısal alanı sensors.<ad> veya metrics.<ad> olarak adlandırın; mean, min, "
                "max, sum, count, stddev işlevlerinden birini kullanın; en az 0.001 s'lik bir "
                "pencere ve start <= stop olan bir zaman aralığı (unix saniyesi) verin.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "TWIN_STORE_UNAVAILABLE": 503,
    "TWIN_STORE_WRITE_FAILED": 503,
    "TWIN_STORE_INVALID_QUERY": 422,
}
