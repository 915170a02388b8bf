"""The digital twin's domain: telemetry frames and codecs, devices, state and the ingest pipeline.

No I/O framework lives here: stores are in :mod:`cadml.timeseries`, the MQTT transport in
:mod:`cadml.mqtt`, the HTTP and WebSocket routes in :mod:`cadml.api.routes.twin`.
"""
