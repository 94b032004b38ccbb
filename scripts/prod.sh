#!/usr/bin/env bash
# The production stack on one machine: `make prod` (= scripts/prod.sh start).
#   scripts/prod.sh env      print the environment the processes get (KEY=value lines)
#   scripts/prod.sh prepare  start PostgreSQL and Redis if down, create the database, migrate,
#                            collectstatic (hashed names + manifest), TLS certificate, nginx.conf
#   scripts/prod.sh start    prepare, then run config/deploy/Procfile with honcho: gunicorn,
#                            a Celery worker, Celery beat and nginx (TLS on CHC_HTTPS_PORT)
# Every variable below can be set beforehand; a real server sets them in its unit files instead.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
VENV_BIN=$(dirname "$PY")

export CHC_VAR=${CHC_VAR:-$ROOT/var}
mkdir -p "$CHC_VAR"
if [[ -z "${DJANGO_SECRET_KEY:-}" ]]; then
  [[ -s "$CHC_VAR/secret_key" ]] || (umask 077 && "$PY" -c "import secrets; print(secrets.token_urlsafe(50))" >"$CHC_VAR/secret_key")
  DJANGO_SECRET_KEY=$(cat "$CHC_VAR/secret_key")
fi
export DJANGO_SECRET_KEY
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.production}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/chc}
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}
# One cache for every process (sessions are read from it): Redis's database 1.
export DJANGO_CACHE_URL=${DJANGO_CACHE_URL:-redis://127.0.0.1:6379/1}
export CHC_HTTP_PORT=${CHC_HTTP_PORT:-8080}
export CHC_HTTPS_PORT=${CHC_HTTPS_PORT:-8443}
export CHC_WEB_PORT=${CHC_WEB_PORT:-8001}
export CHC_WEB_SERVERS=${CHC_WEB_SERVERS:-1}
export DJANGO_ALLOWED_HOSTS=${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}
export CHC_SITE_URL=${CHC_SITE_URL:-https://127.0.0.1:$CHC_HTTPS_PORT}
export DJANGO_MEDIA_ROOT=${DJANGO_MEDIA_ROOT:-$CHC_VAR/media}
# No mail server on a single machine: mails are written to files (a server sets SMTP).
export DJANGO_EMAIL_BACKEND=${DJANGO_EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend}
export DJANGO_EMAIL_FILE_PATH=${DJANGO_EMAIL_FILE_PATH:-$CHC_VAR/mail}
# A self-signed certificate must not pin HSTS in the browser.
export DJANGO_SECURE_HSTS_SECONDS=${DJANGO_SECURE_HSTS_SECONDS:-0}
export CHC_NGINX_DIR=${CHC_NGINX_DIR:-$CHC_VAR/nginx}
export CHC_TLS_CERT=${CHC_TLS_CERT:-$CHC_VAR/tls/cert.pem}
export CHC_TLS_KEY=${CHC_TLS_KEY:-$CHC_VAR/tls/key.pem}
export PATH="$VENV_BIN:$PATH"

services() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
  fi
}

database() {
  local name=${DATABASE_URL##*/}
  name=${name%%\?*}
  local server=${DATABASE_URL%/*}/postgres
  if ! psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1; then
    psql "$server" -qc "CREATE DATABASE \"$name\""
  fi
}

certificate() {
  [[ -s "$CHC_TLS_CERT" ]] && return
  mkdir -p "$(dirname "$CHC_TLS_CERT")"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$CHC_TLS_KEY" -out "$CHC_TLS_CERT" 2>/dev/null
}

nginx_conf() {
  mkdir -p "$CHC_NGINX_DIR"
  local upstreams="" i
  for ((i = 0; i < CHC_WEB_SERVERS; i++)); do
    upstreams+="server 127.0.0.1:$((CHC_WEB_PORT + i)) max_fails=1 fail_timeout=2s; "
  done
  export CHC_UPSTREAMS=$upstreams
  envsubst '${CHC_NGINX_DIR} ${CHC_UPSTREAMS} ${CHC_HTTP_PORT} ${CHC_HTTPS_PORT} ${CHC_TLS_CERT} ${CHC_TLS_KEY}' \
    <config/deploy/nginx.conf.template >"$CHC_NGINX_DIR/nginx.conf"
}

prepare() {
  services
  database
  "$PY" manage.py migrate --noinput -v0
  "$PY" manage.py collectstatic --noinput -v0
  "$PY" manage.py check --deploy --fail-level ERROR
  if [[ "${CHC_DEMO:-1}" == 1 ]]; then "$PY" manage.py load_demo --force >/dev/null; fi
  certificate
  nginx_conf
  mkdir -p "$DJANGO_MEDIA_ROOT" "$DJANGO_EMAIL_FILE_PATH"
}

case "${1:-start}" in
  env) env | grep -E '^(DJANGO_|DATABASE_URL|CELERY_|CHC_|PATH=)' | sort ;;
  prepare) prepare ;;
  start)
    prepare
    echo "chc: https://127.0.0.1:$CHC_HTTPS_PORT/ (self-signed certificate; Ctrl-C stops everything)"
    exec honcho -f config/deploy/Procfile -d "$ROOT" start -p "$CHC_WEB_PORT" \
      -c "web=$CHC_WEB_SERVERS,worker=${CHC_WORKERS:-1},beat=1,proxy=1"
    ;;
  *) echo "usage: $0 [env|prepare|start]" >&2; exit 2 ;;
esac
