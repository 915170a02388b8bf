"""cad-ml-edge: the CAD-ML Platform SDK for gateways next to machines.

Store-and-forward that never loses data (:mod:`cad_ml_edge.queue`), uplinks to the
platform (:mod:`cad_ml_edge.uplink`), local rules compiled once
(:mod:`cad_ml_edge.rules`) and local ONNX inference (:mod:`cad_ml_edge.inference`,
extra ``[inference]``). Dependencies: the standard library and msgpack.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
