"""Running an untrusted model file's test inference in a limited child process.

The child is a fresh interpreter (``python -I``: no user site, no environment paths)
started in an empty temporary directory with a minimal environment, in its own session.
Before it reads the upload it puts itself under resource limits: CPU seconds
(``RLIMIT_CPU``), address space (``RLIMIT_AS``) and file size (``RLIMIT_FSIZE``). (Setting
them in the child, not in a ``preexec_fn``, keeps ``fork`` safe in the threaded server.)
``RLIMIT_CPU`` does not stop a process that sleeps, so the parent also kills the whole
process group after a wall-clock limit (PITFALLS).

This is a containment of accidents and of casual abuse, not a security boundary against
a determined attacker: there is no seccomp filter or network namespace yet, so a
malicious pickle can still open sockets or read files the server's user can read. Only
users with the ``models:write`` scope can upload models.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cadml.errors import ValidationError

__all__ = ["ProbeLimits", "ProbeResult", "run_probe"]


@dataclass(frozen=True)
class ProbeLimits:
    """Limits of the probe process.

    Args:
        cpu_s: CPU seconds.
        wall_s: wall-clock seconds before the process group is killed.
        memory_mb: address-space limit (torch maps a lot of virtual memory: keep it high).
        file_mb: largest file the child may write.
    """

    cpu_s: int = 60
    wall_s: float = 120.0
    memory_mb: int = 8192
    file_mb: int = 512


@dataclass(frozen=True)
class ProbeResult:
    """What the probe learnt.

    Args:
        facts: ``result.json`` of the probe (framework, inputs, outputs, parity).
        serving_onnx: the converted ONNX file's bytes (None for TFLite: not converted).
    """

    facts: dict[str, Any]
    serving_onnx: bytes | None


def _invalid(fmt: str, reason: str) -> ValidationError:
    return ValidationError("ML_MODEL_INVALID_FILE", details={"format": fmt, "reason": reason})


def run_probe(
    data: bytes, fmt: str, input_shape: list[int] | None, limits: ProbeLimits | None = None
) -> ProbeResult:
    """Load, run and convert an uploaded model file in the sandbox.

    Args:
        data: the uploaded file.
        fmt: ``sklearn``, ``torchscript`` or ``tflite``.
        input_shape: the test input's shape (TorchScript only).
        limits: the child's limits.

    Returns:
        The probe's facts and the ONNX conversion.

    Raises:
        ValidationError: ``ML_MODEL_INVALID_FILE`` when the file fails to load, run or
            convert, or the child is killed by a limit.
    """
    limits = limits or ProbeLimits()
    with tempfile.TemporaryDirectory(prefix="cadml-probe-") as tmp:
        directory = Path(tmp)
        (directory / "model.bin").write_bytes(data)
        (directory / "request.json").write_text(
            json.dumps(
                {
                    "format": fmt,
                    "input_shape": input_shape,
                    "limits": {
                        "cpu_s": limits.cpu_s,
                        "memory_mb": limits.memory_mb,
                        "file_mb": limits.file_mb,
                    },
                }
            )
        )
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": tmp,
            "OMP_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
        }
        process = subprocess.Popen(
            [sys.executable, "-I", "-m", "cadml.ml.registry.probe", tmp],
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _, stderr = process.communicate(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise _invalid(fmt, f"the test inference ran over {limits.wall_s:g} s") from None
        result_path = directory / "result.json"
        if not result_path.is_file():
            tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise _invalid(
                fmt, f"the sandbox process died (exit {process.returncode}) {tail[0][:200]}"
            )
        facts = json.loads(result_path.read_text())
        if "error" in facts:
            raise _invalid(fmt, facts["error"])
        converted = directory / "serving.onnx"
        return ProbeResult(facts, converted.read_bytes() if converted.is_file() else None)
