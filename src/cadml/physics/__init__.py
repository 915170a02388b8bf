"""Physics domain: materials, mass properties, collision, clearance and robot checks.

Pure and kernel-free at import time: the API process imports it to validate requests.
"""

from cadml.physics.clearance import ClearancePart, ClearanceReport, PairClearance, clearance
from cadml.physics.inertia import MassProperties, combine, parallel_axis
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
from cadml.physics.polyhedral import mesh_mass_properties
from cadml.physics.robot import (
    GripperReport,
    PayloadReport,
    RobotSpec,
    gripper_force,
    payload_check,
)

__all__ = [
    "CATEGORIES",
    "NUMERIC_FIELDS",
    "PROCESSES",
    "PROCESS_CATEGORIES",
    "ClearancePart",
    "ClearanceReport",
    "GripperReport",
    "MassProperties",
    "Material",
    "PairClearance",
    "PayloadReport",
    "RobotSpec",
    "check_process",
    "clearance",
    "combine",
    "get_material",
    "gripper_force",
    "list_materials",
    "materials_for_process",
    "materials_table",
    "mesh_mass_properties",
    "parallel_axis",
    "parse_table",
    "payload_check",
]
