#!/usr/bin/env bash
# Install (Debian package) and start a local PostgreSQL, create a throw-away test
# database, then run the given command with QUALCODE_TEST_DATABASE_URL set.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  su postgres -c "psql -qAtc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qc \"DROP DATABASE IF EXISTS qualcode_test\""
su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='qualcode') THEN CREATE ROLE qualcode LOGIN PASSWORD 'qualcode'; END IF; END \\\$\\\$\""
su postgres -c "createdb -O qualcode qualcode_test"
export QUALCODE_TEST_DATABASE_URL="postgresql://qualcode:qualcode@localhost/qualcode_test"
echo "PostgreSQL $version at $QUALCODE_TEST_DATABASE_URL"
"$@"
