"""Physics domain: materials and (later) mass properties, collision and clearance.

Pure and kernel-free at import time: the API process imports it to validate requests.
"""

from cadml.physics.materials import (
    CATEGORIES,
    NUMERIC_FIELDS,
    PROCESS_CATEGORIES,
    PROCESSES,
    Material,
    check_process,
    get_material,
    list_materials,
    materials_for_process,
    materials_table,
    parse_table,
)

__all__ = [
    "CATEGORIES",
    "NUMERIC_FIELDS",
    "PROCESSES",
    "PROCESS_CATEGORIES",
    "Material",
    "check_process",
    "get_material",
    "list_materials",
    "materials_for_process",
    "materials_table",
    "parse_table",
]
