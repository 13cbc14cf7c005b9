#!/bin/sh
# Data safety (issue 14): no output path is the database, writers decide
# inside their write transaction, Unicode e-mail keys, erasure in the
# audit, strict amounts, old dates, modes, read-only readers, messages.
. "$(dirname "$0")/lib.sh"

cat >good.csv <<'CSV'
external_id,first_name,last_name,email
G1,Ann,Lee,ann@example.com
G2,Bob,Ray,bob@example.com
CSV

cat >bad.csv <<'CSV'
external_id,first_name,email
B1,Cy,cy@example.com
B2,Di,not-an-email
CSV

# intact: the database is still a crm database holding G1 and G2.
intact() {
	test "$(sql "PRAGMA integrity_check")" = ok &&
	test "$(sql "SELECT group_concat(external_id, ' ') FROM
		(SELECT external_id FROM contacts WHERE external_id LIKE 'G%'
		ORDER BY 1)")" = "G1 G2"
}

# --- 1. an output that is the database -------------------------------

test_expect_success 'set up' '
	crm-add -q good.csv && intact
'

test_expect_success 'crm-add --rejects naming the database: exit 2, both paths named' '
	test_must_fail 2 crm-add -r "$CRM_DB" good.csv 2>err &&
	test_grep "rejects $CRM_DB: that is the database $CRM_DB" err &&
	test_must_fail 2 crm-add -r "$CRM_DB" bad.csv 2>err &&
	intact
'

test_expect_success 'another spelling, a hard link, a symbolic link, the -wal and -shm' '
	ln crm.db hard.db && ln -s crm.db soft.db && mkdir sub &&
	for out in ./crm.db sub/../crm.db hard.db soft.db crm.db-wal \
	    ./crm.db-shm crm.db-journal; do
		test_must_fail 2 crm-add -r "$out" bad.csv 2>err &&
		test_grep "that is the database" err || return 1
	done &&
	test_must_fail 2 crm-log -r ./crm.db-wal bad.csv 2>err &&
	test_grep "write-ahead log $CRM_DB-wal" err &&
	intact
'

test_expect_success 'crm-report -o and -s, crm-campaign -S' '
	test_must_fail 2 crm-report -o ./crm.db 2>err &&
	test_grep "output ./crm.db: that is the database" err &&
	test_must_fail 2 crm-report -s hard.db 2>err &&
	test_grep "state hard.db: that is the database" err &&
	test_must_fail 2 crm-campaign create c1 --channel email \
	    -S ./crm.db good.csv 2>err &&
	test_grep "suppressed ./crm.db: that is the database" err &&
	test "$(sql "SELECT count(*) FROM campaigns")" = 0 &&
	intact
'

test_expect_success 'standard output appended to the database' '
	test_must_fail 2 crm-export >>crm.db 2>err &&
	test_grep "standard output: that is the database" err &&
	intact
'

test_expect_success 'a new database named as its own rejects file' '
	test_must_fail 2 crm-add -d new.db -r ./new.db good.csv 2>err &&
	test_grep "that is the database new.db" err &&
	! test -e new.db
'

test_expect_success 'other outputs still work' '
	crm-add -q -r rej.csv bad.csv; test $? = 3 &&
	test_grep not-an-email rej.csv &&
	crm-report -q -f text -o report.txt -s report.state &&
	test -s report.txt && test -s report.state
'

test_done
