"""``/physics``: materials, exact mass properties, collision, clearance and robot checks.

Mass properties, collision and clearance need the exact B-rep of each part, so they run
as short jobs in the geometry workers; each endpoint waits up to ``wait`` seconds and
answers 200 with the finished job (result in ``metrics``) or 202 with where to poll.
Parts are designs (the id of the job that made or imported them) placed by 4×4
transforms in millimetres.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response, status

from cadml.api.deps import MetricsDep, RuntimeDep, WriterDep
from cadml.api.job_wait import finish_or_accept
from cadml.api.schemas import ErrorOut
from cadml.physics.materials import materials_table
from cadml.physics.robot_request import robot_check

__all__ = ["router"]

router = APIRouter(prefix="/physics", tags=["physics"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422, 429)
}
_DONE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The job finished within `wait` seconds (result in `metrics`)"}
}
_PLACED = [[1, 0, 0, 120.0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
Wait = Annotated[float, Query(ge=0.0, le=60.0, description="Seconds to wait for the result")]


@router.get("/materials", summary="The materials table (properties and sources)")
def list_materials() -> dict[str, Any]:
    """Every material with density, elasticity, strength, thermal properties, the
    processes it suits and the sources of its values."""
    return materials_table()


async def _run(
    submit: Any,
    body: dict[str, Any],
    request: Request,
    response: Response,
    principal: Any,
    runtime: Any,
    metrics: Any,
    wait: float,
) -> Any:
    job, created = await asyncio.to_thread(
        submit, body, principal, request_id=request.state.request_id
    )
    return await finish_or_accept(
        job,
        created,
        lookup=lambda job_id: runtime.designs.get_job(job_id, principal),
        wait_s=wait,
        response=response,
        metrics=metrics,
    )


@router.post(
    "/mass-properties",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**_ERRORS, **_DONE},
    summary="Exact mass properties of a part or an assembly",
)
async def mass_properties(
    request: Request,
    response: Response,
    principal: WriterDep,
    runtime: RuntimeDep,
    metrics: MetricsDep,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "parts": [
                        {"id": "plate", "design_id": "<job id>", "material": "steel"},
                        {"id": "hub", "design_id": "<job id>", "transform_mm": _PLACED},
                    ],
                    "frame_mm": None,
                }
            ]
        ),
    ],
    wait: Wait = 10.0,
) -> Any:
    """Mass, volume, area, centre of mass, inertia tensor about the centre of mass and
    about ``frame_mm`` (default: the assembly frame), principal moments and axes, per
    part and for the assembly (parallel-axis theorem). Exact, from the B-rep; SI keys
    (``mass_kg``, ``center_of_mass_m``, ``inertia_kg_m2``) with a millimetre view."""
    return await _run(
        runtime.physics.submit_mass, body, request, response, principal, runtime, metrics, wait
    )


@router.post(
    "/collision/check",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**_ERRORS, **_DONE},
    summary="Collisions, interference volumes and containment of placed parts",
)
async def collision_check(
    request: Request,
    response: Response,
    principal: WriterDep,
    runtime: RuntimeDep,
    metrics: MetricsDep,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "parts": [
                        {"id": "base", "design_id": "<job id>"},
                        {"id": "pin", "design_id": "<job id>", "transform_mm": _PLACED},
                    ],
                    "tolerance_mm": 0.001,
                    "exact": False,
                }
            ]
        ),
    ],
    wait: Wait = 10.0,
) -> Any:
    """Every colliding pair with its kind (overlap, containment, touching), interference
    volume, contact points, the faces involved on each part and a severity. ``exact``
    adds the exact B-rep common volume of each colliding pair."""
    return await _run(
        runtime.physics.submit_collision,
        body,
        request,
        response,
        principal,
        runtime,
        metrics,
        wait,
    )


@router.post(
    "/collision/clearance",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**_ERRORS, **_DONE},
    summary="Minimum distances and closest points (exact below ten deflections)",
)
async def collision_clearance(
    request: Request,
    response: Response,
    principal: WriterDep,
    runtime: RuntimeDep,
    metrics: MetricsDep,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "parts": [
                        {"id": "hole", "design_id": "<job id>"},
                        {"id": "pin", "design_id": "<job id>"},
                    ],
                    "pairs": [["hole", "pin"]],
                    "touching_tolerance_mm": 0.001,
                },
                {"parts": ["..."], "threshold_mm": 10.0},
            ]
        ),
    ],
    wait: Wait = 10.0,
) -> Any:
    """The minimum distance and closest points of the given ``pairs``, or of every pair
    closer than ``threshold_mm``. A mesh prefilter answers far pairs; whenever its answer
    is below ten times the mesh deflection plus the threshold, the exact B-rep distance
    decides. ``touching`` uses ``touching_tolerance_mm``."""
    return await _run(
        runtime.physics.submit_clearance,
        body,
        request,
        response,
        principal,
        runtime,
        metrics,
        wait,
    )


@router.post("/robot-check", responses=_ERRORS, summary="Robot payload and gripper checks")
def robot_check_route(
    principal: WriterDep,
    body: Annotated[
        dict[str, Any],
        Body(
            examples=[
                {
                    "payload": {"mass_kg": 5.0, "center_of_mass_m": [0, 0, 0.1]},
                    "robot": {
                        "name": "UR10e",
                        "rated_payload_kg": 12.5,
                        "max_com_offset_m": 0.3,
                        "max_wrist_moment_nm": [30, 30, 20],
                    },
                    "acceleration_m_s2": 5.0,
                    "gripper": {"friction_coefficient": 0.4, "safety_factor": 2, "n_fingers": 2},
                }
            ]
        ),
    ],
) -> dict[str, Any]:
    """Payload feasibility (mass, centre-of-mass offset or load diagram, static and
    dynamic wrist moments, wrist inertia; each with its utilisation and a coded reason
    when exceeded) and the normal force a friction grip needs under the acceleration
    with the safety factor. The payload is in the flange frame, in metres."""
    return robot_check(body)
