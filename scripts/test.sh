#!/usr/bin/env bash
# The whole test suite, as the README documents it (`npm test`). On a fresh Debian machine it
# first makes sure the servers the tests talk to are there: MariaDB and PostgreSQL are
# started if stopped; slapd (and later Dovecot/Postfix) are installed from Debian's packages
# by their test harnesses when missing. The behavioural API suite runs once per backend.
set -euo pipefail
cd "$(dirname "$0")/.."

export LOG_LEVEL="${LOG_LEVEL:-silent}"
BACKENDS="${TEST_BACKENDS:-embedded mysql pgsql mysql-genuine pgsql-genuine ldap}"
# The real mail stack (Dovecot logs in, Postfix resolves) on each account backend.
INTEROP_BACKENDS="${INTEROP_BACKENDS:-mysql pgsql ldap}"

npm run --silent build:validators
npx tsc -p tsconfig.json
node --import tsx scripts/ensure-test-services.ts

# One wrapper per (backend, suite file): node's runner then runs everything in one pass and
# closes with one summary, while each file still gets its own process and backend.
matrix=".build/test-matrix"
rm -rf "$matrix" && mkdir -p "$matrix"
wrap() { # backend, suite file
  printf "process.env.TEST_BACKEND = '%s';\nrequire('../../%s');\n" "$1" "$2" > "$matrix/$1--$(basename "$2" .test.ts).test.ts"
}
for backend in $BACKENDS; do
  for suite in test/integration/api/*.test.ts; do
    wrap "$backend" "$suite"
  done
done
for backend in $INTEROP_BACKENDS; do
  for suite in test/interop/*.test.ts; do
    [ -e "$suite" ] && wrap "$backend" "$suite"
  done
done

exec node --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" \
  test/unit/*.test.ts test/integration/*.test.ts "$matrix"/*.test.ts
