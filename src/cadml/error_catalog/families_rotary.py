"""Error codes of the part families: rotary parts (``shaft``, ``spur_gear``).

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

SPECS: tuple[ErrorSpec, ...] = (
    # ------------------------------------------------------------------ shaft
    ErrorSpec(
        "VALIDATION_SHAFT_COUNT_MISMATCH",
        "The shaft has {diameters} diameters but {lengths} lengths; give one length per step.",
        "Milin {diameters} çapı ama {lengths} uzunluğu var; her kademe için bir uzunluk verin.",
        (
            _s(
                "Make 'diameters' and 'lengths' the same length, in step order from z = 0.",
                "'diameters' ve 'lengths' listelerini z = 0'dan başlayarak aynı uzunlukta verin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_STEP_TOO_LOW",
        "Steps {step} and {next_step} form a shoulder only {height} mm high; at least "
        "{min_height} mm is needed.",
        "{step} ve {next_step} numaralı kademeler yalnızca {height} mm yüksekliğinde bir "
        "omuz oluşturuyor; en az {min_height} mm gerekir.",
        (
            _s(
                "Merge the two steps into one, or make their diameters differ more.",
                "İki kademeyi birleştirin veya çapları arasındaki farkı artırın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_CHAMFER_TOO_LARGE",
        "A {chamfer} mm chamfer does not fit on the end of step {step} (diameter "
        "{diameter} mm); at most {max_chamfer} mm.",
        "{chamfer} mm pah, {step} numaralı kademenin ucuna sığmıyor (çap {diameter} mm); "
        "en fazla {max_chamfer} mm olabilir.",
        (
            _s(
                "Use a smaller chamfer, or 0 for none.",
                "Daha küçük bir pah kullanın veya pah istemiyorsanız 0 verin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_FILLET_TOO_LARGE",
        "A fillet of radius {fillet_radius} mm at shoulder {shoulder} must be less than "
        "half the shoulder height ({max_fillet} mm).",
        "{shoulder} numaralı omuzdaki {fillet_radius} mm yarıçaplı radyus, omuz "
        "yüksekliğinin yarısından ({max_fillet} mm) küçük olmalıdır.",
        (
            _s(
                "Use a smaller fillet radius, or make the shoulder higher.",
                "Daha küçük bir radyus kullanın veya omuzu yükseltin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_STEP_TOO_SHORT",
        "Step {step} is {length} mm long, but its chamfer and fillets take {used} mm; at "
        "least {min_land} mm of straight length must remain.",
        "{step} numaralı kademe {length} mm uzunluğunda, ancak pahı ve radyusları {used} mm "
        "yer kaplıyor; en az {min_land} mm düz uzunluk kalmalıdır.",
        (
            _s(
                "Lengthen the step, or reduce the chamfer or fillet radius.",
                "Kademeyi uzatın veya pahı ya da radyusu küçültün.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_KEYWAY_STEP",
        "Keyway step {keyway_step} does not exist: the shaft has {steps} steps "
        "(indices from 0; -1 for no keyway).",
        "Kama yuvası kademesi {keyway_step} yok: milin {steps} kademesi var "
        "(indisler 0'dan başlar; kama yuvası yoksa -1).",
        (
            _s(
                "Give the index of an existing step, or -1.",
                "Var olan bir kademenin indisini veya -1 verin.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_KEYWAY_TOO_DEEP",
        "A keyway {keyway_depth} mm deep is too deep for a {diameter} mm step; at most "
        "{max_depth} mm.",
        "{keyway_depth} mm derinliğindeki kama yuvası {diameter} mm çaplı kademe için çok "
        "derin; en fazla {max_depth} mm olabilir.",
        (
            _s(
                "Use the DIN 6885 depth t1 for the shaft diameter.",
                "Mil çapı için DIN 6885'teki t1 derinliğini kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_KEYWAY_TOO_WIDE",
        "A keyway {keyway_width} mm wide and {keyway_depth} mm deep has no side walls on a "
        "{diameter} mm step; at most {max_width} mm wide.",
        "{keyway_width} mm genişliğinde ve {keyway_depth} mm derinliğindeki kama yuvasının "
        "{diameter} mm çaplı kademede yan duvarları olmaz; genişlik en fazla {max_width} mm.",
        (
            _s(
                "Use the DIN 6885 key width b for the shaft diameter, or a deeper keyway.",
                "Mil çapı için DIN 6885'teki b kama genişliğini veya daha derin bir yuva kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_KEYWAY_TOO_SHORT",
        "A round-ended keyway must be longer than its width: {keyway_length} mm given, at "
        "least {min_length} mm.",
        "Yuvarlak uçlu bir kama yuvası genişliğinden uzun olmalıdır: {keyway_length} mm "
        "verildi, en az {min_length} mm.",
        (
            _s(
                "Lengthen the keyway, or use flat ends.",
                "Kama yuvasını uzatın veya düz uçlu yuva kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_SHAFT_KEYWAY_TOO_LONG",
        "A {keyway_length} mm keyway does not fit on the straight part of step {step}; at "
        "most {max_length} mm.",
        "{keyway_length} mm kama yuvası {step} numaralı kademenin düz kısmına sığmıyor; en "
        "fazla {max_length} mm olabilir.",
        (
            _s(
                "Shorten the keyway or lengthen the step.",
                "Kama yuvasını kısaltın veya kademeyi uzatın.",
            ),
        ),
    ),
    # -------------------------------------------------------------- spur gear
    ErrorSpec(
        "VALIDATION_GEAR_UNDERCUT",
        "{teeth} teeth at {pressure_angle}° pressure angle and profile shift "
        "{profile_shift} would be undercut; use at least {min_teeth} teeth or a profile "
        "shift of at least {min_profile_shift}.",
        "{pressure_angle}° kavrama açısında ve {profile_shift} profil kaydırmasında {teeth} "
        "diş alttan kesilir; en az {min_teeth} diş veya en az {min_profile_shift} profil "
        "kaydırması kullanın.",
        (
            _s(
                "Increase the profile shift, the number of teeth or the pressure angle.",
                "Profil kaydırmasını, diş sayısını veya kavrama açısını artırın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_GEAR_TOOTH_TOO_THIN",
        "The teeth would be {thickness} mm thick on the pitch circle; {material} needs at "
        "least {min_wall} mm (a module of at least {min_module} mm).",
        "Dişler taksimat dairesinde {thickness} mm kalınlığında olur; {material} için en az "
        "{min_wall} mm gerekir (en az {min_module} mm modül).",
        (
            _s(
                "Use a larger module, or a material that allows thinner walls.",
                "Daha büyük bir modül veya daha ince duvara izin veren bir malzeme kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_GEAR_POINTED_TIP",
        "The tooth tip would be {tip_land} mm thick; at least {min_tip_land} mm is needed "
        "(profile shift {profile_shift}).",
        "Diş başı kalınlığı {tip_land} mm olur; en az {min_tip_land} mm gerekir "
        "(profil kaydırması {profile_shift}).",
        (
            _s(
                "Reduce the profile shift, or use more teeth or a smaller pressure angle.",
                "Profil kaydırmasını azaltın veya daha çok diş ya da daha küçük kavrama açısı "
                "kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_GEAR_BORE_TOO_LARGE",
        "A {bore_diameter} mm bore does not fit inside the {root_diameter} mm root circle.",
        "{bore_diameter} mm delik, {root_diameter} mm diş dibi dairesinin içine sığmıyor.",
        (
            _s(
                "Use a smaller bore, or a larger module or more teeth.",
                "Daha küçük bir delik veya daha büyük modül ya da daha çok diş kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "VALIDATION_GEAR_RIM_TOO_THIN",
        "The rim between the bore and the root circle would be {rim} mm thick; at least "
        "{min_rim} mm is needed ({material}).",
        "Delik ile diş dibi dairesi arasındaki çember {rim} mm kalınlığında olur; en az "
        "{min_rim} mm gerekir ({material}).",
        (
            _s(
                "Use a smaller bore: the rim should be at least half the tooth height.",
                "Daha küçük bir delik kullanın: çember kalınlığı en az diş yüksekliğinin "
                "yarısı olmalıdır.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {spec.code: 422 for spec in SPECS}
