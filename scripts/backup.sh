#!/usr/bin/env bash
# Back up the database and the media store:  scripts/backup.sh [DIR]
#   DIR defaults to ${CHC_VAR:-var}/backups. Writes, with one UTC timestamp:
#     chc-<stamp>.dump          pg_dump --format=custom of DATABASE_URL (required)
#     chc-<stamp>-media.tar.gz  DJANGO_MEDIA_ROOT (default $CHC_VAR/media, as in scripts/prod.sh)
#     chc-<stamp>.sha256        the manifest: `sha256sum -c chc-<stamp>.sha256` in DIR checks the set
# Run it with the app's environment (a server's unit-file variables, or `scripts/prod.sh env`).
# Restore with scripts/restore.sh; the restore drill (bench/drills/test_restore.py) runs both.
set -euo pipefail
out=${1:+$(realpath -m -- "$1")}  # DIR as given, relative to where the script was started
cd "$(dirname "$0")/.."
ROOT=$PWD
: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
CHC_VAR=${CHC_VAR:-$ROOT/var}
MEDIA_ROOT=${DJANGO_MEDIA_ROOT:-$CHC_VAR/media}

dir=${out:-$CHC_VAR/backups}
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump=$dir/chc-$stamp.dump
media=$dir/chc-$stamp-media.tar.gz
manifest=$dir/chc-$stamp.sha256
[[ ! -e "$dump" ]] || { echo "backup: $dump exists already" >&2; exit 1; }

# A failed run leaves no partial set behind that could be mistaken for a backup.
complete=0
trap '[[ $complete == 1 ]] || rm -f -- "$dump" "$media" "$manifest"' EXIT

# The database first, then the files: a PDF made in between is an orphan file in the archive
# (harmless), never a row pointing to a file the archive lacks.
pg_dump --format=custom --no-owner --file="$dump" "$DATABASE_URL"
files=("$(basename "$dump")")

if [[ "${CHC_MEDIA_STORAGE:-local}" == s3 ]]; then
  echo "backup: media are in the object store (bucket ${CHC_S3_BUCKET:-?}); back them up with" \
    "its own versioning/replication or 'aws s3 sync', not here."
else
  [[ -d "$MEDIA_ROOT" ]] || { echo "backup: no media folder $MEDIA_ROOT" >&2; exit 1; }
  tar -czf "$media" -C "$MEDIA_ROOT" .
  files+=("$(basename "$media")")
fi

(cd "$dir" && sha256sum -- "${files[@]}") >"$manifest"
complete=1
for f in "${files[@]}"; do echo "backup: $dir/$f ($(stat -c %s "$dir/$f") bytes)"; done
echo "backup: $manifest"
