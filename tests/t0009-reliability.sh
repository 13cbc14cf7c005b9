#!/bin/sh
# Reliability: the fuzz corpora replayed, kill -9 during imports,
# overlapping runs, allocation failures, a full disk, valgrind.
#
# The drivers are compiled here with the compiler and flags of this build
# (.build-flags), so that `make SANITIZE=address,undefined check` runs them
# under the sanitizers too.  Long versions: scripts/fuzz,
# scripts/crash-test, scripts/concurrency-test; CRM_OOM_FULL=1 tries every
# allocation below instead of a sample, CRM_VALGRIND=1 runs more under
# valgrind.
. "$(dirname "$0")/lib.sh"

FLAGS=$(cat "$TOP/.build-flags")
LIBS="-lsqlite3 -lpq -lcsv -lutf8proc -lm"

# build OUT SOURCE...: compile and link against libcrm.a, as the Makefile
# builds programs.
build() {
	out=$1
	shift
	# shellcheck disable=SC2086
	(cd "$TOP" && $FLAGS -Ilibcrm -Itests/fuzz -o "$TRASH/$out" "$@" libcrm.a $LIBS)
}

db_ok() {
	test "$(sqlite3 "$1" "PRAGMA integrity_check")" = ok &&
	test -z "$(sqlite3 "$1" "PRAGMA foreign_key_check")"
}

for src in "$TOP"/tests/fuzz/fuzz-*.c; do
	t=$(basename "$src" .c)
	t=${t#fuzz-}
	test_expect_success "fuzz corpus replays clean: $t" '
		build replay-$t tests/fuzz/fuzz-$t.c tests/fuzz/replay.c &&
		./replay-$t "$TOP/tests/fuzz/corpus/$t" 2>err &&
		test_grep "^replay: [1-9][0-9]* inputs" err
	'
done

# Up to 4 kills and 2 rounds in 20 s each: a loaded machine gets through
# fewer, and what it got through must still check out.
test_expect_success 'kill -9 during imports: all or nothing, then exactly the file' '
	"$TOP/scripts/crash-test" -c 1000 -i 3000 -n 4 -t 20 -w "$TRASH/crash" >out 2>&1 ||
		{ cat out; false; } &&
	test_grep "[1-9][0-9]* kills, .* 0 failed checks" out
'

test_expect_success '8 programs at once: all succeed, nothing lost or doubled' '
	"$TOP/scripts/concurrency-test" -c 1000 -i 3000 -r 2 -t 20 -w "$TRASH/conc" >out 2>&1 ||
		{ cat out; false; } &&
	test_grep "[1-9][0-9]* rounds .* 0 failed checks" out
'

# The allocation-failure driver: crm-add with its main renamed.
test_expect_success 'build crm-add with allocation failures injected' '
	(cd "$TOP" && $FLAGS -Dmain=crm_main -Wno-missing-prototypes -c -o "$TRASH/crm-add-main.o" cmd/crm-add.c) &&
	build oom-add -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=reallocarray,--wrap=strdup \
		tests/fuzz/oom.c "$TRASH/crm-add-main.o" &&
	cat >base.csv <<-\EOF &&
	external_id,first_name,last_name,email,phone,country,email_opt_in,tier
	C1,Ann,Lee,ann@example.com,020 7946 0958,GB,yes,gold
	C2,Bob,Ray,bob@example.org,+1 415 555 0134,US,no,
	C3,Cy,Day,cy@example.net,,IE,,silver
	EOF
	cat >update.csv <<-\EOF &&
	external_id,first_name,last_name,email,phone,country,email_opt_in,tier
	C2,Bob,Ray,bob@example.org,+1 415 555 0199,US,no,bronze
	C3,Cy,Day,cy@example.net,,IE,yes,silver
	C4,Di,Fox,di@example.com,,GB,yes,
	C5,Ed,Gee,ed@example.com,+44 20 7946 0000,GB,,gold
	EOF
	rm -f pristine.db* && crm-add -q -d pristine.db base.csv &&
	CRM_OOM_COUNT=1 ./oom-add -q -d pristine.db update.csv 2>count &&
	sed -n "s/^oom: \([0-9]*\) allocations$/\1/p" count >n &&
	test "$(cat n)" -gt 100 &&
	rm -f pristine.db* && crm-add -q -d pristine.db base.csv
'

# oom_try N DB FILE WANT_BEFORE WANT_AFTER: fail allocation N; the run
# succeeds with every row, or fails with a message and changes nothing.
oom_try() {
	rm -f o.db o.db-wal o.db-shm
	[ "$2" = new ] || cp "$2" o.db
	CRM_OOM_FAIL=$1 ./oom-add -q -d o.db "$3" >/dev/null 2>oom.err
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 3 ]; then
		echo "allocation $1: exit $rc" && cat oom.err
		return 1
	fi
	if [ "$rc" -ne 0 ] && ! grep -q "^crm-add: ." oom.err; then
		echo "allocation $1: exit $rc without a message"
		return 1
	fi
	[ -f o.db ] || { [ "$rc" -ne 0 ] && return 0; }
	# One sqlite3: the count is missing when the schema is.
	out=$(sqlite3 o.db "PRAGMA integrity_check; SELECT count(*) FROM contacts" 2>/dev/null)
	ic=$(echo "$out" | sed -n 1p)
	n=$(echo "$out" | sed -n 2p)
	[ "$ic" = ok ] || { echo "allocation $1: integrity_check: $out"; return 1; }
	n=${n:-0}
	if [ "$rc" -eq 0 ] && [ "$n" != "$5" ]; then
		echo "allocation $1: exit 0 with $n contacts, not $5"
		return 1
	fi
	if [ "$rc" -ne 0 ] && [ "$n" != "$4" ]; then
		echo "allocation $1: failed (exit $rc) but left $n contacts, not $4"
		cat oom.err
		return 1
	fi
	return 0
}

# oom_points TOTAL SPREAD: allocations to try, every one with
# CRM_OOM_FULL=1, else the first 20 and about SPREAD over the rest.
oom_points() {
	if [ "${CRM_OOM_FULL:-0}" = 1 ]; then
		seq 1 "$1"
	else
		awk -v t="$1" -v k="$2" 'BEGIN {
			for (i = 1; i <= 20 && i <= t; i++) print i
			step = int((t - 20) / k); if (step < 1) step = 1
			for (i = 21; i <= t; i += step) print i
		}'
	fi
}

test_expect_success 'out of memory in an update: a message, the database intact' '
	for i in $(oom_points $(($(cat n) + 5)) 70); do
		oom_try $i pristine.db update.csv 3 5 || return 1
	done
'

test_expect_success 'out of memory from the Nth allocation on' '
	for i in 1 10 100 $(($(cat n) / 2)) $(($(cat n) - 10)); do
		CRM_OOM_STICKY=1 oom_try $i pristine.db update.csv 3 5 || return 1
	done
'

test_expect_success 'out of memory while creating the database' '
	rm -f new.db* &&
	CRM_OOM_COUNT=1 ./oom-add -q -d new.db base.csv 2>count &&
	total=$(sed -n "s/^oom: \([0-9]*\) allocations$/\1/p" count) &&
	for i in $(oom_points "$total" 40); do
		oom_try $i new base.csv 0 3 || return 1
	done
'

# A file size limit (ulimit -f, SIGXFSZ ignored) stands in for a full disk:
# writes fail with EFBIG, which SQLite reports as an I/O error.
test_expect_success 'a full disk: exit 1 with a message, nothing half-written' '
	"$TOP/scripts/gen-data" --seed 2 --noise 0 contacts 3000 >big.csv &&
	"$TOP/scripts/gen-data" --seed 2 --noise 0 interactions 6000 --contacts 3000 >log.csv &&
	rm -f full.db* && crm-add -q -d full.db base.csv &&
	size=$(($(wc -c <full.db) / 512 + 16)) &&
	(ulimit -f $size && trap "" XFSZ && exec crm-add -q -d full.db big.csv) 2>err;
	test $? = 1 &&
	test_grep "^crm-add: full.db: " err &&
	db_ok full.db &&
	test "$(sqlite3 full.db "SELECT count(*) FROM contacts")" = 3 &&
	crm-add -q -d full.db big.csv &&
	(ulimit -f 512 && trap "" XFSZ && exec crm-log -q -d full.db log.csv) 2>err;
	test $? = 1 &&
	test_grep "^crm-log: full.db: " err &&
	db_ok full.db &&
	test "$(sqlite3 full.db "SELECT count(*) FROM interactions")" = 0 &&
	crm-log -q -d full.db log.csv &&
	test "$(sqlite3 full.db "SELECT count(*) FROM interactions")" = 6000
'

# Valgrind sees what ASan cannot when the build is not instrumented.  It
# is slow: by default only the erasure and the subject export run under
# it; CRM_VALGRIND=1 adds import and export.
if command -v valgrind >/dev/null 2>&1 && ! grep -q -- -fsanitize "$TOP/.build-flags"; then
	test_expect_success 'valgrind: no errors and no leaks' '
		vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect" &&
		rm -f vg.db* &&
		crm-add -q -d vg.db base.csv &&
		printf "external_id,at,channel,kind,amount,ref\nC1,2026-10-01,store,purchase,9.99,O1\n" >l.csv &&
		if [ "${CRM_VALGRIND:-0}" = 1 ]; then
			$vg "$TOP/crm-add" -q -d vg.db update.csv &&
			$vg "$TOP/crm-log" -q -d vg.db l.csv &&
			$vg "$TOP/crm-export" -d vg.db -f json >/dev/null &&
			$vg "$TOP/crm-forget" -d vg.db -l >/dev/null &&
			test_must_fail 3 $vg "$TOP/crm-forget" -q -d vg.db nobody@example.com 2>/dev/null
		else
			crm-log -q -d vg.db l.csv
		fi &&
		$vg "$TOP/crm-export" -d vg.db -s C1 >/dev/null &&
		$vg "$TOP/crm-forget" -q -d vg.db C1
	'
fi

test_done
