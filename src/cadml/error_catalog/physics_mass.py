"""Error codes of mass properties and the robot checks (payload and gripper).

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.

A robot check that *finds* a payload infeasible does not raise: it reports reasons
(see :mod:`cadml.physics.robot`). These codes are for input that cannot be computed.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "PHYSICS_MASS_INVALID_INPUT",
        "Mass properties input '{field}' = {value} is invalid: {reason}",
        "Kütle özellikleri girdisi '{field}' = {value} geçersiz: {reason}",
        (
            _s(
                "Give finite SI values: a positive density in kg/m³, a rigid 4×4 transform "
                "(orthonormal rotation, no scaling or mirroring) and at least one part.",
                "Sonlu SI değerleri verin: kg/m³ cinsinden pozitif bir yoğunluk, katı bir 4×4 "
                "dönüşüm (ortonormal dönme, ölçekleme veya aynalama yok) ve en az bir parça.",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_MASS_INVALID_SHAPE",
        "Mass properties cannot be computed for this shape: {reason}",
        "Bu şeklin kütle özellikleri hesaplanamıyor: {reason}",
        (
            _s(
                "Send a closed solid (a valid B-rep with at least one solid of positive "
                "volume) in millimetres.",
                "Milimetre cinsinden kapalı bir katı gönderin (pozitif hacimli en az bir katısı "
                "olan geçerli bir B-rep).",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_MASS_MESH_NOT_CLOSED",
        "The mesh is not closed: {edges} edges are not matched by an opposite edge, so it "
        "encloses no volume.",
        "Ağ kapalı değil: {edges} kenarın karşı yönde eşi yok, bu yüzden bir hacim çevrelemiyor.",
        (
            _s(
                "Repair the mesh (fill holes, merge duplicate vertices, orient the triangles "
                "consistently) or send the B-rep.",
                "Ağı onarın (delikleri doldurun, yinelenen köşeleri birleştirin, üçgenleri "
                "tutarlı yönlendirin) veya B-rep gönderin.",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_MASS_MESH_INVERTED",
        "The mesh encloses a non-positive volume ({volume_mm3} mm³): its triangles face inwards.",
        "Ağ pozitif olmayan bir hacim çevreliyor ({volume_mm3} mm³): üçgenleri içe bakıyor.",
        (
            _s(
                "Flip the triangle winding so that normals point out of the material "
                "(counter-clockwise seen from outside).",
                "Normallerin malzemenin dışına bakması için üçgenlerin sarım yönünü çevirin "
                "(dışarıdan bakıldığında saat yönünün tersi).",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_ROBOT_INVALID_INPUT",
        "Robot check input '{field}' = {value} is invalid: {reason}",
        "Robot denetimi girdisi '{field}' = {value} geçersiz: {reason}",
        (
            _s(
                "Give the robot's limits from its data sheet in SI units (kg, m, N·m, "
                "kg·m²) and a non-negative acceleration in m/s².",
                "Robotun sınırlarını veri sayfasından SI birimleriyle (kg, m, N·m, kg·m²) ve "
                "m/s² cinsinden negatif olmayan bir ivme verin.",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_GRIPPER_INVALID_INPUT",
        "Gripper force input '{field}' = {value} is invalid: {reason}",
        "Tutucu kuvveti girdisi '{field}' = {value} geçersiz: {reason}",
        (
            _s(
                "Use a positive mass in kg, a friction coefficient above 0, a safety factor "
                "of at least 1, a non-negative acceleration in m/s² and at least 2 fingers.",
                "Kg cinsinden pozitif bir kütle, 0'dan büyük bir sürtünme katsayısı, en az 1 "
                "güvenlik katsayısı, m/s² cinsinden negatif olmayan bir ivme ve en az 2 parmak "
                "kullanın.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "PHYSICS_MASS_INVALID_INPUT": 422,
    "PHYSICS_MASS_INVALID_SHAPE": 422,
    "PHYSICS_MASS_MESH_NOT_CLOSED": 422,
    "PHYSICS_MASS_MESH_INVERTED": 422,
    "PHYSICS_ROBOT_INVALID_INPUT": 422,
    "PHYSICS_GRIPPER_INVALID_INPUT": 422,
}
