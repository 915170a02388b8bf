"""Checking uploaded model files: the ONNX signature (:mod:`.signature`), and the sandboxed
test inference and ONNX conversion of pickles and TorchScript (:mod:`.sandbox`,
:mod:`.probe`). Submodules are imported explicitly."""

__all__: list[str] = []
