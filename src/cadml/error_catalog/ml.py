"""Error codes of the ML benchmarks and runners (ML_*): NAB scoring and C-MAPSS RUL.

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.

Details used: ``path``/``file`` (a file or directory as the user named it), ``line``
(1-based line number in that file), ``column``, ``value``, ``reason`` (English, from the
check), ``name`` and ``allowed`` (an unknown choice and the valid ones).
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

_NAB_LAYOUT = _s(
    "A NAB directory holds data/<category>/<name>.csv files (columns timestamp,value) "
    "and labels/combined_windows.json; `cadml ml nab --help` shows the layout.",
    "Bir NAB dizini data/<kategori>/<ad>.csv dosyalarını (timestamp,value sütunları) ve "
    "labels/combined_windows.json dosyasını içerir; `cadml ml nab --help` düzeni gösterir.",
)
_CMAPSS_FORMAT = _s(
    "C-MAPSS rows have 26 numbers separated by spaces: unit, cycle, 3 operating settings "
    "and 21 sensors; check that the file was not cut or edited.",
    "C-MAPSS satırları boşlukla ayrılmış 26 sayı içerir: ünite, çevrim, 3 çalışma ayarı ve "
    "21 sensör; dosyanın kesilmediğini veya düzenlenmediğini kontrol edin.",
)

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "ML_FILE_UNREADABLE",
        "The file '{path}' cannot be read: {reason}",
        "'{path}' dosyası okunamıyor: {reason}",
        (
            _s(
                "Check the path and that the file is a UTF-8 text file you may read.",
                "Yolu ve dosyanın okuma izniniz olan UTF-8 bir metin dosyası olduğunu "
                "kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_NAB_DATA_DIR_MISSING",
        "There is no data/ directory in '{path}'.",
        "'{path}' içinde data/ dizini yok.",
        (
            _NAB_LAYOUT,
            _s(
                "Give the NAB checkout's root directory (the one that contains data/ and "
                "labels/), not data/ itself.",
                "data/ dizinini değil, data/ ve labels/ dizinlerini içeren NAB kök dizinini verin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_NAB_NO_DATA",
        "The directory '{path}' contains no CSV files.",
        "'{path}' dizininde hiç CSV dosyası yok.",
        (_NAB_LAYOUT,),
    ),
    ErrorSpec(
        "ML_NAB_LABELS_MISSING",
        "The labels file '{path}' does not exist.",
        "'{path}' etiket dosyası yok.",
        (
            _NAB_LAYOUT,
            _s(
                "Pass another labels file with --labels PATH.",
                "--labels YOL ile başka bir etiket dosyası verin.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_NAB_LABELS_INVALID",
        "The labels file '{path}' is invalid: {reason}",
        "'{path}' etiket dosyası geçersiz: {reason}",
        (
            _s(
                'Write a JSON object that maps each data file (e.g. "realKnownCause/'
                'machine_temperature_system_failure.csv") to a list of '
                '["YYYY-MM-DD hh:mm:ss.ffffff", "YYYY-MM-DD hh:mm:ss.ffffff"] windows, '
                "sorted and not overlapping.",
                'Her veri dosyasını (ör. "realKnownCause/machine_temperature_system_'
                'failure.csv") ["YYYY-AA-GG ss:dd:nn.ffffff", "YYYY-AA-GG ss:dd:nn.ffffff"] '
                "pencerelerinin sıralı ve çakışmayan bir listesine eşleyen bir JSON nesnesi "
                "yazın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_NAB_FILE_UNLABELLED",
        "The data file '{file}' has no entry in the labels file '{path}'.",
        "'{file}' veri dosyasının '{path}' etiket dosyasında kaydı yok.",
        (
            _s(
                "Add the file to the labels with an empty list [] if it has no anomaly, "
                "or remove it from data/.",
                "Dosyada anomali yoksa etiketlere boş bir liste [] ile ekleyin ya da "
                "data/ dizininden çıkarın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_CSV_MISSING_COLUMNS",
        "The CSV file '{file}' lacks the column(s) {missing}; its header has {found}.",
        "'{file}' CSV dosyasında {missing} sütun(lar)ı yok; başlığında {found} var.",
        (
            _s(
                "The first line must name the columns, including timestamp and value.",
                "İlk satır timestamp ve value dahil sütunların adlarını içermelidir.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_CSV_INVALID_ROW",
        "The CSV file '{file}' has an invalid row at line {line}: {reason}",
        "'{file}' CSV dosyasının {line}. satırı geçersiz: {reason}",
        (
            _s(
                "Timestamps must be ISO 8601 (2014-04-10 07:15:00) and in time order; "
                "values must be numbers.",
                "Zaman damgaları ISO 8601 biçiminde (2014-04-10 07:15:00) ve zaman "
                "sırasında olmalı; değerler sayı olmalıdır.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_NAB_SCORES_INVALID",
        "The anomaly scores for '{file}' are invalid: {reason}",
        "'{file}' için anomali skorları geçersiz: {reason}",
        (
            _s(
                "A detector must return one finite score in [0, 1] per row of the series.",
                "Bir dedektör serinin her satırı için [0, 1] aralığında sonlu bir skor "
                "döndürmelidir.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_UNKNOWN_DETECTOR",
        "Unknown anomaly detector '{name}'. Available: {allowed}.",
        "Bilinmeyen anomali dedektörü '{name}'. Kullanılabilenler: {allowed}.",
        (_s("Use one of the listed detectors.", "Listelenen dedektörlerden birini kullanın."),),
    ),
    ErrorSpec(
        "ML_UNKNOWN_PROFILE",
        "Unknown NAB profile '{name}'. Available: {allowed}.",
        "Bilinmeyen NAB profili '{name}'. Kullanılabilenler: {allowed}.",
        (
            _s(
                "Use one of the listed profiles, or 'all' for the three of them.",
                "Listelenen profillerden birini ya da üçü için 'all' kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_UNKNOWN_MODEL",
        "Unknown model '{name}'. Available: {allowed}.",
        "Bilinmeyen model '{name}'. Kullanılabilenler: {allowed}.",
        (_s("Use one of the listed models.", "Listelenen modellerden birini kullanın."),),
    ),
    ErrorSpec(
        "ML_INVALID_OPTION",
        "The option '{field}' has an invalid value '{value}': {reason}",
        "'{field}' seçeneğinin '{value}' değeri geçersiz: {reason}",
        (
            _s(
                "Run the command with --help to see the allowed values.",
                "İzin verilen değerleri görmek için komutu --help ile çalıştırın.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_CMAPSS_COLUMN_COUNT",
        "The C-MAPSS file '{file}' has {found} columns at line {line}; expected {expected}.",
        "'{file}' C-MAPSS dosyasının {line}. satırında {found} sütun var; {expected} bekleniyordu.",
        (_CMAPSS_FORMAT,),
    ),
    ErrorSpec(
        "ML_CMAPSS_INVALID_VALUE",
        "The C-MAPSS file '{file}' has an invalid value '{value}' at line {line}, column "
        "{column}: {reason}",
        "'{file}' C-MAPSS dosyasının {line}. satırı, {column}. sütununda geçersiz değer "
        "'{value}': {reason}",
        (_CMAPSS_FORMAT,),
    ),
    ErrorSpec(
        "ML_CMAPSS_INVALID_DATA",
        "The C-MAPSS file '{file}' is unusable: {reason}",
        "'{file}' C-MAPSS dosyası kullanılamıyor: {reason}",
        (
            _CMAPSS_FORMAT,
            _s(
                "Each unit's cycles must be distinct whole numbers starting at 1 or later.",
                "Her ünitenin çevrimleri 1 veya sonrasından başlayan farklı tam sayılar olmalıdır.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_CMAPSS_RUL_MISMATCH",
        "The RUL file '{file}' has {found} values but the test file has {expected} units.",
        "'{file}' RUL dosyasında {found} değer var, ancak test dosyasında {expected} ünite var.",
        (
            _s(
                "Pass the RUL_FD00x.txt that belongs to the same test_FD00x.txt: one "
                "remaining life per test unit, in unit order.",
                "Aynı test_FD00x.txt dosyasına ait RUL_FD00x.txt dosyasını verin: ünite "
                "sırasıyla her test ünitesi için bir kalan ömür.",
            ),
        ),
    ),
    ErrorSpec(
        "ML_DEPENDENCY_MISSING",
        "{feature} needs the Python package {requirement}, which is not installed: "
        "pip install '{requirement}'.",
        "{feature} için {requirement} Python paketi gerekiyor, ancak kurulu değil: "
        "pip install '{requirement}'.",
        (
            _s(
                "Install it into the environment that runs cadml (for a checkout: "
                ".venv/bin/pip install ...).",
                "Paketi cadml'i çalıştıran ortama kurun (bir kaynak kopyası için: "
                ".venv/bin/pip install ...).",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "ML_FILE_UNREADABLE": 422,
    "ML_NAB_DATA_DIR_MISSING": 422,
    "ML_NAB_NO_DATA": 422,
    "ML_NAB_LABELS_MISSING": 422,
    "ML_NAB_LABELS_INVALID": 422,
    "ML_NAB_FILE_UNLABELLED": 422,
    "ML_CSV_MISSING_COLUMNS": 422,
    "ML_CSV_INVALID_ROW": 422,
    "ML_NAB_SCORES_INVALID": 422,
    "ML_UNKNOWN_DETECTOR": 422,
    "ML_UNKNOWN_PROFILE": 422,
    "ML_UNKNOWN_MODEL": 422,
    "ML_INVALID_OPTION": 422,
    "ML_CMAPSS_COLUMN_COUNT": 422,
    "ML_CMAPSS_INVALID_VALUE": 422,
    "ML_CMAPSS_INVALID_DATA": 422,
    "ML_CMAPSS_RUL_MISMATCH": 422,
    "ML_DEPENDENCY_MISSING": 503,
}
