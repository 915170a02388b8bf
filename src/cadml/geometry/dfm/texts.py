"""The bilingual wording of every DFM rule, and the helper that builds a finding.

Templates use ``str.format`` fields; both languages use the same fields (a unit test
checks it). Numbers are formatted with :func:`fmt` (at most three decimals).

Examples:
    >>> f = make_finding("fdm", "overhang", "warning", faces=[2], measured=60.0, limit=45.0,
    ...                  unit="deg")
    >>> f.rule, f.message_en
    ('fdm.overhang', 'Overhang of 60° from vertical exceeds 45° and needs support.')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cadml.geometry.dfm.report import Finding

__all__ = ["PROCESS_PREFIX", "TEXTS", "fmt", "make_finding"]

PROCESS_PREFIX: dict[str, str] = {
    "cnc_milling": "cnc",
    "injection_molding": "im",
    "fdm_printing": "fdm",
    "sla_printing": "sla",
    "sheet_metal": "sheet",
}
"""Rule-id prefix of each process."""

# rule -> (message_en, message_tr, suggestion_en, suggestion_tr)
TEXTS: dict[str, tuple[str, str, str, str]] = {
    "tool_access": (
        "Face cannot be reached by a 3-axis tool from +Z or -Z ({measured} mm² hidden).",
        "Yüze 3 eksenli takımla +Z veya -Z yönünden erişilemiyor ({measured} mm² gizli).",
        "Open the feature to the top or bottom, add a side setup, or use 4/5-axis machining.",
        "Özelliği üste veya alta açın, yandan ek bağlama ekleyin veya 4/5 eksenli işleme kullanın.",
    ),
    "internal_corner_sharp": (
        "Sharp internal vertical corner: a {tool} mm end mill leaves at least a {limit} mm radius.",
        "Keskin iç dikey köşe: {tool} mm parmak freze en az {limit} mm yarıçap bırakır.",
        "Fillet the corner with a radius of at least {limit} mm, or add a dog-bone relief.",
        "Köşeye en az {limit} mm yarıçaplı radyus verin veya köpek kemiği boşaltma ekleyin.",
    ),
    "internal_corner_small": (
        "Internal corner radius {measured} mm is smaller than the {tool} mm tool's radius "
        "{limit} mm.",
        "İç köşe yarıçapı {measured} mm, {tool} mm takımın {limit} mm yarıçapından küçük.",
        "Enlarge the fillet to at least {limit} mm, or plan a smaller (slower) tool.",
        "Radyusu en az {limit} mm yapın veya daha küçük (daha yavaş) bir takım planlayın.",
    ),
    "deep_pocket": (
        "Pocket {depth} mm deep and {width} mm wide: depth is {measured}x the width "
        "(limit {limit}x).",
        "Cep {depth} mm derin ve {width} mm geniş: derinlik genişliğin {measured} katı "
        "(sınır {limit} kat).",
        "Make the pocket shallower or wider (depth at most {limit}x width).",
        "Cebi sığlaştırın veya genişletin (derinlik en fazla genişliğin {limit} katı).",
    ),
    "min_wall": (
        "Wall {measured} mm thick is thinner than {limit} mm for {material}.",
        "{measured} mm duvar, {material} için gereken {limit} mm'den ince.",
        "Thicken the wall to at least {limit} mm.",
        "Duvarı en az {limit} mm'ye kalınlaştırın.",
    ),
    "min_feature": (
        "Feature {measured} mm thick is below the {limit} mm the process can make.",
        "{measured} mm kalınlığındaki detay, yöntemin yapabildiği {limit} mm'nin altında.",
        "Thicken the feature to at least {limit} mm or remove it.",
        "Detayı en az {limit} mm'ye kalınlaştırın veya kaldırın.",
    ),
    "draft_angle": (
        "Face has {measured}° draft along the pull direction; at least {limit}° is needed "
        "to eject the part.",
        "Yüzün kalıp açılma yönünde {measured}° eğimi var; parçanın çıkması için en az "
        "{limit}° gerekir.",
        "Add at least {limit}° of draft (more on textured faces).",
        "En az {limit}° kalıp çıkma açısı verin (dokulu yüzeylerde daha fazla).",
    ),
    "wall_uniformity": (
        "Thickest section {thick} mm is {measured}x the nominal wall {nominal} mm "
        "(limit {limit}x); thick sections sink and warp.",
        "En kalın kesit {thick} mm, nominal duvarın ({nominal} mm) {measured} katı "
        "(sınır {limit} kat); kalın kesitler çöker ve çarpılır.",
        "Core out thick regions so that walls stay uniform; blend thickness changes.",
        "Duvarlar düzgün kalsın diye kalın bölgeleri boşaltın; kalınlık geçişlerini yumuşatın.",
    ),
    "undercut": (
        "Face is hidden from both mould halves along the pull direction (undercut, "
        "{measured} mm²).",
        "Yüz, açılma yönünde iki kalıp yarısından da görünmüyor (ters açı, {measured} mm²).",
        "Remove the undercut, change the pull direction, or plan a side action (adds cost).",
        "Ters açıyı kaldırın, açılma yönünü değiştirin veya yan maça planlayın (maliyet ekler).",
    ),
    "trapped_volume": (
        "Closed internal void of {measured} mm³ with no opening to the outside.",
        "Dışarıya açıklığı olmayan {measured} mm³ kapalı iç boşluk.",
        "Open the void to the outside, fill it, or split the part.",
        "Boşluğu dışarıya açın, doldurun veya parçayı bölün.",
    ),
    "overhang": (
        "Overhang of {measured}° from vertical exceeds {limit}° and needs support.",
        "Dikeyden {measured}° çıkıntı {limit}° sınırını aşıyor ve destek gerektirir.",
        "Add support, chamfer the overhang to at most {limit}°, or reorient the part.",
        "Destek ekleyin, çıkıntıyı en fazla {limit}° olacak şekilde pahlayın veya parçayı "
        "döndürün.",
    ),
    "bridge_length": (
        "Horizontal span of {measured} mm exceeds the {limit} mm bridge limit.",
        "{measured} mm yatay açıklık {limit} mm köprü sınırını aşıyor.",
        "Add support or a chamfer/arch under the span, or shorten it to {limit} mm.",
        "Açıklığın altına destek veya pah/kemer ekleyin ya da {limit} mm'ye kısaltın.",
    ),
    "bend_radius": (
        "Inner bend radius {measured} mm is below {limit} mm ({ratio}x the {thickness} mm "
        "sheet); the bend may crack.",
        "İç büküm yarıçapı {measured} mm, {limit} mm'nin altında ({thickness} mm sacın "
        "{ratio} katı); büküm çatlayabilir.",
        "Use an inner bend radius of at least {limit} mm.",
        "En az {limit} mm iç büküm yarıçapı kullanın.",
    ),
    "uniform_thickness": (
        "Thickness {measured} mm differs from the sheet's {limit} mm; a sheet-metal part "
        "has one thickness.",
        "{measured} mm kalınlık, sacın {limit} mm kalınlığından farklı; sac parça tek "
        "kalınlıktadır.",
        "Make the part from one gauge; add material with separate parts or hardware.",
        "Parçayı tek kalınlıkta yapın; ek malzemeyi ayrı parça veya bağlantı elemanıyla ekleyin.",
    ),
}
"""The wording of each rule (the rule id is ``<prefix>.<rule>``)."""

# Wordings that share one rule id.
_RULE_ID = {
    "internal_corner_sharp": "internal_corner_radius",
    "internal_corner_small": "internal_corner_radius",
}


def fmt(value: float) -> str:
    """A number for a message: at most three decimals, no trailing zeros.

    Examples:
        >>> fmt(2.0), fmt(0.30000000000000004), fmt(1234.5678)
        ('2', '0.3', '1234.568')
    """
    text = f"{round(float(value), 3):.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def make_finding(
    prefix: str,
    text: str,
    severity: str,
    *,
    faces: Iterable[int] = (),
    points: Sequence[Sequence[float]] = (),
    measured: float | None = None,
    limit: float | None = None,
    unit: str = "",
    suggestion: tuple[str, str] | None = None,
    **fields: object,
) -> Finding:
    """A :class:`Finding` with the wording of ``TEXTS[text]``.

    Args:
        prefix: the process prefix from :data:`PROCESS_PREFIX`.
        text: a key of :data:`TEXTS`.
        severity: ``error``, ``warning`` or ``info``.
        faces: face ids (sorted and de-duplicated here).
        points: locations in mm.
        measured: the measured value (also the ``{measured}`` field).
        limit: the limit (also the ``{limit}`` field).
        unit: unit of ``measured`` and ``limit``.
        suggestion: (English, Turkish) text replacing the rule's generic suggestion.
        **fields: further template fields; floats are formatted with :func:`fmt`.
    """
    values = {k: fmt(v) if isinstance(v, float) else v for k, v in fields.items()}
    if measured is not None:
        values["measured"] = fmt(measured)
    if limit is not None:
        values["limit"] = fmt(limit)
    msg_en, msg_tr, sug_en, sug_tr = TEXTS[text]
    if suggestion is not None:
        sug_en, sug_tr = (part.replace("{", "{{").replace("}", "}}") for part in suggestion)
    return Finding(
        rule=f"{prefix}.{_RULE_ID.get(text, text)}",
        severity=severity,
        message_en=msg_en.format(**values),
        message_tr=msg_tr.format(**values),
        suggestion_en=sug_en.format(**values),
        suggestion_tr=sug_tr.format(**values),
        faces=tuple(sorted({int(f) for f in faces})),
        points=tuple((float(p[0]) + 0.0, float(p[1]) + 0.0, float(p[2]) + 0.0) for p in points),
        measured=None if measured is None else float(measured),
        limit=None if limit is None else float(limit),
        unit=unit,
    )
