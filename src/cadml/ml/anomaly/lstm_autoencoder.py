"""An LSTM autoencoder over telemetry windows (torch, imported only when it is used).

The model reads a window of ``W`` consecutive rows ``(W, d)``, standardised with the
training mean and standard deviation, encodes it with an LSTM into its last hidden state
(``hidden`` numbers: the bottleneck), repeats that code ``W`` times, decodes it with a
second LSTM and a linear layer back to ``(W, d)``. It learns to rebuild normal windows;
a window it rebuilds badly is unusual.

**Score.** The reconstruction error of a window is the mean squared error of its **last
row** (over the fields, in standard units), so the score of row ``i`` describes the
window that ends at ``i`` and reacts at the row where something happens, not ``W``
rows early. It is mapped to ``[0, 1]`` as ``e / (e + c)`` with ``c`` the 99th
percentile of the training errors (0.5 there); the threshold is then calibrated like
every detector's (:mod:`~cadml.ml.anomaly.calibration`). Rows ``0 .. W-2`` of a matrix
score 0. The exported ONNX graph is this whole computation: raw windows ``(N, W, d)``
in, scores ``(N,)`` out (:mod:`~cadml.ml.anomaly.onnx_export`).

**Training** is kept to seconds on the CPU: at most ``max_train_windows`` windows spread
evenly over the history, ``epochs`` passes of Adam in mini-batches, ``threads`` torch
threads (restored afterwards), and a fixed seed with torch's global random state left
as it was. Scoring leaves torch's thread count alone (it is process-wide; a live
monitor scores through onnxruntime once the detector is exported). State:
:meth:`~LstmAutoencoderDetector.to_dict` (JSON: options and calibration) plus
:meth:`~LstmAutoencoderDetector.weights` (numpy arrays, stored by the service as
``.npz``, never pickled).

Examples:
    >>> import numpy as np
    >>> t = np.arange(400.0)
    >>> X = np.column_stack([np.sin(t / 5), np.cos(t / 5)])
    >>> ae = LstmAutoencoderDetector(window=8, hidden=8, epochs=3).fit(X)
    >>> ae.score(X).shape, float(ae.score(X)[:7].max())     # first W-1 rows score 0
    ((400,), 0.0)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from cadml.errors import ConfigurationError, ValidationError
from cadml.ml.anomaly.base import BaseDetector, check_option
from cadml.ml.anomaly.windows import pad_window_scores, sliding_windows, spread_indices

__all__ = ["ERROR_SCALE_QUANTILE", "LstmAutoencoderDetector", "build_autoencoder"]

ERROR_SCALE_QUANTILE = 0.99
"""The training-error quantile ``c`` at which the score is 0.5."""

_STATE_VERSION = 1
_SCORE_BATCH = 4096


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ConfigurationError(
            "ML_DEPENDENCY_MISSING",
            details={"feature": "The LSTM autoencoder", "requirement": "torch==2.13.0"},
        ) from None
    return torch


def build_autoencoder(fields: int, window: int, hidden: int) -> Any:
    """A fresh (untrained) autoencoder module: raw windows ``(N, W, d)`` -> scores ``(N,)``.

    The module holds the standardisation (``mean``, ``std``) and the error scale ``c`` as
    buffers, so its forward pass is the whole score and exports as one graph.
    """
    torch = _torch()
    nn = torch.nn

    class Autoencoder(nn.Module):  # type: ignore[misc, name-defined]
        """LSTM encoder -> repeated code -> LSTM decoder -> linear (see the module doc)."""

        def __init__(self) -> None:
            super().__init__()
            self.window = window
            self.encoder = nn.LSTM(fields, hidden, batch_first=True)
            self.decoder = nn.LSTM(hidden, hidden, batch_first=True)
            self.output = nn.Linear(hidden, fields)
            self.register_buffer("mean", torch.zeros(fields))
            self.register_buffer("std", torch.ones(fields))
            self.register_buffer("scale", torch.ones(()))

        def reconstruct(self, z: Any) -> Any:
            """Rebuild standardised windows ``(N, W, d)``."""
            _, (state, _) = self.encoder(z)
            code = state[-1].unsqueeze(1).repeat(1, self.window, 1)
            decoded, _ = self.decoder(code)
            return self.output(decoded)

        def errors(self, windows: Any) -> Any:
            """Mean squared error of each window's last row, standard units, ``(N,)``."""
            z = (windows - self.mean) / self.std
            rebuilt = self.reconstruct(z)
            return ((rebuilt[:, -1, :] - z[:, -1, :]) ** 2).mean(dim=1)

        def forward(self, windows: Any) -> Any:
            """Scores ``e / (e + c)`` of raw windows ``(N, W, d)``, shape ``(N,)``."""
            error = self.errors(windows)
            return error / (error + self.scale)

    return Autoencoder()


@contextlib.contextmanager
def _torch_threads(torch: Any, threads: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class LstmAutoencoderDetector(BaseDetector):
    """LSTM autoencoder over windows of ``window`` rows; scores the last row's error.

    Args:
        sensitivity: percent of training windows allowed above the threshold.
        window: rows per window ``W`` (at least 2).
        hidden: LSTM width (the code has this many numbers).
        epochs: passes over the training windows.
        batch_size: windows per optimiser step.
        learning_rate: Adam's step size.
        max_train_windows: most windows trained on (spread evenly over the history).
        seed: seeds the initial weights and the batch order.
        threads: torch threads while fitting (restored afterwards).

    Raises:
        ValidationError: ``ML_ANOMALY_INVALID_OPTION`` for an option out of range.
    """

    kind: ClassVar[str] = "lstm_autoencoder"

    def __init__(
        self,
        sensitivity: float | None = None,
        window: int = 16,
        hidden: int = 16,
        epochs: int = 8,
        batch_size: int = 64,
        learning_rate: float = 0.01,
        max_train_windows: int = 2048,
        seed: int = 0,
        threads: int = 1,
    ) -> None:
        super().__init__(sensitivity)
        check_option("window", window, 2 <= window <= 512, "2 to 512 rows")
        check_option("hidden", hidden, 1 <= hidden <= 512, "1 to 512 units")
        check_option("epochs", epochs, 1 <= epochs <= 1000, "1 to 1000 epochs")
        check_option("batch_size", batch_size, batch_size >= 1, "at least 1 window")
        check_option("learning_rate", learning_rate, 0 < learning_rate < 1, "in (0, 1)")
        check_option("max_train_windows", max_train_windows, max_train_windows >= 50, "at least 50")
        check_option("threads", threads, 1 <= threads <= 64, "1 to 64 threads")
        self.window = int(window)
        self.hidden = int(hidden)
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.learning_rate = float(learning_rate)
        self.max_train_windows = int(max_train_windows)
        self.seed = int(seed)
        self.threads = int(threads)
        self.model: Any = None
        self.losses: list[float] = []

    def params(self) -> dict[str, Any]:
        """The options the detector was built with (JSON-ready)."""
        return {
            "window": self.window,
            "hidden": self.hidden,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "max_train_windows": self.max_train_windows,
            "seed": self.seed,
            "threads": self.threads,
        }

    # -- fitting --------------------------------------------------------------------------

    def _fit(self, X: np.ndarray) -> None:
        torch = _torch()
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        std[std == 0.0] = 1.0  # a constant field: any move is measured in raw units
        windows = sliding_windows(X, self.window)
        chosen = windows[spread_indices(windows.shape[0], self.max_train_windows)]
        with _torch_threads(torch, self.threads), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model = build_autoencoder(X.shape[1], self.window, self.hidden)
            model.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
            model.std.copy_(torch.as_tensor(std, dtype=torch.float32))
            data = (torch.from_numpy(np.array(chosen, dtype=np.float32)) - model.mean) / model.std
            self.losses = self._train(torch, model, data)
            model.eval()
            with torch.no_grad():
                errors = torch.cat(
                    [
                        model.errors(torch.from_numpy(np.array(part, dtype=np.float32)))
                        for part in np.array_split(windows, max(1, -(-len(windows) // 4096)))
                    ]
                )
                scale = torch.quantile(errors.double(), ERROR_SCALE_QUANTILE).float()
                model.scale.copy_(torch.clamp(scale, min=1e-12))
        self.model = model

    def _train(self, torch: Any, model: Any, data: Any) -> list[float]:
        model.train()
        optimiser = torch.optim.Adam(model.parameters(), lr=self.learning_rate)
        generator = torch.Generator().manual_seed(self.seed)
        losses = []
        for _ in range(self.epochs):
            order = torch.randperm(data.shape[0], generator=generator)
            total = 0.0
            for start in range(0, data.shape[0], self.batch_size):
                batch = data[order[start : start + self.batch_size]]
                optimiser.zero_grad()
                loss = torch.nn.functional.mse_loss(model.reconstruct(batch), batch)
                loss.backward()
                optimiser.step()
                total += float(loss.item()) * batch.shape[0]
            losses.append(total / data.shape[0])
        return losses

    # -- scoring --------------------------------------------------------------------------

    def _score(self, X: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise ValidationError("ML_ANOMALY_NOT_FITTED", details={"detector": self.kind})
        torch = _torch()
        windows = sliding_windows(X, self.window)
        if windows.shape[0] == 0:
            return np.zeros(X.shape[0])
        parts = []
        # No thread setting here: torch's thread count is process-wide, and scoring runs on
        # whatever thread calls it (the ingest writer, for a live monitor).
        with torch.no_grad():
            for start in range(0, windows.shape[0], _SCORE_BATCH):
                chunk = np.array(windows[start : start + _SCORE_BATCH], dtype=np.float32)
                parts.append(self.model(torch.from_numpy(chunk)).numpy())
        return pad_window_scores(np.concatenate(parts).astype(np.float64), self.window)

    # -- state ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Options and calibration as JSON-ready data (the weights are :meth:`weights`)."""
        self._require_fitted()
        return {
            **self._base_state(),
            "version": _STATE_VERSION,
            "params": self.params(),
            "losses": list(self.losses),
        }

    def weights(self) -> dict[str, np.ndarray]:
        """The model's tensors (buffers included) as numpy arrays, by name."""
        self._require_fitted()
        return {k: v.detach().cpu().numpy() for k, v in self.model.state_dict().items()}

    @classmethod
    def from_dict(
        cls, state: dict[str, Any], weights: dict[str, np.ndarray]
    ) -> LstmAutoencoderDetector:
        """A fitted detector from :meth:`to_dict`'s data and :meth:`weights`.

        Raises:
            ValidationError: ``ML_ANOMALY_STATE_INVALID`` when they do not fit together.
        """
        if (
            not isinstance(state, dict)
            or state.get("kind") != cls.kind
            or state.get("version") != _STATE_VERSION
            or not isinstance(state.get("params"), dict)
        ):
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": cls.kind, "reason": "not a version-1 autoencoder state"},
            )
        try:
            detector = cls(**state["params"])
        except (TypeError, ValidationError) as exc:
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID", details={"detector": cls.kind, "reason": str(exc)}
            ) from None
        detector._load_base_state(state)
        detector.losses = [float(x) for x in state.get("losses", [])]
        torch = _torch()
        model = build_autoencoder(detector.n_features, detector.window, detector.hidden)
        try:
            model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
        except (RuntimeError, KeyError, TypeError) as exc:
            raise ValidationError(
                "ML_ANOMALY_STATE_INVALID",
                details={"detector": cls.kind, "reason": str(exc)[:300]},
            ) from None
        model.eval()
        detector.model = model
        return detector
