"""Design flows: turn requests (params, and later prompts, scripts, uploads) into
canonical design inputs with cache keys.

Pure and kernel-free: the API process imports it to validate requests.
"""

from cadml.designs.params import (
    DEFAULT_MATERIAL,
    DEFAULT_PROCESS,
    PARAM_DECIMALS,
    canonicalize_params_request,
    design_cache_key,
)

__all__ = [
    "DEFAULT_MATERIAL",
    "DEFAULT_PROCESS",
    "PARAM_DECIMALS",
    "canonicalize_params_request",
    "design_cache_key",
]
