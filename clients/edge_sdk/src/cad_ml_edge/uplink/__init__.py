"""Uplinks to the platform and the retry schedule the forwarder uses with them.

- :mod:`~cad_ml_edge.uplink.base`: the :class:`Uplink` protocol and :class:`SendResult`.
- :mod:`~cad_ml_edge.uplink.http`: :class:`HttpUplink` (standard library only).
- :mod:`~cad_ml_edge.uplink.mqtt`: :class:`MqttUplink` (extra ``[mqtt]``: paho-mqtt is
  imported on first connect, so importing this package never needs it).
- :mod:`~cad_ml_edge.uplink.backoff`: :class:`Backoff`, full jitter with a cap.
"""

from __future__ import annotations

from cad_ml_edge.uplink.backoff import Backoff
from cad_ml_edge.uplink.base import SendResult, Uplink
from cad_ml_edge.uplink.http import HttpUplink
from cad_ml_edge.uplink.mqtt import MqttUplink

__all__ = ["Backoff", "HttpUplink", "MqttUplink", "SendResult", "Uplink"]
