"""The API's routers, one module per resource."""

from cadml.api.routes import (
    artefacts,
    auth,
    designs,
    health,
    inference,
    jobs,
    models,
    physics,
    progress,
    twin,
    twin_live,
)

__all__ = [
    "artefacts",
    "auth",
    "designs",
    "health",
    "inference",
    "jobs",
    "models",
    "physics",
    "progress",
    "twin",
    "twin_live",
]
