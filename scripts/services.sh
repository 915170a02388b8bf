#!/usr/bin/env bash
# Make sure the real services the test suite talks to are installed and running on 127.0.0.1:
# PostgreSQL, Redis, RabbitMQ, Mosquitto, InfluxDB, and Debian's FreeCAD (a cross-checking peer, not a service).
# Idempotent: installs with apt only what is missing, starts only what is stopped.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 120); do port_open "$port" && return 0; sleep 0.5; done
  echo "services: $name did not open port $port" >&2; return 1
}

# --- PostgreSQL --------------------------------------------------------------
if ! port_open 5432; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "services: installing PostgreSQL" >&2
    apt_install postgresql
  fi
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_port 5432 PostgreSQL
  # A fresh install asks for passwords over TCP: give postgres the password the tests use.
  as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null || true
fi

# --- Redis -------------------------------------------------------------------
if ! port_open 6379; then
  command -v redis-server >/dev/null || { echo "services: installing Redis" >&2; apt_install redis-server; }
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 6379 Redis
fi

# --- RabbitMQ ----------------------------------------------------------------
if ! port_open 5672; then
  command -v rabbitmq-server >/dev/null || { echo "services: installing RabbitMQ" >&2; apt_install rabbitmq-server; }
  as_root rabbitmq-server -detached || true
  wait_port 5672 RabbitMQ
fi

# --- Mosquitto (edge SDK MQTT uplink tests) ----------------------------------
if ! port_open 1883; then
  command -v mosquitto >/dev/null || { echo "services: installing Mosquitto" >&2; apt_install mosquitto; }
  as_root mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_port 1883 Mosquitto
fi

# --- InfluxDB 1.6 (Debian), the twin's time-series adapter ------------------
if ! port_open 8086; then
  command -v influxd >/dev/null || { echo "services: installing InfluxDB" >&2; apt_install influxdb; }
  as_root mkdir -p /var/lib/influxdb /var/log/influxdb
  as_root chown -R influxdb: /var/lib/influxdb /var/log/influxdb 2>/dev/null || true
  if id influxdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    setsid su -s /bin/sh influxdb -c "influxd -config /etc/influxdb/influxdb.conf >>/var/log/influxdb/ci.log 2>&1" </dev/null &
  else
    sudo setsid influxd -config /etc/influxdb/influxdb.conf >>/tmp/influxd.log 2>&1 </dev/null &
  fi
  wait_port 8086 InfluxDB
fi

# --- FreeCAD 0.20 (Debian), used to cross-check our FCStd and STEP -----------
if [ ! -d /usr/lib/freecad-python3/lib ]; then
  echo "services: installing Debian's freecad-python3 (cross-check peer)" >&2
  apt_install freecad-python3
fi

echo "services: PostgreSQL, Redis, RabbitMQ, Mosquitto, InfluxDB up on 127.0.0.1; FreeCAD $(ls -d /usr/lib/freecad-python3 2>/dev/null && echo present)" >&2
