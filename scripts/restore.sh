#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh:  scripts/restore.sh [--force] DUMP MEDIA_TAR
#   Loads DUMP into the database of DATABASE_URL (created when missing) and unpacks MEDIA_TAR into
#   DJANGO_MEDIA_ROOT (default $CHC_VAR/media, as in scripts/prod.sh); with CHC_MEDIA_STORAGE=s3
#   there is no MEDIA_TAR (the bucket has its own backups). Then `manage.py migrate` (a no-op for a
#   backup of this version) and `manage.py check`.
#   Refuses a database with tables, or a media folder with files, unless --force: then whatever
#   the dump holds is dropped and loaded again, and the archive's files are written over.
# Run it with the app's environment (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, CHC_SITE_URL, …); the settings
# module defaults to production, as in scripts/prod.sh.
set -euo pipefail
force=0 args=()
for arg in "$@"; do
  if [[ "$arg" == --force ]]; then force=1; else args+=("$(realpath -- "$arg")"); fi
done
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
: "${DATABASE_URL:?DATABASE_URL must name the database to restore into}"
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-config.settings.production}
export DJANGO_MEDIA_ROOT=${DJANGO_MEDIA_ROOT:-${CHC_VAR:-$ROOT/var}/media}
s3=0
[[ "${CHC_MEDIA_STORAGE:-local}" != s3 ]] || s3=1
if (( ${#args[@]} != 2 - s3 )); then
  echo "usage: $0 [--force] DUMP MEDIA_TAR   (only DUMP with CHC_MEDIA_STORAGE=s3)" >&2
  exit 2
fi
dump=${args[0]} media=${args[1]:-}
for f in "${args[@]}"; do [[ -f "$f" ]] || { echo "restore: no file $f" >&2; exit 2; }; done

# The manifest written beside the dump, when there is one, must match the files.
manifest=${dump%.dump}.sha256
if [[ -f "$manifest" ]]; then
  (cd "$(dirname "$manifest")" && sha256sum --check --quiet --ignore-missing "$(basename "$manifest")")
fi

# Create the database if missing; refuse one that has tables unless --force.
name=${DATABASE_URL##*/}
name=${name%%\?*}
server=${DATABASE_URL%/*}/postgres
if ! psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1; then
  psql "$server" -qc "CREATE DATABASE \"$name\""
fi
tables=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
clean=()
if (( tables > 0 )); then
  (( force )) || { echo "restore: $name has $tables tables; --force replaces them" >&2; exit 1; }
  clean=(--clean --if-exists)
fi
if [[ -n "$media" && -n "$(ls -A "$DJANGO_MEDIA_ROOT" 2>/dev/null)" ]] && (( !force )); then
  echo "restore: $DJANGO_MEDIA_ROOT is not empty; --force writes over it" >&2
  exit 1
fi

# One transaction: a restore that fails leaves the database as it was.
pg_restore --no-owner --exit-on-error --single-transaction "${clean[@]}" \
  --dbname="$DATABASE_URL" "$dump"
if (( s3 )); then
  echo "restore: media are in the object store; restore the bucket from its versions or replica."
else
  mkdir -p "$DJANGO_MEDIA_ROOT"
  tar -xzf "$media" -C "$DJANGO_MEDIA_ROOT"
fi

"$PY" manage.py migrate --noinput
"$PY" manage.py check
echo "restore: $dump into $name${media:+, $media into $DJANGO_MEDIA_ROOT}"
