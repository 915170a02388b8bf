"""Error codes of the device registry, device auth, the twin query API and the simulator.

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

_REGISTER = _s(
    "Register the device first: POST /api/v1/twin/devices or "
    "`cadml twin devices register DEVICE_ID --type TYPE`.",
    "Önce cihazı kaydedin: POST /api/v1/twin/devices veya "
    "`cadml twin devices register CIHAZ_ID --type TUR`.",
)

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "TWIN_SIM_HTTP_UNAVAILABLE",
        "The simulator cannot reach the platform at {url}: {reason}",
        "Simülatör {url} adresindeki platforma ulaşamıyor: {reason}",
        (
            _s(
                "Start the server (`cadml serve`) or pass --url http://HOST:PORT; "
                "`--dry-run --out FILE` needs no server.",
                "Sunucuyu başlatın (`cadml serve`) veya --url http://HOST:PORT verin; "
                "`--dry-run --out FILE` sunucu gerektirmez.",
            ),
        ),
    ),
    ErrorSpec(
        "NOT_FOUND_DEVICE",
        "Device '{device_id}' is not registered",
        "'{device_id}' cihazı kayıtlı değil",
        (
            _REGISTER,
            _s(
                "List the registered devices with GET /api/v1/twin/devices.",
                "Kayıtlı cihazları GET /api/v1/twin/devices ile listeleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_DEVICE_EXISTS",
        "Device '{device_id}' (or its MQTT user name) is already registered",
        "'{device_id}' cihazı (veya MQTT kullanıcı adı) zaten kayıtlı",
        (
            _s(
                "Choose another id, or rotate the existing device's key with "
                "POST /api/v1/twin/devices/{{device_id}}/rotate-key.",
                "Başka bir kimlik seçin veya mevcut cihazın anahtarını "
                "POST /api/v1/twin/devices/{{device_id}}/rotate-key ile yenileyin.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_DEVICE_INVALID",
        "Device field '{field}' is invalid: {reason}",
        "Cihaz alanı '{field}' geçersiz: {reason}",
        (
            _s(
                "Device ids and types are 1-128 characters of letters, digits and . _ - : "
                "(no spaces, '/', '+' or '#', which MQTT topics reserve); retention is a "
                "positive number of days.",
                "Cihaz kimlikleri ve türleri harf, rakam ve . _ - : karakterlerinden oluşan "
                "1-128 karakterdir (MQTT konularının ayırdığı boşluk, '/', '+' veya '#' "
                "olmadan); saklama süresi pozitif bir gün sayısıdır.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_DEVICE_KEY_INVALID",
        "The device key is not valid for device '{device_id}'",
        "Cihaz anahtarı '{device_id}' cihazı için geçerli değil",
        (
            _s(
                "Send the key returned when the device was registered (or last rotated) as "
                "'Authorization: Bearer <key>', or a user token with the twin:write scope.",
                "Cihaz kaydedildiğinde (veya son yenilendiğinde) verilen anahtarı "
                "'Authorization: Bearer <anahtar>' olarak ya da twin:write yetkili bir "
                "kullanıcı jetonu gönderin.",
            ),
        ),
    ),
    ErrorSpec(
        "TWIN_QUERY_INVALID",
        "Twin query parameter '{field}' is invalid: {reason}",
        "Dijital ikiz sorgu parametresi '{field}' geçersiz: {reason}",
        (
            _s(
                "Times are unix seconds or ISO 8601 (start < stop); windows look like 30s, "
                "5m, 1h or 1d; fn is one of mean, min, max, sum, count, stddev; fields are "
                "names like temperature or sensors.temperature.",
                "Zamanlar unix saniyesi veya ISO 8601'dir (start < stop); pencereler 30s, "
                "5m, 1h veya 1d gibidir; fn mean, min, max, sum, count, stddev "
                "değerlerinden biridir; alanlar temperature veya sensors.temperature gibi "
                "adlardır.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "NOT_FOUND_DEVICE": 404,
    "TWIN_DEVICE_EXISTS": 409,
    "TWIN_DEVICE_INVALID": 422,
    "TWIN_DEVICE_KEY_INVALID": 401,
    "TWIN_QUERY_INVALID": 422,
    "TWIN_SIM_HTTP_UNAVAILABLE": 503,
}
