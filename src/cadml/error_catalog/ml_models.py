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
    ErrorSpec(
        "ML_MODEL_NOT_FOUND",
        "Model '{name}' has no {what}.",
        "'{name}' modelinde {what} yok.",
        (
            _s(
                "List the models and their versions: GET /api/v1/model/versions",
                "Modelleri ve sürümlerini listeleyin: GET /api/v1/model/versions",
            ),
        ),
    ),
    ErrorSpec(
        "ML_MODEL_INVALID_NAME",
        "'{value}' is not a valid {field}: {reason}",
        "'{value}' geçerli bir {field} değil: {reason}",
        (
            _s(
                "Use 1-128 characters: lower-case letters, digits, '-', '_' and '.', "
                "starting with a letter or digit.",
                "1-128 karakter kullanın: küçük harf, rakam, '-', '_' ve '.'; bir harf "
                "veya rakamla başlayın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_MODEL_UNSUPPORTED_FORMAT",
        "Unsupported model format '{format}'. Supported: {allowed}.",
        "'{format}' model biçimi desteklenmiyor. Desteklenenler: {allowed}.",
        (
            _s(
                "Export the model to ONNX, or upload a pickled scikit-learn estimator, "
                "a TorchScript file or a TFLite file.",
                "Modeli ONNX biçimine aktarın ya da pickle edilmiş bir scikit-learn "
                "tahmincisi, TorchScript dosyası veya TFLite dosyası yükleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_MODEL_INVALID_FILE",
        "The uploaded {format} model failed its test inference: {reason}",
        "Yüklenen {format} modeli deneme çıkarımında başarısız oldu: {reason}",
        (
            _s(
                "Check that the file is complete and loads and runs where it was made.",
                "Dosyanın eksiksiz olduğunu, üretildiği yerde yüklenip çalıştığını kontrol edin.",
            ),
            _s(
                "TorchScript uploads need input_shape (e.g. [1, 24]) for the test inference.",
                "TorchScript yüklemeleri deneme çıkarımı için input_shape ister (örneğin [1, 24]).",
            ),
        ),
    ),
    ErrorSpec(
        "ML_MODEL_NOT_SERVABLE",
        "Version {version} of model '{name}' ({format}) has no ONNX file to serve: {reason}",
        "'{name}' modelinin {version} sürümünün ({format}) sunulacak ONNX dosyası yok: {reason}",
        (
            _s(
                "Download it and run it yourself, or upload an ONNX export of it.",
                "İndirip kendiniz çalıştırın ya da ONNX'e aktarılmış halini yükleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_MODEL_NO_ROLLBACK",
        "Alias '{alias}' of model '{name}' has no earlier version to roll back to.",
        "'{name}' modelinin '{alias}' takma adının geri dönülecek önceki bir sürümü yok.",
        (
            _s(
                "Point the alias at a version explicitly instead.",
                "Bunun yerine takma adı açıkça bir sürüme yönlendirin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_MODEL_DEPRECATED",
        "Version {version} of model '{name}' is deprecated and cannot take alias '{alias}'.",
        "'{name}' modelinin {version} sürümü kullanımdan kaldırıldı; '{alias}' takma adını alamaz.",
        (
            _s(
                "Pick a version that is not deprecated, or lift the deprecation first.",
                "Kullanımdan kaldırılmamış bir sürüm seçin veya önce kaldırmayı geri alın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_INFERENCE_BAD_INPUT",
        "Input '{input}' does not fit model '{name}': {reason}",
        "'{input}' girdisi '{name}' modeline uymuyor: {reason}",
        (
            _s(
                "GET /api/v1/model/{name}/info lists each input's name, shape and type.",
                "GET /api/v1/model/{name}/info her girdinin adını, şeklini ve türünü listeler.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "ML_CALIBRATION_TOO_SMALL": 422,
    "ML_NO_TRAINED_MODEL": 404,
    "ML_EXPORT_FAILED": 500,
    "ML_EXPORT_GOAL_MISSED": 422,
    "ML_UNKNOWN_MODEL_KIND": 422,
    "ML_MODEL_NOT_FOUND": 404,
    "ML_MODEL_INVALID_NAME": 422,
    "ML_MODEL_UNSUPPORTED_FORMAT": 422,
    "ML_MODEL_INVALID_FILE": 422,
    "ML_MODEL_NOT_SERVABLE": 422,
    "ML_MODEL_NO_ROLLBACK": 409,
    "ML_MODEL_DEPRECATED": 409,
    "ML_INFERENCE_BAD_INPUT": 422,
}
