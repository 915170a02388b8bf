"""Error codes of the manufacturability (DFM) checks.

Each entry: code, English and Turkish message templates (``str.format`` fields from the
error's details, the same fields in both languages) and suggestions. ``STATUS`` gives
every code here its HTTP status.

The checks themselves never raise on a valid solid: what they find is reported as
findings. These codes are for input the checks cannot work with.
"""

from __future__ import annotations

from cadml.error_catalog.spec import ErrorSpec
from cadml.error_catalog.spec import suggestion as _s

__all__ = ["SPECS", "STATUS"]

SPECS: tuple[ErrorSpec, ...] = (
    ErrorSpec(
        "DFM_UNKNOWN_PROCESS",
        "Manufacturability cannot be checked for process '{process}'. Checked processes: "
        "{allowed}.",
        "'{process}' yöntemi için üretilebilirlik denetlenemiyor. Denetlenen yöntemler: {allowed}.",
        (
            _s(
                "Use one of the listed process ids, e.g. cnc_milling or fdm_printing.",
                "Listelenen yöntem kimliklerinden birini kullanın, örneğin cnc_milling veya "
                "fdm_printing.",
            ),
        ),
    ),
    ErrorSpec(
        "DFM_INVALID_OPTION",
        "Manufacturability option '{field}' = {value} is invalid: {reason}",
        "Üretilebilirlik seçeneği '{field}' = {value} geçersiz: {reason}",
        (
            _s(
                "Fix the option or leave it out to use the process default.",
                "Seçeneği düzeltin veya yöntemin varsayılanını kullanmak için çıkarın.",
            ),
        ),
    ),
    ErrorSpec(
        "DFM_INVALID_SHAPE",
        "The part cannot be checked for manufacturability: {reason}",
        "Parçanın üretilebilirliği denetlenemiyor: {reason}",
        (
            _s(
                "Send a closed solid (a valid B-rep with at least one solid) in millimetres.",
                "Milimetre cinsinden kapalı bir katı gönderin (en az bir katısı olan geçerli "
                "bir B-rep).",
            ),
        ),
    ),
    ErrorSpec(
        "DFM_MATERIAL_PROCESS_CONFLICT",
        "Material '{material}' is not offered for '{process}'; it is offered for: {allowed}.",
        "'{material}' malzemesi '{process}' yöntemi için sunulmuyor; sunulduğu yöntemler: "
        "{allowed}.",
        (
            _s(
                "Check the part for one of the material's processes, or pick another material.",
                "Parçayı malzemenin yöntemlerinden biri için denetleyin veya başka bir malzeme "
                "seçin.",
            ),
        ),
    ),
)

STATUS: dict[str, int] = {
    "DFM_UNKNOWN_PROCESS": 422,
    "DFM_INVALID_OPTION": 422,
    "DFM_INVALID_SHAPE": 422,
    "DFM_MATERIAL_PROCESS_CONFLICT": 422,
}
