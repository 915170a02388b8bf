"""The HTTP API (FastAPI): a composition root. Build it with :func:`cadml.api.app.create_app`.

Importing this package imports nothing heavy; the app module imports FastAPI and the
services, never the geometry kernel.
"""

__all__: list[str] = []
