"""The involute helpers against the curve's defining properties (pure Python)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadml.geometry.generators.involute import (
    bezier_point,
    flank_fit_error,
    flank_spans,
    involute_derivatives,
    involute_function,
    involute_point,
    roll_angle,
)

radii = st.floats(min_value=0.05, max_value=3000.0)
rolls = st.floats(min_value=0.0, max_value=1.6)


@settings(max_examples=50, deadline=None)
@given(rb=radii, t=rolls)
def test_point_radius_and_polar_angle(rb: float, t: float) -> None:
    x, y = involute_point(rb, t)
    radius = math.hypot(x, y)
    assert radius == pytest.approx(rb * math.sqrt(1.0 + t * t), rel=1e-13)
    # The polar angle is inv(alpha_r) with cos(alpha_r) = rb / r.
    alpha_r = math.acos(min(1.0, rb / radius))
    assert math.atan2(y, x) == pytest.approx(involute_function(alpha_r), abs=1e-9)
    assert roll_angle(rb, radius) == pytest.approx(t, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(rb=radii, t=rolls)
def test_normal_is_tangent_to_the_base_circle(rb: float, t: float) -> None:
    # The defining property: the normal at every point touches the base circle, so the
    # distance from the centre to the normal line (= |P . unit tangent|) is rb.
    (px, py), (dx, dy), _ = involute_derivatives(rb, t + 1e-3)
    assert abs(px * dx + py * dy) / math.hypot(dx, dy) == pytest.approx(rb, rel=1e-12)


def test_derivatives_match_finite_differences() -> None:
    rb, t, h = 7.0, 0.8, 1e-5
    _, d1, d2 = involute_derivatives(rb, t)
    ahead, behind = involute_point(rb, t + h), involute_point(rb, t - h)
    centre = involute_point(rb, t)
    for k in range(2):
        assert d1[k] == pytest.approx((ahead[k] - behind[k]) / (2 * h), rel=1e-8)
        second = (ahead[k] - 2 * centre[k] + behind[k]) / (h * h)
        assert d2[k] == pytest.approx(second, rel=1e-4)


def test_swept_area_closed_form_matches_a_dense_polygon() -> None:
    # (1/2) ∮ r² dθ along the involute from t0 to t1 equals rb² (t1³ - t0³) / 6; the
    # fan polygon centre -> points approximates it with O(h²) error.
    rb, t0, t1 = 12.0, 0.2, 1.1
    ts = np.linspace(t0, t1, 200_001)
    xs = rb * (np.cos(ts) + ts * np.sin(ts))
    ys = rb * (np.sin(ts) - ts * np.cos(ts))
    fan = 0.5 * np.sum(xs[:-1] * ys[1:] - xs[1:] * ys[:-1])
    assert fan == pytest.approx(rb * rb * (t1**3 - t0**3) / 6.0, rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    rb=radii,
    t0=st.floats(min_value=0.0, max_value=0.5),
    width=st.floats(min_value=0.05, max_value=1.2),
    tolerance=st.sampled_from([1e-6, 1e-9, 1e-10]),
)
def test_spans_interpolate_exactly_and_stay_within_tolerance(
    rb: float, t0: float, width: float, tolerance: float
) -> None:
    spans = flank_spans(rb, t0, t0 + width, tolerance)
    assert spans[0].t0 == t0 and spans[-1].t1 == t0 + width
    for left, right in itertools.pairwise(spans):
        assert left.t1 == right.t0 and left.poles[-1] == right.poles[0]
    for span in spans:
        assert span.poles[0] == involute_point(rb, span.t0)
        assert bezier_point(span.poles, 1.0) == pytest.approx(involute_point(rb, span.t1))
    # The span count comes from the Hermite bound; the sampled error must respect it,
    # up to the rounding of coordinates of size rb.
    assert flank_fit_error(rb, spans) <= tolerance + 1e-13 * rb


def test_zero_derivative_at_the_base_circle() -> None:
    first = flank_spans(5.0, 0.0, 1.0, 1e-9)[0]
    # P'(0) = 0: the first two poles coincide, as on the true involute's start.
    assert first.poles[0] == first.poles[1] == (5.0, 0.0)


def test_coarse_tolerance_gives_fewer_spans_and_a_larger_error() -> None:
    fine = flank_spans(50.0, 0.0, 1.0, 1e-10)
    coarse = flank_spans(50.0, 0.0, 1.0, 1e-3, min_spans=1)
    assert len(coarse) < len(fine)
    assert flank_fit_error(50.0, coarse) > flank_fit_error(50.0, fine)


@pytest.mark.parametrize(
    ("t0", "t1", "tolerance"), [(0.5, 0.5, 1e-9), (-0.1, 1.0, 1e-9), (0, 1, 0)]
)
def test_bad_ranges_are_refused(t0: float, t1: float, tolerance: float) -> None:
    with pytest.raises(ValueError):
        flank_spans(10.0, t0, t1, tolerance)
