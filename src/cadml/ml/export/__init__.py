"""Model export: torch to ONNX, static INT8 quantisation, and the measured report.

:mod:`.torch_onnx` imports torch; :mod:`.int8` and :mod:`.measure` import onnxruntime
when called; :mod:`.report` is plain data.
"""

from cadml.ml.export.report import ExportReport, ModelFigures, Targets, format_report

__all__ = ["ExportReport", "ModelFigures", "Targets", "format_report"]
