"""CAD-ML Platform: mechanical design to the factory floor.

The package is layered (imports point down only)::

    api/ cli/                      composition roots
    services/                      use cases
    jobs/ artefacts/ db/           adapters behind ports
    geometry/ physics/ designs/    domain (pure)
    errors units tolerances        kernel
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
