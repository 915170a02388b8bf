"""The export report: each model's fp32 and INT8 figures against the targets.

For every exported model the report gives the file sizes, the accuracy of both files on
the held-out set (run through onnxruntime, as a client would), and single-sample
latency p50/p95 on one thread. :class:`Targets` holds the limits; :meth:`ModelFigures.missed`
names every one a model misses, and the export command fails when any is missed.

Examples:
    >>> f = ModelFigures("pointnet", "dynamo", 1000, 250, 0.99, 0.985,
    ...                  {"p50_ms": 1.0, "p95_ms": 1.2}, {"p50_ms": 0.6, "p95_ms": 0.7})
    >>> f.size_reduction, f.accuracy_loss_points
    (0.75, 0.5)
    >>> Targets().missed(f, latency=True)
    []
    >>> Targets(max_accuracy_loss_points=0.25).missed(f, latency=False)
    ['accuracy loss 0.50 points (target < 0.25)']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ExportReport", "ModelFigures", "Targets", "format_report"]


@dataclass(frozen=True)
class ModelFigures:
    """Measured figures of one exported model.

    Args:
        name: the model's name (``pointnet``, ``mlp``).
        exporter: which torch exporter wrote the fp32 file.
        fp32_bytes: size of the fp32 ONNX file.
        int8_bytes: size of the INT8 file (0 when not quantised).
        fp32_accuracy: held-out accuracy of the fp32 file.
        int8_accuracy: held-out accuracy of the INT8 file.
        fp32_latency: ``{"p50_ms", "p95_ms"}`` single-sample, one thread.
        int8_latency: the same for the INT8 file.
    """

    name: str
    exporter: str
    fp32_bytes: int
    int8_bytes: int
    fp32_accuracy: float
    int8_accuracy: float
    fp32_latency: dict[str, float]
    int8_latency: dict[str, float]

    @property
    def size_reduction(self) -> float:
        """``1 - int8 / fp32`` (0.75: the INT8 file is 75 % smaller)."""
        return round(1.0 - self.int8_bytes / self.fp32_bytes, 6) if self.int8_bytes else 0.0

    @property
    def accuracy_loss_points(self) -> float:
        """fp32 accuracy minus INT8 accuracy, in percentage points."""
        return round(100.0 * (self.fp32_accuracy - self.int8_accuracy), 6)

    def to_dict(self) -> dict[str, Any]:
        """JSON form, with the derived figures."""
        return {
            **asdict(self),
            "size_reduction": self.size_reduction,
            "accuracy_loss_points": self.accuracy_loss_points,
        }


@dataclass(frozen=True)
class Targets:
    """Limits an INT8 export must meet (the issue's goals by default).

    Args:
        min_size_reduction: the INT8 file at least this much smaller than fp32.
        max_accuracy_loss_points: accuracy lost to INT8 strictly below this.
        max_latency_ms: INT8 single-sample p95 latency on one thread strictly below this.
    """

    min_size_reduction: float = 0.70
    max_accuracy_loss_points: float = 1.0
    max_latency_ms: float = 5.0

    def missed(self, figures: ModelFigures, latency: bool) -> list[str]:
        """Every target ``figures`` misses, described; empty when all are met.

        Args:
            figures: the model's figures.
            latency: whether the size and latency targets apply (the served point-cloud
                model); the accuracy target always applies.
        """
        if not figures.int8_bytes:
            return []  # every target is an INT8 target
        missed = []
        if figures.accuracy_loss_points >= self.max_accuracy_loss_points:
            missed.append(
                f"accuracy loss {figures.accuracy_loss_points:.2f} points "
                f"(target < {self.max_accuracy_loss_points:g})"
            )
        if latency and figures.size_reduction < self.min_size_reduction:
            missed.append(
                f"INT8 size reduction {100 * figures.size_reduction:.1f} % "
                f"(target >= {100 * self.min_size_reduction:g} %)"
            )
        if latency and figures.int8_latency["p95_ms"] >= self.max_latency_ms:
            missed.append(
                f"INT8 p95 latency {figures.int8_latency['p95_ms']:.2f} ms "
                f"(target < {self.max_latency_ms:g} ms)"
            )
        return missed


@dataclass
class ExportReport:
    """Figures of every exported model and the targets they were held to.

    Args:
        models: the figures, in export order.
        targets: the limits.
        target_models: names of the models the size and latency targets apply to.
        files: written file paths by key (``pointnet.fp32`` ...).
        evaluation_samples: held-out samples each accuracy is measured on.
        calibration_samples: samples used to calibrate the INT8 ranges.
    """

    models: list[ModelFigures]
    targets: Targets
    target_models: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    evaluation_samples: dict[str, int] = field(default_factory=dict)
    calibration_samples: int = 0

    def missed(self) -> list[str]:
        """Every missed target, prefixed with the model's name."""
        return [
            f"{m.name}: {text}"
            for m in self.models
            for text in self.targets.missed(m, latency=m.name in self.target_models)
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "models": [m.to_dict() for m in self.models],
            "targets": asdict(self.targets),
            "target_models": list(self.target_models),
            "files": self.files,
            "evaluation_samples": self.evaluation_samples,
            "calibration_samples": self.calibration_samples,
            "missed": self.missed(),
            "passed": not self.missed(),
        }


def _kib(size: int) -> str:
    return f"{size / 1024:.1f} KiB"


def format_report(report: ExportReport) -> str:
    """The report as a table for a terminal."""
    lines = [
        f"{'model':<10} {'file':<5} {'size':>11} {'accuracy':>9} {'p50 ms':>8} {'p95 ms':>8}",
    ]
    for m in report.models:
        lines.append(
            f"{m.name:<10} {'fp32':<5} {_kib(m.fp32_bytes):>11} {100 * m.fp32_accuracy:>8.2f}% "
            f"{m.fp32_latency['p50_ms']:>8.3f} {m.fp32_latency['p95_ms']:>8.3f}"
        )
        if m.int8_bytes:
            lines.append(
                f"{'':<10} {'int8':<5} {_kib(m.int8_bytes):>11} {100 * m.int8_accuracy:>8.2f}% "
                f"{m.int8_latency['p50_ms']:>8.3f} {m.int8_latency['p95_ms']:>8.3f}"
                f"   ({100 * m.size_reduction:.1f} % smaller, "
                f"{m.accuracy_loss_points:+.2f} points lost, exporter {m.exporter})"
            )
    t = report.targets
    lines.append(
        f"targets ({', '.join(report.target_models)}): INT8 >= {100 * t.min_size_reduction:g} % "
        f"smaller, accuracy loss < {t.max_accuracy_loss_points:g} point, INT8 p95 < "
        f"{t.max_latency_ms:g} ms on one thread; accuracy loss for every model"
    )
    missed = report.missed()
    lines.append("result: " + ("all targets met" if not missed else "MISSED: " + "; ".join(missed)))
    return "\n".join(lines)
