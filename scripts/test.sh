#!/usr/bin/env bash
# The whole test suite: static checks, then every test on SQLite, then the storage-dependent
# tests again on PostgreSQL. `npm test` runs this; so does CI.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-deps.sh

npx tsc -p tsconfig.json --noEmit
npx tsc -p web/console/tsconfig.json --noEmit
npx tsc -p web/console/tsconfig.node.json --noEmit
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check . ; exit 1; }

# The server and the console SPA, as `npm start` serves them (the browser tests load the build).
npm run build

echo "== tests on SQLite"
npx vitest run

echo "== tests on PostgreSQL"
SHOUYIN_TEST_DB=postgres npx vitest run test/smoke.test.ts test/gatepay test/notify test/monitor test/accounts test/payments test/cashier test/orders test/http test/realprice test/db/migrate.test.ts test/console
