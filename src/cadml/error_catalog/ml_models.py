"""Error codes of model training, export, quantisation and serving (ML, issue 7).

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "ML_CALIBRATION_TOO_SMALL",
        "Static INT8 quantisation needs at least {minimum} calibration samples; got {count}.",
        "Statik INT8 nicemleme en az {minimum} kalibrasyon örneği gerektirir; {count} verildi.",
        (
            _s(
                "Build a larger dataset (--parts-per-family) or lower the held-out share.",
                "Daha büyük bir veri kümesi oluşturun (--parts-per-family) veya ayrılan "
                "değerlendirme payını azaltın.",
            ),
            _s(
                "With fewer samples the INT8 model lost accuracy in our measurements.",
                "Daha az örnekle INT8 model ölçümlerimizde doğruluk kaybetti.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_NO_TRAINED_MODEL",
        "No trained {model} was found in {path}.",
        "{path} içinde eğitilmiş bir {model} bulunamadı.",
        (
            _s(
                "Train it first: cadml ml train-classifier",
                "Önce eğitin: cadml ml train-classifier",
            ),
        ),
    ),
    ErrorSpec(
        "ML_EXPORT_FAILED",
        "Exporting {model} to {format} failed: {reason}",
        "{model} modelinin {format} biçimine aktarımı başarısız oldu: {reason}",
        (
            _s(
                "Report the message; the trained weights are kept and can be exported again.",
                "Mesajı bildirin; eğitilmiş ağırlıklar saklanır ve yeniden aktarılabilir.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_EXPORT_GOAL_MISSED",
        "The export of {model} missed its targets: {missed}.",
        "{model} aktarımı hedeflerini tutturamadı: {missed}.",
        (
            _s(
                "The report above shows each figure against its target; the files are "
                "written but not marked as meeting the targets.",
                "Yukarıdaki rapor her değeri hedefiyle birlikte gösterir; dosyalar yazıldı "
                "ancak hedefleri karşılıyor olarak işaretlenmedi.",
            ),
            _s(
                "Retrain with more epochs or parts, or calibrate with more samples.",
                "Daha fazla dönem veya parçayla yeniden eğitin ya da daha fazla örnekle "
                "kalibre edin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_UNKNOWN_MODEL_KIND",
        "Unknown model '{model}'. Known: {allowed}.",
        "'{model}' modeli bilinmiyor. Bilinenler: {allowed}.",
        (_s("Pick one of the listed models.", "Listelenen modellerden birini seçin."),),
    ),
)

STATUS: dict[str, int] = {
    "ML_CALIBRATION_TOO_SMALL": 422,
    "ML_NO_TRAINED_MODEL": 404,
    "ML_EXPORT_FAILED": 500,
    "ML_EXPORT_GOAL_MISSED": 422,
    "ML_UNKNOWN_MODEL_KIND": 422,
}
