"""Error codes of anomaly detection on telemetry (ML_ANOMALY_*, issue 7).

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.

Details used: ``device``, ``field``, ``name`` (a trained detector's name), ``detector``
(a detector kind), ``value``, ``reason`` (English, from the check), ``rows`` /
``minimum`` / ``frames`` / ``limit`` (counts), ``available`` (comma-separated field
names), ``example`` (a value seen), ``path`` and ``maximum``.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

_RETRAIN = _s(
    "Train the detector again: cadml ml anomaly train --device D --field F --detector K "
    "--name N --replace",
    "Dedektörü yeniden eğitin: cadml ml anomaly train --device D --field F --detector K "
    "--name N --replace",
)
_LIST = _s(
    "List the trained detectors with: cadml ml anomaly list",
    "Eğitilmiş dedektörleri listeleyin: cadml ml anomaly list",
)

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "ML_ANOMALY_INVALID_SENSITIVITY",
        "The sensitivity {value} is invalid: it is the percent of training rows allowed "
        "above the threshold, greater than 0 and at most {maximum}.",
        "{value} duyarlılığı geçersiz: eşiğin üzerinde kalmasına izin verilen eğitim "
        "satırlarının yüzdesidir; 0'dan büyük ve en fazla {maximum} olmalıdır.",
        (
            _s(
                "0.05 flags about one normal reading in 2,000, 1 about one in 100; a "
                "higher sensitivity flags more.",
                "0.05 yaklaşık 2.000 normal okumadan birini, 1 ise yaklaşık 100'de birini "
                "işaretler; daha yüksek duyarlılık daha fazla işaretler.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_INVALID_OPTION",
        "The anomaly-detection option '{field}' has an invalid value '{value}': {reason}",
        "Anomali tespiti seçeneği '{field}' için '{value}' değeri geçersiz: {reason}",
        (
            _s(
                "Run the command with --help to see the allowed values.",
                "İzin verilen değerleri görmek için komutu --help ile çalıştırın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_INVALID_DATA",
        "The telemetry rows cannot be used: {reason}",
        "Telemetri satırları kullanılamıyor: {reason}",
        (
            _s(
                "Rows must be finite numbers, one column per field the detector was "
                "trained on, in the same order.",
                "Satırlar, dedektörün eğitildiği her alan için aynı sırada bir sütun olmak "
                "üzere sonlu sayılardan oluşmalıdır.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_NOT_FITTED",
        "The {detector} detector has not been trained yet.",
        "{detector} dedektörü henüz eğitilmedi.",
        (
            _s(
                "Call fit() with a history first, or load a trained detector.",
                "Önce bir geçmişle fit() çağırın ya da eğitilmiş bir dedektör yükleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_TOO_FEW_ROWS",
        "Only {rows} row(s) to train on; at least {minimum} are needed.",
        "Eğitim için yalnızca {rows} satır var; en az {minimum} satır gerekir.",
        (
            _s(
                "Widen the time range (--since/--until) or wait until the device has "
                "sent more data.",
                "Zaman aralığını genişletin (--since/--until) ya da cihaz daha fazla veri "
                "gönderene kadar bekleyin.",
            ),
            _s(
                "With --resample each row is one time bucket: a shorter bucket gives more rows.",
                "--resample ile her satır bir zaman dilimidir: daha kısa dilim daha çok "
                "satır verir.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_TOO_MANY_ROWS",
        "The time range holds more than {limit} frames of device '{device}'.",
        "Zaman aralığında '{device}' cihazına ait {limit} kareden fazlası var.",
        (
            _s(
                "Train on a shorter range with --since/--until.",
                "--since/--until ile daha kısa bir aralıkta eğitin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_UNKNOWN_DEVICE",
        "The time-series store holds no telemetry of device '{device}'.",
        "Zaman serisi deposunda '{device}' cihazına ait telemetri yok.",
        (
            _s(
                "Check the device id (cadml twin devices list) and that the device has "
                "sent data (cadml twin state DEVICE).",
                "Cihaz kimliğini (cadml twin devices list) ve cihazın veri gönderdiğini "
                "(cadml twin state CİHAZ) kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_FIELD_NOT_PRESENT",
        "Device '{device}' has no field '{field}' in the chosen time range. Fields seen: "
        "{available}.",
        "'{device}' cihazının seçilen zaman aralığında '{field}' alanı yok. Görülen "
        "alanlar: {available}.",
        (
            _s(
                "Use one of the fields listed; a bare name means sensors.<name>, so write "
                "metrics.<name> for a metric.",
                "Listelenen alanlardan birini kullanın; yalın bir ad sensors.<ad> demektir, "
                "bir metrik için metrics.<ad> yazın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_FIELD_NOT_NUMERIC",
        "The field '{field}' of device '{device}' is not numeric (for example {example}); "
        "detectors need numbers.",
        "'{device}' cihazının '{field}' alanı sayısal değil (örneğin {example}); "
        "dedektörler sayı gerektirir.",
        (
            _s(
                "Choose a sensor or metric field; a status field can be used only when "
                "it always holds a number.",
                "Bir sensör veya metrik alanı seçin; bir durum alanı yalnızca her zaman "
                "sayı içeriyorsa kullanılabilir.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_INVALID_NAME",
        "'{name}' cannot name a detector: {reason}",
        "'{name}' bir dedektör adı olamaz: {reason}",
        (
            _s(
                "Use 1-64 letters, digits, dots, dashes or underscores, starting with a "
                "letter or digit.",
                "Harf veya rakamla başlayan, 1-64 harf, rakam, nokta, tire veya alt çizgi "
                "kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_NAME_EXISTS",
        "A trained detector named '{name}' already exists.",
        "'{name}' adında eğitilmiş bir dedektör zaten var.",
        (
            _s(
                "Choose another --name, or pass --replace to train it again.",
                "Başka bir --name seçin ya da yeniden eğitmek için --replace verin.",
            ),
            _LIST,
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_NOT_FOUND",
        "No trained anomaly detector named '{name}' was found in {path}.",
        "{path} içinde '{name}' adında eğitilmiş bir anomali dedektörü bulunamadı.",
        (_LIST, _RETRAIN),
    ),
    ErrorSpec(
        "ML_ANOMALY_STATE_INVALID",
        "The saved state of the {detector} detector cannot be used: {reason}",
        "{detector} dedektörünün kayıtlı durumu kullanılamıyor: {reason}",
        (
            _s(
                "The files were changed or written by an incompatible version.",
                "Dosyalar değiştirilmiş ya da uyumsuz bir sürümle yazılmış.",
            ),
            _RETRAIN,
        ),
    ),
    ErrorSpec(
        "ML_ANOMALY_EXPORT_UNSUPPORTED",
        "The {detector} detector has no ONNX export.",
        "{detector} dedektörünün ONNX aktarımı yok.",
        (
            _s(
                "z-score and IQR detectors are a few numbers per field: use their JSON "
                "state (state.json) on the edge instead.",
                "z-skor ve IQR dedektörleri alan başına birkaç sayıdan ibarettir: uçta "
                "bunun yerine JSON durumlarını (state.json) kullanın.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "ML_ANOMALY_INVALID_SENSITIVITY": 422,
    "ML_ANOMALY_INVALID_OPTION": 422,
    "ML_ANOMALY_INVALID_DATA": 422,
    "ML_ANOMALY_NOT_FITTED": 409,
    "ML_ANOMALY_TOO_FEW_ROWS": 422,
    "ML_ANOMALY_TOO_MANY_ROWS": 422,
    "ML_ANOMALY_UNKNOWN_DEVICE": 404,
    "ML_ANOMALY_FIELD_NOT_PRESENT": 422,
    "ML_ANOMALY_FIELD_NOT_NUMERIC": 422,
    "ML_ANOMALY_INVALID_NAME": 422,
    "ML_ANOMALY_NAME_EXISTS": 409,
    "ML_ANOMALY_NOT_FOUND": 404,
    "ML_ANOMALY_STATE_INVALID": 422,
    "ML_ANOMALY_EXPORT_UNSUPPORTED": 422,
}
