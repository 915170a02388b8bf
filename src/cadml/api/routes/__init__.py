"""The API's routers, one module per resource."""

from cadml.api.routes import artefacts, auth, designs, health, jobs, physics, progress

__all__ = ["artefacts", "auth", "designs", "health", "jobs", "physics", "progress"]
