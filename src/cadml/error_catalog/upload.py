"""Error codes of CAD upload: reading, units, normalisation and validation.

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.

Two kinds of entry live here:

* **errors** (``UPLOAD_EMPTY_FILE`` ... ``UPLOAD_MESH_TOO_LARGE``): the import stopped;
  raised by :mod:`cadml.geometry.importers` (and, for the request-level ones, by
  :mod:`cadml.designs.upload` and the API before a job exists);
* **warnings** (``UPLOAD_UNITS_INFERRED`` ... ``UPLOAD_DXF_ENTITIES_IGNORED``): the
  import succeeded but did something the user should know about. They are never
  raised; the importer puts them, with both languages filled, into
  ``ImportedPart.warnings``. They carry the status 422 only because every catalogue
  code must have an error status.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS", "WARNING_CODES"]

_SUPPORTED = _s(
    "Supported: STEP, IGES, BREP, STL, OBJ, 3MF, DXF and FCStd.",
    "Desteklenenler: STEP, IGES, BREP, STL, OBJ, 3MF, DXF ve FCStd.",
)
_REEXPORT = _s(
    "Export the part again from the CAD program, preferably as STEP.",
    "Parçayı CAD programından yeniden, tercihen STEP olarak dışa aktarın.",
)
_REPAIR_MESH = _s(
    "Repair the mesh (e.g. in Meshmixer, Blender's 3D-Print toolbox or netfabb) and upload it "
    "again.",
    "Ağı onarın (ör. Meshmixer, Blender 3D-Print araçları veya netfabb) ve yeniden yükleyin.",
)
_UNITS = _s(
    "Send the 'units' field (mm, cm, m, in or ft).",
    "'units' alanını gönderin (mm, cm, m, in veya ft).",
)

SPECS: tuple[ErrorSpec, ...] = (
    # ---------------------------------------------------------------- request / bytes
    ErrorSpec(
        "UPLOAD_EMPTY_FILE",
        "The uploaded file is empty ({size} bytes of content).",
        "Yüklenen dosya boş ({size} bayt içerik).",
        (_s("Choose the file again and re-upload it.", "Dosyayı yeniden seçip yükleyin."),),
    ),
    ErrorSpec(
        "UPLOAD_TOO_LARGE",
        "The file is too large: {size} bytes, at most {max_bytes} bytes are accepted.",
        "Dosya çok büyük: {size} bayt; en fazla {max_bytes} bayt kabul edilir.",
        (
            _s(
                "Simplify the part, or compress a mesh by exporting it as binary STL or 3MF.",
                "Parçayı sadeleştirin veya ağı ikili STL ya da 3MF olarak dışa aktarın.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_UNSUPPORTED_FORMAT",
        "The file '{filename}' is not in a supported CAD format. Allowed: {allowed}.",
        "'{filename}' dosyası desteklenen bir CAD biçiminde değil. İzin verilenler: {allowed}.",
        (
            _SUPPORTED,
            _s(
                "Check the file's extension matches its content.",
                "Dosya uzantısının içeriğiyle uyuştuğunu kontrol edin.",
            ),
        ),
    ),
    # ---------------------------------------------------------------- parsing
    ErrorSpec(
        "UPLOAD_CORRUPT_FILE",
        "The {format} file could not be read: {reason}",
        "{format} dosyası okunamadı: {reason}",
        (
            _REEXPORT,
            _s(
                "Make sure the file was not altered in transfer (e.g. text-mode FTP).",
                "Dosyanın aktarımda bozulmadığından emin olun (ör. metin kipinde FTP).",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_TRUNCATED_FILE",
        "The {format} file ends too early: {reason}",
        "{format} dosyası erken bitiyor: {reason}",
        (
            _s(
                "The upload or the export was cut off; upload the complete file again.",
                "Yükleme veya dışa aktarma yarıda kesilmiş; dosyanın tamamını yeniden yükleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_NO_GEOMETRY",
        "The {format} file was read but holds no usable geometry: {reason}",
        "{format} dosyası okundu ancak kullanılabilir geometri içermiyor: {reason}",
        (
            _s(
                "Export the solid bodies, not only sketches, drawings or annotations.",
                "Yalnızca eskiz, çizim veya notları değil, katı gövdeleri dışa aktarın.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_MESH_TOO_LARGE",
        "The mesh has {triangles} triangles; at most {max_triangles} can be turned into a solid.",
        "Ağda {triangles} üçgen var; en fazla {max_triangles} üçgen katıya dönüştürülebilir.",
        (
            _s(
                "Decimate the mesh, or upload the original CAD model as STEP.",
                "Ağı seyreltin veya özgün CAD modelini STEP olarak yükleyin.",
            ),
        ),
    ),
    # ---------------------------------------------------------------- validity
    ErrorSpec(
        "UPLOAD_INVALID_SOLID",
        "The {format} file does not make a valid solid: {reason}",
        "{format} dosyası geçerli bir katı oluşturmuyor: {reason}",
        (
            _s(
                "Run the CAD program's geometry check/repair, then export again.",
                "CAD programının geometri denetimini/onarımını çalıştırıp yeniden dışa aktarın.",
            ),
            _s(
                "Upload with healing on (heal=true) if it was off.",
                "Kapalıysa onarımı açarak (heal=true) yükleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_OPEN_SHELL",
        "The {format} surface is not closed ({free_edges} open edges), so it encloses no volume.",
        "{format} yüzeyi kapalı değil ({free_edges} açık kenar), bu yüzden hacim oluşturmuyor.",
        (
            _REPAIR_MESH,
            _s(
                "For a surface model, close it (or thicken it) in the CAD program.",
                "Yüzey modelini CAD programında kapatın (veya kalınlaştırın).",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_NON_MANIFOLD",
        "The {format} mesh is non-manifold: {edges} edges are shared by more than two triangles.",
        "{format} ağı manifold değil: {edges} kenar ikiden fazla üçgen tarafından paylaşılıyor.",
        (
            _REPAIR_MESH,
            _s(
                "Bodies that touch along an edge must be separated or merged into one.",
                "Bir kenar boyunca değen gövdeler ayrılmalı veya tek gövdede birleştirilmelidir.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_SELF_INTERSECTING",
        "The {format} mesh intersects itself ({pairs} pairs of triangles cross).",
        "{format} ağı kendini kesiyor ({pairs} üçgen çifti kesişiyor).",
        (
            _REPAIR_MESH,
            _s(
                "Overlapping bodies must be united (boolean union) before export.",
                "Örtüşen gövdeler dışa aktarmadan önce birleştirilmelidir (boolean birleşim).",
            ),
        ),
    ),
    # ---------------------------------------------------------------- units
    ErrorSpec(
        "UPLOAD_UNITS_UNKNOWN",
        "The {format} file declares a length unit that cannot be used: {unit}.",
        "{format} dosyası kullanılamayan bir uzunluk birimi bildiriyor: {unit}.",
        (_UNITS,),
    ),
    ErrorSpec(
        "UPLOAD_UNITS_INVALID",
        "Unknown length unit '{units}'. Allowed: {allowed}.",
        "'{units}' uzunluk birimi tanınmıyor. İzin verilenler: {allowed}.",
        (_UNITS,),
    ),
    # ---------------------------------------------------------------- DXF
    ErrorSpec(
        "UPLOAD_DXF_THICKNESS_REQUIRED",
        "A DXF drawing is 2D: the extrusion thickness '{field}' is required.",
        "DXF çizimi 2B'dir: '{field}' ekstrüzyon kalınlığı gereklidir.",
        (
            _s(
                "Send dxf_thickness_mm, e.g. 3 for a 3 mm plate.",
                "dxf_thickness_mm gönderin, ör. 3 mm'lik levha için 3.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_DXF_NO_CLOSED_PROFILE",
        "The DXF has no closed profile to extrude ({open_count} open curves found).",
        "DXF'te ekstrüde edilecek kapalı profil yok ({open_count} açık eğri bulundu).",
        (
            _s(
                "Close the outline: a closed polyline, circle, closed spline or ellipse.",
                "Dış hattı kapatın: kapalı çoklu çizgi, daire, kapalı spline veya elips.",
            ),
            _s(
                "Draw the profile in model space, not in a paper-space layout.",
                "Profili kağıt alanında değil, model alanında çizin.",
            ),
        ),
    ),
    # ---------------------------------------------------------------- warnings
    ErrorSpec(
        "UPLOAD_UNITS_INFERRED",
        "The file states no length unit; {units} was assumed: {reason}",
        "Dosya uzunluk birimi belirtmiyor; {units} varsayıldı: {reason}",
        (
            _s(
                "If the size is wrong, upload again with the 'units' field.",
                "Boyut yanlışsa 'units' alanıyla yeniden yükleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_UNITS_OVERRIDDEN",
        "The file declares {file_units}; the requested unit {units} was used instead.",
        "Dosya {file_units} bildiriyor; bunun yerine istenen {units} birimi kullanıldı.",
        (
            _s(
                "Leave 'units' empty to use the unit stored in the file.",
                "Dosyadaki birimi kullanmak için 'units' alanını boş bırakın.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_FORMAT_MISMATCH",
        "The file is named as {extension_format} but its content is {format}; read as {format}.",
        "Dosya adı {extension_format} gösteriyor ancak içeriği {format}; {format} olarak okundu.",
        (
            _s(
                "Rename the file with the right extension.",
                "Dosyayı doğru uzantıyla yeniden adlandırın.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_SHAPE_HEALED",
        "The {format} geometry was repaired: {actions}.",
        "{format} geometrisi onarıldı: {actions}.",
        (
            _s(
                "Check the part's size and volume; fix the source model if they are wrong.",
                "Parçanın boyut ve hacmini kontrol edin; yanlışsa kaynak modeli düzeltin.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_MESH_CLEANED",
        "The mesh was cleaned: {merged_vertices} duplicate vertices merged, "
        "{dropped_triangles} degenerate or duplicate triangles dropped.",
        "Ağ temizlendi: {merged_vertices} yinelenen köşe birleştirildi, "
        "{dropped_triangles} dejenere veya yinelenen üçgen atıldı.",
        (
            _s(
                "Nothing to do unless the part looks wrong.",
                "Parça yanlış görünmüyorsa bir şey yapmanız gerekmez.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_MESH_REORIENTED",
        "{flipped} mesh triangles faced the wrong way and were turned around.",
        "{flipped} ağ üçgeni ters yöndeydi ve çevrildi.",
        (
            _s(
                "Nothing to do; the exporter wrote inconsistent triangle winding.",
                "Bir şey yapmanız gerekmez; dışa aktarıcı tutarsız üçgen yönü yazmış.",
            ),
        ),
    ),
    ErrorSpec(
        "UPLOAD_DXF_ENTITIES_IGNORED",
        "{count} DXF entities were not used for the profile: {reason}",
        "{count} DXF varlığı profil için kullanılmadı: {reason}",
        (
            _s(
                "Only closed curves in model space are extruded; close or remove the others.",
                "Yalnızca model alanındaki kapalı eğriler ekstrüde edilir; diğerlerini kapatın "
                "veya silin.",
            ),
        ),
    ),
)

WARNING_CODES: tuple[str, ...] = (
    "UPLOAD_DXF_ENTITIES_IGNORED",
    "UPLOAD_FORMAT_MISMATCH",
    "UPLOAD_MESH_CLEANED",
    "UPLOAD_MESH_REORIENTED",
    "UPLOAD_SHAPE_HEALED",
    "UPLOAD_UNITS_INFERRED",
    "UPLOAD_UNITS_OVERRIDDEN",
)
"""Codes that are reported as warnings of a successful import, never raised."""

STATUS: dict[str, int] = {
    **{spec.code: 422 for spec in SPECS},
    "UPLOAD_UNSUPPORTED_FORMAT": 415,
    "UPLOAD_TOO_LARGE": 413,
}
