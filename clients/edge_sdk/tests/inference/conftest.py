"""Small real ONNX models built with ``onnx.helper``, and a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32)
B = np.array([0.5, -0.5], dtype=np.float32)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build(nodes, inputs, outputs, initializers=(), check=True) -> bytes:
    """Serialise a one-graph model at opset 17 (IR 8, which every onnxruntime reads)."""
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    return model.SerializeToString()


def tensor(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


class Models:
    """Builders of the test models (bytes of .onnx files)."""

    W = W
    B = B
    sha = staticmethod(sha)

    @staticmethod
    def linear(w=W, b=B, batch="N") -> bytes:
        """``y = x @ w + b``; ``batch`` is the first dim: "N" (dynamic), 1, or None (no dim)."""
        lead = [] if batch is None else [batch]
        return build(
            [
                helper.make_node("MatMul", ["x", "W"], ["xw"]),
                helper.make_node("Add", ["xw", "B"], ["y"]),
            ],
            [tensor("x", F, [*lead, w.shape[0]])],
            [tensor("y", F, [*lead, w.shape[1]])],
            [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
        )

    @staticmethod
    def two_inputs(batch="N") -> bytes:
        """Inputs ``a`` float [batch, 3] and ``k`` int64 [batch, 1]; outputs
        ``y = a * k`` [batch, 3] and ``s = sum(y, axis 1)`` [batch]."""
        axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
        return build(
            [
                helper.make_node("Cast", ["k"], ["kf"], to=F),
                helper.make_node("Mul", ["a", "kf"], ["y"]),
                helper.make_node("ReduceSum", ["y", "axes"], ["s"], keepdims=0),
            ],
            [tensor("a", F, [batch, 3]), tensor("k", TensorProto.INT64, [batch, 1])],
            [tensor("y", F, [batch, 3]), tensor("s", F, [batch])],
            [axes],
        )

    @staticmethod
    def nan() -> bytes:
        """Like :meth:`linear` but adds ``log(-1)``: every output is NaN."""
        neg = numpy_helper.from_array(np.array([-1.0, -1.0], dtype=np.float32), "neg")
        return build(
            [
                helper.make_node("MatMul", ["x", "W"], ["xw"]),
                helper.make_node("Log", ["neg"], ["bad"]),
                helper.make_node("Add", ["xw", "bad"], ["y"]),
            ],
            [tensor("x", F, ["N", 3])],
            [tensor("y", F, ["N", 2])],
            [numpy_helper.from_array(W, "W"), neg],
        )

    @staticmethod
    def nonzero() -> bytes:
        """NonZero declares int64 [2, 5] but yields [2, count]: a shape-check failure."""
        return build(
            [helper.make_node("NonZero", ["x"], ["y"])],
            [tensor("x", F, ["N", 3])],
            [tensor("y", TensorProto.INT64, [2, 5])],
        )

    @staticmethod
    def flatten() -> bytes:
        """Reshape [N, 3] to [-1]: the output's first dim is dynamic but not the batch."""
        shape = numpy_helper.from_array(np.array([-1], dtype=np.int64), "shape")
        return build(
            [helper.make_node("Reshape", ["x", "shape"], ["y"])],
            [tensor("x", F, ["N", 3])],
            [tensor("y", F, [None])],
            [shape],
        )

    @staticmethod
    def free_inner() -> bytes:
        """x [N, M] @ W (3 x 2): M is free in the schema but must be 3 at run time."""
        return build(
            [helper.make_node("MatMul", ["x", "W"], ["y"])],
            [tensor("x", F, ["N", "M"])],
            [tensor("y", F, ["N", 2])],
            [numpy_helper.from_array(W, "W")],
        )

    @staticmethod
    def sequence_out() -> bytes:
        """x float [3] (no batch dim) → y = a sequence holding x."""
        return build(
            [helper.make_node("SequenceConstruct", ["x"], ["y"])],
            [tensor("x", F, [3])],
            [helper.make_tensor_sequence_value_info("y", F, [3])],
        )

    @staticmethod
    def sequence_in() -> bytes:
        """A sequence input (unsupported) → its length."""
        return build(
            [helper.make_node("SequenceLength", ["x"], ["n"])],
            [helper.make_tensor_sequence_value_info("x", F, None)],
            [tensor("n", TensorProto.INT64, [])],
        )

    @staticmethod
    def strings() -> bytes:
        """Identity on a 1-D string tensor."""
        return build(
            [helper.make_node("Identity", ["x"], ["y"])],
            [tensor("x", TensorProto.STRING, ["N"])],
            [tensor("y", TensorProto.STRING, ["N"])],
        )

    @staticmethod
    def unshaped() -> bytes:
        """Identity on a float tensor that declares no shape."""
        return build(
            [helper.make_node("Identity", ["x"], ["y"])],
            [tensor("x", F, None)],
            [tensor("y", F, None)],
            check=False,  # the checker wants a shape; onnxruntime does not
        )

    @staticmethod
    def no_inputs() -> bytes:
        """A constant: no inputs at all."""
        value = numpy_helper.from_array(np.array([1.0], dtype=np.float32), "c")
        return build(
            [helper.make_node("Constant", [], ["y"], value=value)], [], [tensor("y", F, [1])]
        )

    @staticmethod
    def big(megabytes: int, scale: float = 1.0) -> bytes:
        """A linear model with a large unused-looking weight, for crash tests."""
        n = megabytes * 1024 * 1024 // 4 // 2
        wide = np.full((2, n), scale, dtype=np.float32)
        return build(
            [
                helper.make_node("MatMul", ["x", "W"], ["wide"]),
                helper.make_node("ReduceMax", ["wide"], ["y"], keepdims=1),
            ],
            [tensor("x", F, ["N", 2])],
            [tensor("y", F, ["N", 1])],
            [numpy_helper.from_array(wide, "W")],
        )


@pytest.fixture(scope="session")
def models() -> type[Models]:
    return Models


@pytest.fixture
def model_file(tmp_path):
    """Write model bytes to a file and return its path."""

    def write(data: bytes, name: str = "m.onnx"):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@dataclass
class Route:
    body: bytes
    status: int = 200
    mode: str = "ok"  # ok | truncate | nolength | stall | chunked-cut | redirect
    location: str = ""


@dataclass
class Server:
    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def serve(self, path: str, body: bytes = b"", **kwargs) -> None:
        """Answer ``GET path`` (with its query) as described by :class:`Route`."""
        self.routes[path] = Route(body, **kwargs)


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        state = self.server.state
        state.requests.append((self.path, dict(self.headers)))
        route = state.routes.get(self.path)
        if route is None:
            self.send_error(404, "no such model")
            return
        if route.mode == "redirect":
            self.send_response(route.status)
            self.send_header("Location", route.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if route.mode == "chunked-cut":
            self.protocol_version = "HTTP/1.1"
            self.send_response(route.status)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            half = route.body[: len(route.body) // 2]
            self.wfile.write(f"{len(route.body):x}\r\n".encode() + half)
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_response(route.status)
        if route.mode != "nolength":
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if route.mode == "truncate":
            self.wfile.write(route.body[: len(route.body) // 2])
        elif route.mode == "stall":
            self.wfile.write(route.body[:10])
            self.wfile.flush()
            time.sleep(1.5)
        else:
            self.wfile.write(route.body)
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def model_server():
    """A real HTTP server on 127.0.0.1 serving ``routes`` (path with query → Route)."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    state = Server(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.state = state
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
