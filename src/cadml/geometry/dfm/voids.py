"""Trapped volumes: closed internal cavities (shells of a solid other than its outer one).

A solid's outer shell is found with ``BRepClass3d::OuterShell``; every other shell of
the solid bounds a void with no opening. The cavity's volume is the absolute volume
that shell encloses (``BRepGProp``). What the void means depends on the process: SLA
traps liquid resin, FDM traps support, machining and moulding cannot make it at all.
"""

from __future__ import annotations

from typing import Any

from cadml.geometry.dfm.context import CheckContext
from cadml.geometry.dfm.report import Finding
from cadml.geometry.dfm.texts import make_finding

__all__ = ["REMEDIES", "SEVERITY", "check_trapped_volumes"]

SEVERITY: dict[str, str] = {
    "cnc_milling": "error",
    "injection_molding": "error",
    "fdm_printing": "warning",
    "sla_printing": "error",
    "sheet_metal": "error",
}
"""Severity of a closed void per process."""

REMEDIES: dict[str, tuple[str, str]] = {
    "cnc_milling": (
        "A closed void cannot be machined: open the cavity to the outside or split the part.",
        "Kapalı boşluk işlenemez: boşluğu dışarıya açın veya parçayı bölün.",
    ),
    "injection_molding": (
        "A closed void cannot be moulded: open the cavity or split the part into two shells.",
        "Kapalı boşluk kalıplanamaz: boşluğu açın veya parçayı iki kabuğa bölün.",
    ),
    "fdm_printing": (
        "Supports inside a closed void cannot be removed: make it self-supporting, fill it "
        "or open it.",
        "Kapalı boşluktaki destekler çıkarılamaz: boşluğu kendi kendini taşır yapın, "
        "doldurun veya açın.",
    ),
    "sla_printing": (
        "Uncured resin stays trapped: add at least two drain holes of 3.5 mm or more.",
        "Kürlenmemiş reçine içeride kalır: en az iki adet 3,5 mm veya daha büyük "
        "boşaltma deliği ekleyin.",
    ),
    "sheet_metal": (
        "A sheet-metal part cannot enclose a void: make it from separate sheets.",
        "Sac parça kapalı boşluk içeremez: ayrı saclardan yapın.",
    ),
}
"""How to remove a closed void, per process (English, Turkish)."""


def _inner_shells(shape: Any) -> list[Any]:
    from OCP.BRepClass3d import BRepClass3d
    from OCP.TopAbs import TopAbs_SHELL, TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer
    from OCP.TopoDS import TopoDS

    shells: list[Any] = []
    solids = TopExp_Explorer(shape, TopAbs_SOLID)
    while solids.More():
        solid = TopoDS.Solid(solids.Current())
        outer = BRepClass3d.OuterShell_s(solid)
        explorer = TopExp_Explorer(solid, TopAbs_SHELL)
        while explorer.More():
            shell = explorer.Current()
            if outer.IsNull() or not shell.IsSame(outer):
                shells.append(TopoDS.Shell(shell))
            explorer.Next()
        solids.Next()
    return shells


def check_trapped_volumes(ctx: CheckContext) -> list[Finding]:
    """One finding per closed internal void, with its faces, volume and centroid."""
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps
    from OCP.TopAbs import TopAbs_FACE
    from OCP.TopExp import TopExp_Explorer

    findings: list[Finding] = []
    total = 0.0
    for shell in _inner_shells(ctx.model.shape):
        props = GProp_GProps()
        BRepGProp.VolumeProperties_s(shell, props)
        volume = abs(props.Mass())
        centre = props.CentreOfMass().Coord()
        faces: list[int] = []
        explorer = TopExp_Explorer(shell, TopAbs_FACE)
        while explorer.More():
            current = explorer.Current()
            faces.extend(i for i, f in enumerate(ctx.model.faces) if f.IsSame(current))
            explorer.Next()
        total += volume
        findings.append(
            make_finding(
                ctx.prefix,
                "trapped_volume",
                SEVERITY[ctx.process],
                faces=faces,
                points=[centre],
                measured=volume,
                unit="mm3",
                suggestion=REMEDIES[ctx.process],
            )
        )
    ctx.stats["trapped_volume_mm3"] = total
    return findings
