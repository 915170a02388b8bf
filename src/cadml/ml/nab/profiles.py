"""NAB's application profiles: the weights of a true positive, false positive and miss.

The three profiles and their weights are those of NAB's ``config/profiles.json``. The
true-negative weight NAB also lists there is not used by its scorer, so it is left out.

Examples:
    >>> get_profile("reward_low_FN_rate").fn_weight
    2.0
    >>> [p.name for p in select_profiles("all")]
    ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from cadml.errors import ValidationError

__all__ = ["PROFILES", "Profile", "get_profile", "select_profiles"]


@dataclass(frozen=True)
class Profile:
    """A cost matrix for scoring detections.

    Args:
        name: the profile's NAB name.
        tp_weight: reward of the earliest possible detection of a window.
        fp_weight: cost of a false positive far from (or before) any window.
        fn_weight: cost of a window that is never detected.
    """

    name: str
    tp_weight: float
    fp_weight: float
    fn_weight: float


PROFILES: Mapping[str, Profile] = MappingProxyType(
    {
        "standard": Profile("standard", tp_weight=1.0, fp_weight=0.11, fn_weight=1.0),
        "reward_low_FP_rate": Profile(
            "reward_low_FP_rate", tp_weight=1.0, fp_weight=0.22, fn_weight=1.0
        ),
        "reward_low_FN_rate": Profile(
            "reward_low_FN_rate", tp_weight=1.0, fp_weight=0.11, fn_weight=2.0
        ),
    }
)
"""NAB's three profiles by name, in NAB's order."""


def get_profile(name: str) -> Profile:
    """The profile called ``name``.

    Raises:
        ValidationError: ``ML_UNKNOWN_PROFILE`` for an unknown name.
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise ValidationError(
            "ML_UNKNOWN_PROFILE",
            details={"name": name, "allowed": ", ".join([*PROFILES, "all"])},
        ) from None


def select_profiles(name: str) -> tuple[Profile, ...]:
    """One profile by name, or all three for ``"all"``.

    Raises:
        ValidationError: ``ML_UNKNOWN_PROFILE`` for an unknown name.
    """
    if name == "all":
        return tuple(PROFILES.values())
    return (get_profile(name),)
