#!/usr/bin/env bash
# The whole test suite on a fresh machine (Debian/Ubuntu, root for system packages).
# PostgreSQL: MISSION_TEST_WAREHOUSE_URL when set, else an embedded server.
# RabbitMQ (Celery tests): MISSION_TEST_CELERY_BROKER when set, else a local rabbitmq-server (installed and started here).
# Chromium (browser test): Debian's package, installed when missing.
set -euo pipefail
. "$(dirname "$0")/bootstrap.sh" test

apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "need root to install $*: run as root or install them first" >&2; exit 1; fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v chromium >/dev/null 2>&1 || apt_install chromium chromium-driver
command -v chromedriver >/dev/null 2>&1 || apt_install chromium-driver

if [ -z "${MISSION_TEST_CELERY_BROKER:-}" ]; then
  command -v rabbitmq-server >/dev/null 2>&1 || apt_install rabbitmq-server
  if ! (echo > /dev/tcp/127.0.0.1/5672) 2>/dev/null; then
    echo "starting RabbitMQ"
    rabbitmq-server -detached
    for _ in $(seq 60); do (echo > /dev/tcp/127.0.0.1/5672) 2>/dev/null && break; sleep 1; done
  fi
  export MISSION_TEST_CELERY_BROKER="amqp://guest:guest@127.0.0.1:5672//"
fi

exec python -m pytest "$@"
