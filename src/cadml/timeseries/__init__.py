"""Time-series stores behind one port: embedded SQLite (WAL + rollups), PostgreSQL, InfluxDB.

See :mod:`cadml.timeseries.port` for the contract every store keeps.
"""
