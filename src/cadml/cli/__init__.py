"""The ``cadml`` command line, a composition root; entry point :func:`cadml.cli.main.main`."""

__all__: list[str] = []
