"""Error codes of the part families: plates, flanges, brackets and enclosures.

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.

Used by :mod:`cadml.geometry.generators.plate`, ``flange``, ``l_bracket`` and
``enclosure``. Field values such as ``{field}`` and ``{edge}`` are parameter names, so
they read the same in both languages.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "VALIDATION_SECTION_TOO_THIN",
        "{field}: the section would be {thickness} mm thick; {material} needs at least "
        "{min_wall} mm.",
        "{field}: kesit {thickness} mm kalınlıkta olur; {material} için en az {min_wall} mm "
        "gerekir.",
        (
            _s(
                "Make the section thicker, or choose a material that allows thinner walls.",
                "Kesiti kalınlaştırın veya daha ince duvara izin veren bir malzeme seçin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_CORNER_RADIUS_TOO_LARGE",
        "{field} = {value} mm does not fit: at most {max} mm (half the narrower side).",
        "{field} = {value} mm sığmıyor: en fazla {max} mm olabilir (dar kenarın yarısı).",
        (
            _s(
                "Reduce the corner radius or enlarge the part.",
                "Köşe yarıçapını küçültün veya parçayı büyütün.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_HOLE_TOO_CLOSE_TO_EDGE",
        "Hole {hole} ({field}) leaves {edge_distance} mm of material to {edge}; {material} "
        "needs at least {min_distance} mm.",
        "{hole} numaralı delik ({field}) ile {edge} arasında {edge_distance} mm malzeme "
        "kalıyor; {material} için en az {min_distance} mm gerekir.",
        (
            _s(
                "Move the hole inwards, make it smaller, or enlarge the part.",
                "Deliği içeri kaydırın, küçültün veya parçayı büyütün.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_HOLES_OVERLAP",
        "Holes {first} and {second} ({field}) leave {ligament} mm of material between "
        "them; {material} needs at least {min_ligament} mm.",
        "{first} ve {second} numaralı delikler ({field}) arasında {ligament} mm malzeme "
        "kalıyor; {material} için en az {min_ligament} mm gerekir.",
        (
            _s(
                "Space the holes further apart, use fewer holes, or make them smaller.",
                "Delikleri birbirinden uzaklaştırın, sayısını azaltın veya küçültün.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_FLANGE_DIAMETER_ORDER",
        "{field} = {value} mm must be larger than {other_field} = {other} mm: a flange "
        "needs bore < hub < raised face < outer diameter.",
        "{field} = {value} mm, {other_field} = {other} mm değerinden büyük olmalıdır: "
        "flanşta delik < göbek < yükseltilmiş yüz < dış çap olmalıdır.",
        (
            _s(
                "Order the diameters, or set hub_length or raised_face_height to 0 to drop "
                "that feature.",
                "Çapları sıraya koyun veya o özelliği kaldırmak için hub_length ya da "
                "raised_face_height değerini 0 yapın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_BRACKET_LEG_TOO_SHORT",
        "{field} = {value} mm is too short: the leg needs at least {min} mm "
        "(thickness + bend_radius + the minimum wall).",
        "{field} = {value} mm çok kısa: kol en az {min} mm olmalıdır "
        "(kalınlık + bend_radius + asgari duvar).",
        (
            _s(
                "Lengthen the leg, or reduce the thickness or the bend radius.",
                "Kolu uzatın veya kalınlığı ya da büküm yarıçapını küçültün.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_GUSSET_TOO_LARGE",
        "gusset_size = {value} mm runs past the end of a leg; at most {max} mm fits.",
        "gusset_size = {value} mm kolun ucunu aşıyor; en fazla {max} mm sığar.",
        (
            _s(
                "Make the gussets smaller or the legs longer.",
                "Takviyeleri küçültün veya kolları uzatın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_GUSSET_TOO_SMALL",
        "gusset_size = {value} mm does not reach past the bend; at least {min} mm is needed.",
        "gusset_size = {value} mm bükümün ötesine ulaşmıyor; en az {min} mm gerekir.",
        (
            _s(
                "Make the gussets larger or the bend radius smaller.",
                "Takviyeleri büyütün veya büküm yarıçapını küçültün.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_GUSSETS_CROWDED",
        "{count} gussets of {gusset_thickness} mm do not fit across a width of {width} mm "
        "with at least {min_gap} mm between them.",
        "{gusset_thickness} mm kalınlığında {count} takviye, {width} mm genişliğe aralarında "
        "en az {min_gap} mm kalacak şekilde sığmıyor.",
        (
            _s(
                "Use fewer or thinner gussets, or a wider bracket.",
                "Daha az veya daha ince takviye kullanın ya da braketi genişletin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_ENCLOSURE_CAVITY_TOO_SMALL",
        "{field}: the walls leave a cavity of {cavity} mm along {axis}; at least {min} mm "
        "is needed.",
        "{field}: duvarlar {axis} yönünde {cavity} mm boşluk bırakıyor; en az {min} mm gerekir.",
        (
            _s(
                "Make the box larger or the walls (or the lid lip) thinner.",
                "Kutuyu büyütün veya duvarları (ya da kapak yuvasını) inceltin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_BOSS_MISFIT",
        "Corner bosses of {value} mm do not fit: {field} must be between {min} and {max} mm "
        "for this cavity.",
        "{value} mm köşe tırnakları sığmıyor: bu boşluk için {field} {min} ile {max} mm "
        "arasında olmalıdır.",
        (
            _s(
                "A boss must cover the inner corner radius and leave a gap between bosses; "
                "change its diameter or the box size.",
                "Tırnak iç köşe yarıçapını örtmeli ve tırnaklar arasında boşluk kalmalıdır; "
                "çapını veya kutu ölçüsünü değiştirin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_BOSS_TOO_TALL",
        "boss_height = {value} mm reaches above the lid ledge; at most {max} mm fits.",
        "boss_height = {value} mm kapak basamağının üstüne çıkıyor; en fazla {max} mm sığar.",
        (
            _s(
                "Lower the bosses, or reduce the lip height.",
                "Tırnakları kısaltın veya kapak yuvası yüksekliğini azaltın.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {spec.code: 422 for spec in SPECS}
