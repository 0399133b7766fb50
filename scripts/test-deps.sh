#!/usr/bin/env bash
# Makes sure what the test suite drives is here: Debian's Chromium (browser tests) and a running
# PostgreSQL 15 with a `shouyin` role (the suite runs on SQLite and on PostgreSQL).
# Installs them with apt-get when missing (needs root, as on CI). Set SHOUYIN_TEST_PG_URL to use
# a PostgreSQL of your own instead.
set -euo pipefail

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# A CJK font so the cashier screenshots (test-artifacts/) show Chinese text, not boxes.
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need_apt+=(fonts-wqy-microhei)
if [ -z "${SHOUYIN_TEST_PG_URL:-}" ] && ! command -v pg_ctlcluster >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "The tests need: ${need_apt[*]}. Install them (sudo apt-get install -y ${need_apt[*]}) and run again." >&2
    exit 1
  fi
  echo "Installing ${need_apt[*]} …"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${need_apt[@]}" >/dev/null
fi

if [ -z "${SHOUYIN_TEST_PG_URL:-}" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h | grep -q online; then
    pg_ctlcluster "$version" main start
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 && break
    sleep 0.5
  done
  if ! su postgres -c "psql -tAc \"select 1 from pg_roles where rolname='shouyin'\"" | grep -q 1; then
    su postgres -c "psql -qc \"create role shouyin login superuser password 'shouyin'\""
  fi
fi
