#!/usr/bin/env bash
# Make sure PostgreSQL and Redis run on 127.0.0.1 with the role and databases tests use.
# Idempotent: safe to run when everything is already up. It checks before it starts, because
# `pg_ctlcluster … start` exits 2 when the cluster already runs (fatal under `set -e`), and a
# second `redis-server --daemonize yes` on a busy port exits 0 but leaves a dead child behind.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

need_install=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_install+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
command -v make >/dev/null 2>&1 || need_install+=(make)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need_install+=(python3-venv)
if [ ${#need_install[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

PGVER=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGVER" ]; then
  PGVER=$(ls /usr/lib/postgresql | sort -V | tail -1)
fi
[ -d "/etc/postgresql/$PGVER/main" ] || pg_createcluster "$PGVER" main
pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect "$PGVER" main start
for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
pg_isready -h 127.0.0.1

su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='app'\"" | grep -q 1 \
  || su postgres -c "psql -q -c \"CREATE ROLE app LOGIN SUPERUSER PASSWORD 'app'\""
for db in app app_test; do
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 \
    || su postgres -c "createdb -O app $db"
done

if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -h 127.0.0.1 ping
