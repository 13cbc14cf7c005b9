# tests/lib.sh - a small TAP test library for the crm test scripts.
#
# Each script sources this, then calls test_expect_success with a
# description and a shell snippet (run with `set -e` semantics by chaining
# with &&), and ends with test_done.  Each script runs in its own scratch
# directory tests/trash.NAME with its own CRM_DB, and with the binaries of
# this checkout first on PATH.
#
#	test_expect_success 'what it checks' '
#		crm-add in.csv &&
#		crm-export >out &&
#		test_cmp expect out
#	'

TOP=$(cd "$(dirname "$0")/.." && pwd)
PATH=$TOP:$PATH
TEST_NAME=$(basename "$0" .sh)
TRASH=$TOP/tests/trash.$TEST_NAME
DATA=$TOP/tests/data
rm -rf "$TRASH"
mkdir -p "$TRASH"
cd "$TRASH" || exit 1

CRM_DB=$TRASH/crm.db
CRM_NOW=2026-11-01T12:00:00Z
LC_ALL=C
TZ=UTC
export CRM_DB CRM_NOW LC_ALL TZ PATH
unset CRM_REGION CRM_BUSY_TIMEOUT CRM_PROFILES

# With CRM_TEST_PGHOST (make check-pg; scripts/pg-server started the
# server there), the scratch database is a PostgreSQL database of the
# test's own, and sql() asks it through psql.
if [ -n "${CRM_TEST_PGHOST:-}" ]; then
	PGHOST=$CRM_TEST_PGHOST
	PGUSER=crm
	export PGHOST PGUSER
	PGDB=crm_$(printf %s "$TEST_NAME" | tr -c 'a-z0-9' _)
	dropdb --if-exists "$PGDB" 2>/dev/null && createdb "$PGDB" || exit 1
	CRM_DB=postgresql:///$PGDB
fi

test_count=0
test_failed=0

# test_pg_server: set PGDIR to a PostgreSQL server's socket directory for
# a script that compares both engines itself (t0022): make check's
# (CRM_PG_SERVER), check-pg's (CRM_TEST_PGHOST), or one of its own,
# stopped at exit.  Fails, with the reason in pg-start.err, when none
# starts here.
test_pg_server() {
	if [ -n "${CRM_TEST_PGHOST:-}" ]; then
		PGDIR=$CRM_TEST_PGHOST
	elif [ -n "${CRM_PG_SERVER:-}" ]; then
		PGDIR=$CRM_PG_SERVER
	elif PGDIR=$("$TOP/scripts/pg-server" start 2>pg-start.err); then
		trap '"$TOP/scripts/pg-server" stop "$PGDIR"' EXIT
	else
		return 1
	fi
}

# test_expect_success DESCRIPTION SCRIPT
test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TRASH/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out"
	fi
}

# test_skip DESCRIPTION REASON: a test that cannot run here, said so.
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count # skip $1: $2"
}

# test_expect_sqlite DESCRIPTION SCRIPT: a test of what only SQLite has (a
# file's mode, its journal, the sqlite3 shell on the file); under make
# check-pg it is skipped, and says so.
test_expect_sqlite() {
	if [ -n "${CRM_TEST_PGHOST:-}" ]; then
		test_skip "$1" 'SQLite only'
	else
		test_expect_success "$1" "$2"
	fi
}

# test_must_fail STATUS COMMAND...: COMMAND must exit with STATUS.
test_must_fail() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "expected exit status $want, got $got: $*" >&2
		return 1
	fi
	return 0
}

# test_cmp EXPECTED ACTUAL: the files are equal (diff shown if not).
test_cmp() {
	diff -u "$1" "$2"
}

# test_grep PATTERN FILE: FILE has a line matching PATTERN (shown if not).
test_grep() {
	if ! grep -q -e "$1" "$2"; then
		echo "no line matching '$1' in $2:" >&2
		cat "$2" >&2
		return 1
	fi
}

# sql QUERY: run QUERY on the scratch database ($CRM_DB: a second one
# may be an SQLite file under make check-pg too), list mode.
sql() {
	if [ -n "${CRM_TEST_PGHOST:-}" ] && [ "${CRM_DB#postgres}" != "$CRM_DB" ]; then
		psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$CRM_DB" -c "$1"
	else
		sqlite3 -batch "$CRM_DB" "$1"
	fi
}

test_done() {
	echo "1..$test_count"
	if [ "$test_failed" -eq 0 ]; then
		[ -z "${CRM_TEST_PGHOST:-}" ] || dropdb --if-exists "$PGDB"
		cd "$TOP" && rm -rf "$TRASH"
		exit 0
	fi
	exit 1
}
