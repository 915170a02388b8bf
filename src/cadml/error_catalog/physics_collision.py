"""Error codes of the collision check (physics, issue 4).

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
        "PHYSICS_COLLISION_INVALID_TRANSFORM",
        "The placement of part '{part}' is not a rigid transform: {reason}",
        "'{part}' parçasının yerleşimi katı bir dönüşüm değil: {reason}",
        (
            _s(
                "Give a 4x4 matrix with a pure rotation block and a translation in mm.",
                "Saf bir dönme bloğu ve mm cinsinden öteleme içeren 4x4 bir matris verin.",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_COLLISION_DUPLICATE_PART",
        "Part id '{part}' appears more than once in the collision check.",
        "'{part}' parça kimliği çarpışma kontrolünde birden fazla kez geçiyor.",
        (
            _s(
                "Give every placed part a unique id (for example name#instance).",
                "Yerleştirilen her parçaya benzersiz bir kimlik verin (örneğin ad#örnek).",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_COLLISION_EMPTY_MESH",
        "Part '{part}' has no triangles to check for collisions.",
        "'{part}' parçasının çarpışma kontrolü için üçgeni yok.",
        (
            _s(
                "Check that the part built and was tessellated.",
                "Parçanın oluşturulduğunu ve üçgenlendiğini kontrol edin.",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_COLLISION_NOT_MANIFOLD",
        "The mesh of part '{part}' is not a closed solid, so its volume cannot be used: {reason}",
        "'{part}' parçasının ağı kapalı bir katı değil, hacmi kullanılamıyor: {reason}",
        (
            _s(
                "Repair the part (it must be one or more closed solids) and tessellate again.",
                "Parçayı onarın (bir veya daha fazla kapalı katı olmalı) ve yeniden üçgenleyin.",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_COLLISION_INVALID_OPTION",
        "Collision option '{field}' has an invalid value '{value}'. Allowed: {allowed}.",
        "Çarpışma seçeneği '{field}' için '{value}' değeri geçersiz. İzin verilenler: {allowed}.",
        (
            _s(
                "Use one of the allowed values.",
                "İzin verilen değerlerden birini kullanın.",
            ),
        ),
    ),
    ErrorSpec(
        "PHYSICS_COLLISION_EXACT_FAILED",
        "The exact common volume of '{part_a}' and '{part_b}' could not be computed: {reason}",
        "'{part_a}' ile '{part_b}' için kesin ortak hacim hesaplanamadı: {reason}",
        (
            _s(
                "Check both parts with the validation report; repair invalid solids.",
                "İki parçayı da doğrulama raporuyla kontrol edin; geçersiz katıları onarın.",
            ),
            _s(
                "Run the check without the exact option to get the mesh answer.",
                "Ağ yanıtını almak için kontrolü kesin seçenek olmadan çalıştırın.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "PHYSICS_COLLISION_INVALID_TRANSFORM": 422,
    "PHYSICS_COLLISION_DUPLICATE_PART": 422,
    "PHYSICS_COLLISION_EMPTY_MESH": 422,
    "PHYSICS_COLLISION_NOT_MANIFOLD": 422,
    "PHYSICS_COLLISION_INVALID_OPTION": 422,
    "PHYSICS_COLLISION_EXACT_FAILED": 422,
}
