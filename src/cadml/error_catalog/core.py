"""Error codes of the foundation: generic, validation, auth, jobs, workers, storage, config.

Data only. Their HTTP statuses live in :mod:`cadml.api.errors`.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS"]

SPECS: tuple[ErrorSpec, ...] = (
    # ---------------------------------------------------------------- generic
    ErrorSpec(
        "INTERNAL_ERROR",
        "An unexpected error occurred. It has been logged with request id {request_id}.",
        "Beklenmeyen bir hata oluştu. {request_id} istek kimliğiyle kaydedildi.",
        (
            _s(
                "Retry the request; if it persists, report the request id.",
                "İsteği yeniden deneyin; sürerse istek kimliğini bildirin.",
            ),
        ),
    ),
    # ------------------------------------------------------------- validation
    ErrorSpec(
        "VALIDATION_MISSING_FIELD",
        "Required field '{field}' is missing.",
        "Zorunlu '{field}' alanı eksik.",
        (
            _s(
                "Add the field to the request body; see the OpenAPI schema at /docs.",
                "Alanı istek gövdesine ekleyin; /docs adresindeki OpenAPI şemasına bakın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_INVALID_VALUE",
        "Field '{field}' has an invalid value: {reason}",
        "'{field}' alanının değeri geçersiz: {reason}",
        (
            _s(
                "Check the field's type and allowed values in the OpenAPI schema.",
                "Alanın türünü ve izin verilen değerlerini OpenAPI şemasında kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_UNKNOWN_PARAMETER",
        "Unknown parameter '{field}' for family '{family}'. Allowed: {allowed}.",
        "'{family}' ailesi için '{field}' parametresi tanınmıyor. İzin verilenler: {allowed}.",
        (
            _s(
                "Remove the parameter or fix its spelling.",
                "Parametreyi kaldırın veya yazımını düzeltin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_RANGE_VIOLATION",
        "{field} must be between {min} and {max} {unit}; got {value}.",
        "{field} {min} ile {max} {unit} arasında olmalıdır; verilen değer {value}.",
        (_s("Use a value inside the allowed range.", "İzin verilen aralıkta bir değer kullanın."),),
    ),
    ErrorSpec(
        "VALIDATION_UNKNOWN_FAMILY",
        "Unknown part family '{family}'. Available families: {allowed}.",
        "'{family}' parça ailesi bilinmiyor. Mevcut aileler: {allowed}.",
        (_s("Pick one of the listed families.", "Listelenen ailelerden birini seçin."),),
    ),
    ErrorSpec(
        "VALIDATION_UNKNOWN_MATERIAL",
        "Unknown material '{material}'. Known materials: {allowed}.",
        "'{material}' malzemesi bilinmiyor. Bilinen malzemeler: {allowed}.",
        (
            _s(
                "Use a snake_case material id such as aluminum_6061 or abs.",
                "aluminum_6061 veya abs gibi snake_case bir malzeme kimliği kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_UNKNOWN_PROCESS",
        "Unknown manufacturing process '{process}'. Known processes: {allowed}.",
        "'{process}' üretim yöntemi bilinmiyor. Bilinen yöntemler: {allowed}.",
        (
            _s(
                "Use one of: cnc_milling, injection_molding, fdm_printing, sla_printing, "
                "sheet_metal.",
                "Şunlardan birini kullanın: cnc_milling, injection_molding, fdm_printing, "
                "sla_printing, sheet_metal.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_HOLE_BREAKS_WALL",
        "A hole of {hole_diameter} mm does not fit in a {length} x {width} mm face: "
        "it would break through the side walls.",
        "{hole_diameter} mm çaplı delik {length} x {width} mm yüzeye sığmıyor: "
        "yan duvarları delip geçer.",
        (
            _s(
                "Make the hole smaller than the narrower side, or widen the part.",
                "Deliği dar kenardan küçük yapın veya parçayı genişletin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_WALL_TOO_THIN",
        "The wall beside the hole would be {wall} mm thick; {material} needs at least "
        "{min_wall} mm.",
        "Deliğin yanındaki duvar {wall} mm kalınlıkta olur; {material} için en az "
        "{min_wall} mm gerekir.",
        (
            _s(
                "Increase wall thickness to >= the minimum: reduce the hole or widen the part.",
                "Duvar kalınlığını en az alt sınıra çıkarın: deliği küçültün veya parçayı "
                "genişletin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_MATERIAL_PROCESS_CONFLICT",
        "Material '{material}' cannot be made by '{process}'. Suitable materials: {allowed}.",
        "'{material}' malzemesi '{process}' yöntemiyle üretilemez. Uygun malzemeler: {allowed}.",
        (
            _s(
                "Choose a compatible material/process combination.",
                "Uyumlu bir malzeme/yöntem kombinasyonu seçin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_PROCESS_LIMIT",
        "{field} = {value} mm exceeds what '{process}' can make (at most {max} mm).",
        "{field} = {value} mm, '{process}' yönteminin sınırını aşıyor (en fazla {max} mm).",
        (
            _s(
                "Reduce the dimension or choose another process.",
                "Ölçüyü küçültün veya başka bir yöntem seçin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_UNSUPPORTED_FORMAT",
        "Unsupported format '{format}'. Supported: {allowed}.",
        "'{format}' biçimi desteklenmiyor. Desteklenenler: {allowed}.",
        (
            _s(
                "Convert the file to a supported format.",
                "Dosyayı desteklenen bir biçime dönüştürün.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_UNIT_MISMATCH",
        "Unit '{unit}' is not accepted for {field}; use {expected}.",
        "{field} için '{unit}' birimi kabul edilmiyor; {expected} kullanın.",
        (_s("Send lengths in millimetres.", "Uzunlukları milimetre cinsinden gönderin."),),
    ),
    ErrorSpec(
        "VALIDATION_CONFLICT",
        "The request contains conflicting values: {reason}",
        "İstek birbiriyle çelişen değerler içeriyor: {reason}",
        (_s("Remove one of the conflicting values.", "Çelişen değerlerden birini kaldırın."),),
    ),
    ErrorSpec(
        "VALIDATION_PAYLOAD_TOO_LARGE",
        "The request body is larger than {max_bytes} bytes.",
        "İstek gövdesi {max_bytes} bayttan büyük.",
        (_s("Send a smaller body.", "Daha küçük bir gövde gönderin."),),
    ),
    ErrorSpec(
        "VALIDATION_DESIGN_NOT_READY",
        "Design {design_id} cannot be checked yet (status: {status}).",
        "{design_id} tasarımı henüz denetlenemez (durum: {status}).",
        (
            _s(
                "Wait until the design job has succeeded, then check it.",
                "Tasarım işi başarıyla bitene kadar bekleyin, sonra denetleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "AI_AMBIGUOUS",
        "The prompt is ambiguous: {reason}",
        "İstem belirsiz: {reason}",
        (_s("Clarify the prompt with explicit dimensions.", "İstemi açık ölçülerle netleştirin."),),
    ),
    ErrorSpec(
        "AI_HINT_REQUIRED",
        "More information is needed: {reason}",
        "Daha fazla bilgi gerekiyor: {reason}",
        (_s("Add the missing information to the prompt.", "Eksik bilgiyi isteme ekleyin."),),
    ),
    # ------------------------------------------------------------------- auth
    ErrorSpec(
        "AUTH_REQUIRED",
        "Authentication is required.",
        "Kimlik doğrulaması gerekli.",
        (
            _s(
                "Send 'Authorization: Bearer <token or API key>'.",
                "'Authorization: Bearer <belirteç veya API anahtarı>' başlığını gönderin.",
            ),
        ),
    ),
    ErrorSpec(
        "AUTH_INVALID_CREDENTIALS",
        "Wrong username or password.",
        "Kullanıcı adı veya parola hatalı.",
        (
            _s(
                "Check the credentials; an admin can reset them with 'cadml admin create-user'.",
                "Bilgileri kontrol edin; yönetici 'cadml admin create-user' ile yenileyebilir.",
            ),
        ),
    ),
    ErrorSpec(
        "AUTH_TOKEN_EXPIRED",
        "The access token has expired.",
        "Erişim belirtecinin süresi doldu.",
        (
            _s(
                "Get a new access token with POST /api/v1/auth/refresh.",
                "POST /api/v1/auth/refresh ile yeni bir erişim belirteci alın.",
            ),
        ),
    ),
    ErrorSpec(
        "AUTH_TOKEN_INVALID",
        "The token is invalid: {reason}",
        "Belirteç geçersiz: {reason}",
        (
            _s(
                "Log in again with POST /api/v1/auth/token.",
                "POST /api/v1/auth/token ile yeniden oturum açın.",
            ),
        ),
    ),
    ErrorSpec(
        "AUTH_API_KEY_INVALID",
        "The API key is unknown or revoked.",
        "API anahtarı bilinmiyor veya iptal edilmiş.",
        (
            _s(
                "Create a new key with 'cadml admin create-api-key'.",
                "'cadml admin create-api-key' ile yeni bir anahtar oluşturun.",
            ),
        ),
    ),
    ErrorSpec(
        "AUTH_FORBIDDEN",
        "This action needs the scope '{scope}'.",
        "Bu işlem '{scope}' yetkisini gerektirir.",
        (
            _s(
                "Use a token or API key that carries the scope.",
                "Bu yetkiyi taşıyan bir belirteç veya API anahtarı kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "RATE_LIMITED",
        "Too many requests: at most {limit} per {window_s} s. Retry in {retry_after} s.",
        "Çok fazla istek: {window_s} sn içinde en fazla {limit}. {retry_after} sn sonra "
        "yeniden deneyin.",
        (
            _s(
                "Wait for the time in the Retry-After header.",
                "Retry-After başlığındaki süre kadar bekleyin.",
            ),
        ),
    ),
    # -------------------------------------------------------------- not found
    ErrorSpec(
        "NOT_FOUND_JOB",
        "Job '{job_id}' does not exist.",
        "'{job_id}' işi bulunamadı.",
        (
            _s(
                "List your jobs with GET /api/v1/jobs.",
                "İşlerinizi GET /api/v1/jobs ile listeleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "NOT_FOUND_ARTEFACT",
        "Artefact '{artefact_id}' does not exist.",
        "'{artefact_id}' çıktısı bulunamadı.",
        (
            _s(
                "List a job's artefacts with GET /api/v1/jobs/{{id}}/artefacts.",
                "Bir işin çıktılarını GET /api/v1/jobs/{{id}}/artefacts ile listeleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "NOT_FOUND_USER",
        "User '{username}' does not exist.",
        "'{username}' kullanıcısı bulunamadı.",
        (
            _s(
                "Create it with 'cadml admin create-user'.",
                "'cadml admin create-user' ile oluşturun.",
            ),
        ),
    ),
    ErrorSpec(
        "NOT_FOUND_ROUTE",
        "No such endpoint: {method} {path}.",
        "Böyle bir uç nokta yok: {method} {path}.",
        (_s("See the API reference at /docs.", "API başvurusu için /docs adresine bakın."),),
    ),
    # --------------------------------------------------------------- conflict
    ErrorSpec(
        "IDEMPOTENCY_CONFLICT",
        "Idempotency-Key '{key}' was already used with a different request body.",
        "Idempotency-Key '{key}' daha önce farklı bir istek gövdesiyle kullanıldı.",
        (
            _s(
                "Use a new Idempotency-Key for a different request.",
                "Farklı bir istek için yeni bir Idempotency-Key kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "JOB_INVALID_TRANSITION",
        "Job '{job_id}' cannot go from '{from_status}' to '{to_status}'.",
        "'{job_id}' işi '{from_status}' durumundan '{to_status}' durumuna geçemez.",
        (
            _s(
                "Refresh the job's status; it may already be finished.",
                "İşin durumunu yenileyin; iş zaten bitmiş olabilir.",
            ),
        ),
    ),
    ErrorSpec(
        "USER_EXISTS",
        "User '{username}' already exists.",
        "'{username}' kullanıcısı zaten var.",
        (
            _s(
                "Pick another username, or pass --update to change the password.",
                "Başka bir kullanıcı adı seçin veya parolayı değiştirmek için --update verin.",
            ),
        ),
    ),
    # --------------------------------------------------------------- geometry
    ErrorSpec(
        "FC_GEOM_INVALID_SHAPE",
        "The model geometry is invalid (non-manifold or self-intersecting) and cannot be "
        "processed: {reason}",
        "Model geometrisi geçersiz (manifold değil veya kendisiyle kesişiyor) ve işlenemiyor: "
        "{reason}",
        (
            _s(
                "Heal geometry and remove self-intersections; ensure solids are closed.",
                "Geometriyi iyileştirin ve kendi kendini kesişmeleri kaldırın; katıların kapalı "
                "olduğundan emin olun.",
            ),
        ),
    ),
    ErrorSpec(
        "FC_BOOLEAN_FAILED",
        "A boolean operation ({operation}) failed: {reason}",
        "Bir boolean işlemi ({operation}) başarısız oldu: {reason}",
        (
            _s(
                "Avoid coplanar or tangent faces between the operands.",
                "İşlenenler arasında eş düzlemli veya teğet yüzeylerden kaçının.",
            ),
        ),
    ),
    ErrorSpec(
        "FC_MESH_FAILED",
        "Triangulation failed: {reason}",
        "Üçgenleme başarısız oldu: {reason}",
        (
            _s(
                "Use a coarser tessellation tolerance or simplify the part.",
                "Daha kaba bir üçgenleme toleransı kullanın veya parçayı basitleştirin.",
            ),
        ),
    ),
    ErrorSpec(
        "FC_EXPORT_FAILED",
        "Writing the {format} artefact failed: {reason}",
        "{format} çıktısı yazılamadı: {reason}",
        (
            _s(
                "Retry; if it persists, report the request id.",
                "Yeniden deneyin; sürerse istek kimliğini bildirin.",
            ),
        ),
    ),
    # ------------------------------------------------------------------- jobs
    ErrorSpec(
        "TIMEOUT_WORKER",
        "Processing timed out after {limit_s} s. The model is too complex or the system is "
        "overloaded.",
        "İşleme {limit_s} sn sonra zaman aşımına uğradı. Model çok karmaşık veya sistem aşırı "
        "yük altında.",
        (
            _s(
                "Simplify the model or split it into subparts; retry later.",
                "Modeli basitleştirin veya alt parçalara bölün; daha sonra yeniden deneyin.",
            ),
        ),
    ),
    ErrorSpec(
        "WORKER_CPU_LIMIT",
        "The job used more than its CPU limit of {limit_s} s.",
        "İş {limit_s} sn'lik işlemci sınırını aştı.",
        (
            _s(
                "Simplify the model or ask an admin to raise CADML_JOB_CPU_LIMIT_S.",
                "Modeli basitleştirin veya yöneticiden CADML_JOB_CPU_LIMIT_S değerini artırmasını "
                "isteyin.",
            ),
        ),
    ),
    ErrorSpec(
        "WORKER_MEMORY_LIMIT",
        "The job used more than its memory limit of {limit_mb} MB.",
        "İş {limit_mb} MB'lık bellek sınırını aştı.",
        (
            _s(
                "Simplify the model or ask an admin to raise CADML_JOB_MEMORY_LIMIT_MB.",
                "Modeli basitleştirin veya yöneticiden CADML_JOB_MEMORY_LIMIT_MB değerini "
                "artırmasını isteyin.",
            ),
        ),
    ),
    ErrorSpec(
        "WORKER_CRASHED",
        "The geometry worker stopped unexpectedly while running the job ({reason}). "
        "No artefacts were kept.",
        "Geometri çalışanı iş sırasında beklenmedik biçimde durdu ({reason}). Hiçbir çıktı "
        "saklanmadı.",
        (
            _s(
                "Retry the job; a fresh worker has replaced the crashed one.",
                "İşi yeniden deneyin; çöken çalışanın yerine yenisi başlatıldı.",
            ),
        ),
    ),
    ErrorSpec(
        "WORKER_UNAVAILABLE",
        "No geometry worker is available: {reason}",
        "Kullanılabilir geometri çalışanı yok: {reason}",
        (
            _s(
                "Start workers with 'cadml worker' or check the job backend settings.",
                "'cadml worker' ile çalışan başlatın veya iş arka ucu ayarlarını kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "JOB_INTERRUPTED",
        "The job was interrupted because the platform restarted while it ran.",
        "Platform iş çalışırken yeniden başladığı için iş yarıda kesildi.",
        (_s("Submit the job again.", "İşi yeniden gönderin."),),
    ),
    ErrorSpec(
        "JOB_CANCELLED",
        "The job was cancelled.",
        "İş iptal edildi.",
        (),
    ),
    # ---------------------------------------------------------------- storage
    ErrorSpec(
        "STORAGE_WRITE_FAILED",
        "Storing an artefact failed: {reason}",
        "Çıktı saklanamadı: {reason}",
        (
            _s(
                "Check the artefact store (disk space, bucket permissions) and retry.",
                "Çıktı deposunu (disk alanı, kova izinleri) kontrol edip yeniden deneyin.",
            ),
        ),
    ),
    ErrorSpec(
        "STORAGE_READ_FAILED",
        "Reading an artefact failed: {reason}",
        "Çıktı okunamadı: {reason}",
        (
            _s(
                "Check the artefact store and retry.",
                "Çıktı deposunu kontrol edip yeniden deneyin.",
            ),
        ),
    ),
    ErrorSpec(
        "STORAGE_INTEGRITY_ERROR",
        "Artefact '{key}' failed its sha256 check.",
        "'{key}' çıktısı sha256 denetiminden geçemedi.",
        (
            _s(
                "Re-run the job to regenerate the artefact.",
                "Çıktıyı yeniden üretmek için işi yeniden çalıştırın.",
            ),
        ),
    ),
    ErrorSpec(
        "STORAGE_QUOTA_EXCEEDED",
        "The artefact store is full.",
        "Çıktı deposu dolu.",
        (_s("Free space or raise the quota.", "Yer açın veya kotayı artırın."),),
    ),
    # ----------------------------------------------------------- dependencies
    ErrorSpec(
        "DB_UNAVAILABLE",
        "The metadata database is unavailable: {reason}",
        "Üst veri veritabanına ulaşılamıyor: {reason}",
        (
            _s(
                "Check CADML_DATABASE_URL and that the database server runs.",
                "CADML_DATABASE_URL ayarını ve veritabanı sunucusunun çalıştığını kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "BROKER_UNAVAILABLE",
        "The job broker is unavailable: {reason}",
        "İş aracısına ulaşılamıyor: {reason}",
        (
            _s(
                "Check CADML_CELERY_BROKER_URL and that the broker runs.",
                "CADML_CELERY_BROKER_URL ayarını ve aracının çalıştığını kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "CONFIG_INSECURE_SECRET",
        "Refusing to start: {setting} still has its development default outside development mode.",
        "Başlatma reddedildi: {setting} geliştirme modu dışında hâlâ varsayılan değerinde.",
        (
            _s(
                "Set a long random value, e.g. CADML_SECRET_KEY=$(openssl rand -hex 32).",
                "Uzun rastgele bir değer verin, örn. CADML_SECRET_KEY=$(openssl rand -hex 32).",
            ),
        ),
    ),
    ErrorSpec(
        "CONFIG_INVALID",
        "Invalid configuration: {reason}",
        "Geçersiz yapılandırma: {reason}",
        (
            _s(
                "Fix the CADML_* environment variable named in the message.",
                "Mesajda adı geçen CADML_* ortam değişkenini düzeltin.",
            ),
        ),
    ),
    ErrorSpec(
        "REDIS_UNAVAILABLE",
        "Redis (rate limits, job progress) is unavailable: {reason}",
        "Redis'e (istek sınırları, iş ilerlemesi) ulaşılamıyor: {reason}",
        (
            _s(
                "Check CADML_REDIS_URL and that the Redis server runs.",
                "CADML_REDIS_URL ayarını ve Redis sunucusunun çalıştığını kontrol edin.",
            ),
        ),
    ),
)
