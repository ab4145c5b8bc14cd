#!/usr/bin/env bash
# psql through Oxbow's proxy; see ../README.md for the environment and the output.
set -uo pipefail
export PGPASSWORD="$OXBOW_TOKEN"
base="host=$OXBOW_HOST port=$PGPORT dbname=databricks_postgres user=$OXBOW_USER"
req="$base sslmode=require"
p="$OXBOW_PREFIX"
rows="$OXBOW_ROWS"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
q() { psql "$req" -XAtq -v ON_ERROR_STOP=1 "$@"; }

# runs "$@"; its output is the detail, a non-zero exit a failure
check() {
  local name=$1 out; shift
  if out="$("$@" 2>&1)"; then echo "PASS $name $(echo "$out" | tr '\n' ' ')"; else echo "FAIL $name $(echo "$out" | tr '\n' ' ')"; fi
}
expect() { [ "$1" = "$2" ] && echo "$1" || { echo "expected '$2', got '$1'"; return 1; }; }

connect_require() { expect "$(q -c 'select current_user')" "$OXBOW_USER"; }
connect_verify_full() { expect "$(psql "$base sslmode=verify-full sslrootcert=$OXBOW_CA" -XAtq -c 'select 1')" 1; }
prepared_reused() {
  local args=(-c "prepare twice(int) as select \$1 * 2") i
  for i in 1 2 3 4 5 6; do args+=(-c "execute twice($i)"); done
  expect "$(q "${args[@]}" | awk '{ s += $1 } END { print s }')" 42
}
copy_in() {
  q -c "drop table if exists ${p}rows" -c "create table ${p}rows (i int, t text)" || return 1
  seq 1 "$rows" | awk '{print $1 "\trow " $1}' | q -c "\\copy ${p}rows from pstdin" || return 1
  expect "$(q -c "select count(*) || ' ' || sum(i) from ${p}rows")" "$rows $((rows * (rows + 1) / 2))"
}
copy_out() { expect "$(q -c "\\copy ${p}rows to pstdout" | wc -l)" "$rows"; }
bytea_up() {
  head -c 10485760 /dev/urandom > "$tmp/blob"
  # one 20 MB Query message: the hex literal
  { printf "insert into %sblobs values (1, '\\\\x" "$p"; xxd -p "$tmp/blob" | tr -d '\n'; printf "');\n"; } > "$tmp/insert.sql"
  q -c "drop table if exists ${p}blobs" -c "create table ${p}blobs (id int, b bytea)" && q -f "$tmp/insert.sql" || return 1
  expect "$(q -c "select md5(b) from ${p}blobs where id = 1")" "$(md5sum < "$tmp/blob" | cut -d' ' -f1)"
}
bytea_down() { expect "$(q -c "select b from ${p}blobs where id = 1" | sed 's/^\\x//' | xxd -r -p | md5sum | cut -d' ' -f1)" "$(md5sum < "$tmp/blob" | cut -d' ' -f1)"; }
result_50mb() { expect "$(q -c "select repeat('x', 1023) from generate_series(1, 51200)" | wc -c)" 52428800; }
listen_notify() {
  # psql prints a notification after the command during which it arrived: here from its own session
  local out; out="$(psql "$req" -X -c "listen ${p}chan" -c "notify ${p}chan, 'hello'" 2>&1)"
  grep -q "Asynchronous notification \"${p}chan\" with payload \"hello\"" <<<"$out" && echo "notification received" || { echo "$out"; return 1; }
}
cancel() {
  # SIGINT makes psql send a CancelRequest, as Ctrl-C does
  psql "$req" -XAtq -c "select pg_sleep(60) /* ${p}sleep */" > "$tmp/sleep.out" 2>&1 &
  local pid=$! n=0
  until [ "$(q -c "select count(*) from pg_stat_activity where query like '%/* ${p}sleep */' and wait_event = 'PgSleep'")" = 1 ]; do
    n=$((n + 1)); [ $n -lt 300 ] || { kill $pid; echo "pg_sleep never started"; return 1; }; sleep 0.1
  done
  kill -INT $pid; wait $pid
  grep -q "canceling statement due to user request" "$tmp/sleep.out" && echo "57014 canceling statement due to user request" || { cat "$tmp/sleep.out"; return 1; }
}
after_suspend() { expect "$(q -c 'select 1')" 1; }

if [ "${1:-all}" = after-suspend ]; then
  check after_suspend after_suspend
  exit 0
fi
check connect_require connect_require
check connect_verify_full connect_verify_full
check prepared_reused prepared_reused
check copy_in copy_in
check copy_out copy_out
check bytea_10mb_up bytea_up
check bytea_10mb_down bytea_down
check result_50mb result_50mb
check listen_notify listen_notify
check cancel cancel
