#!/bin/sh
# Loading: the bulk path of large batches (libcrm/bulk.c) gives the very
# database the row-by-row path gives, and a kill -9 in the middle of it
# leaves nothing; crm-log's re-import skips what it has stored.
. "$(dirname "$0")/lib.sh"

# The bulk path starts at $CRM_BULK_MIN records (20000 by default): 1
# takes it at once, off never.  Everything below runs both ways.

# dump DB OUT: every row in order; the schema sorted (an index built
# again at the end of a batch comes last in sqlite_master).  Left out:
# what differs between two databases whatever the path (the erasure
# list's salted hashes, crm-forget's salted key, the creation time of
# the default pipeline).  On PostgreSQL (CRM_TEST_PGHOST): every table's
# rows in the order of their first column, and the indexes.
dump() {
	if [ -n "${CRM_TEST_PGHOST:-}" ]; then
		for t in $(psql -X -A -t -d "$1" -c "SELECT tablename FROM pg_tables
		    WHERE schemaname = current_schema() AND tablename NOT IN
		    ('pipelines', 'erased_subjects', 'audit')
		    ORDER BY 1"); do
			echo "== $t" &&
			psql -X -A -t -d "$1" -c "COPY (SELECT * FROM $t ORDER BY 1) TO STDOUT" ||
			return 1
		done >"$2" &&
		psql -X -A -t -d "$1" -c "SELECT indexdef FROM pg_indexes WHERE
		    schemaname = current_schema() ORDER BY 1" >>"$2"
		return
	fi
	sqlite3 "$1" .dump >"$2.all" &&
	grep -v -e '^INSERT INTO pipelines ' -e '^INSERT INTO erased_subjects ' \
	    -e "^INSERT INTO audit VALUES([0-9]*,[0-9]*,'crm-forget'" \
	    "$2.all" | grep -v '^CREATE' >"$2" &&
	grep '^CREATE' "$2.all" | sort >>"$2"
}

# dbof MODE: the database load MODE fills (a file, or on PostgreSQL a
# database of its own, made empty here when asked with "new").
dbof() {
	if [ -n "${CRM_TEST_PGHOST:-}" ]; then
		if [ "${2:-}" = new ]; then
			dropdb --if-exists "${PGDB}_$1" >/dev/null 2>&1 &&
			createdb "${PGDB}_$1" || return 1
		fi
		echo "postgresql:///${PGDB}_$1"
	else
		echo "$1.db"
	fi
}

# q MODE SQL: a query on MODE's database, rows as a|b.
q() {
	if [ -n "${CRM_TEST_PGHOST:-}" ]; then
		psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$(dbof "$1")" -c "$2"
	else
		sqlite3 -batch "$1.db" "$2"
	fi
}

test_expect_success 'data: generated contacts and interactions, a delta' '
	"$TOP/scripts/gen-data" -j1 --seed 7 contacts 600 >all.csv &&
	head -n 401 all.csv >base.csv &&
	{
		head -n 1 all.csv &&
		# contacts 381..600: 20 known, 200 new (half the table)
		sed -n "382,601p" all.csv &&
		# inside the batch twice, the second time changed
		echo "C0000390,Anna,Nowak,anna.nowak@example.com,,,,,,PL,,customer,,yes,no,0,gold" &&
		echo "C0000390,Anna,Nowak-Lis,anna.nowak@example.com,,,,,,PL,,customer,,no,no,0,gold" &&
		# an update of a base contact: a new email, an opt-in reversed
		echo "C0000003,,,c3.new@example.com,,,,,,,,,,yes,,1," &&
		# a bad row (to --rejects); an erased person (C0000002) again
		echo "C0000700,Bad,Stage,bad@example.com,,,,,,,,boss,,,,," &&
		echo "C0000701,Robert,Roberts,robert.roberts@roberts.com,,,,,,,,,,,,," &&
		# no external_id: by email, a new lead, then the same one
		echo ",Lee,Lead,lee.lead@example.com,,,,,,GB,,lead,,yes,,," &&
		echo ",Lee,Lead,LEE.LEAD@example.com,,,,,,GB,,,,,,,silver"
	} >delta.csv &&
	"$TOP/scripts/gen-data" -j1 --seed 7 interactions 3000 --contacts 600 >log.csv &&
	{
		head -n 1 log.csv &&
		sed -n "2,201p" log.csv | sed "s/,open,/,closed,/" &&
		# without a ref: twice the same, stored once
		echo "C0000005,2025-03-01T10:00:00Z,store,purchase,in,10,EUR,Tea,Food,1,,," &&
		echo "C0000005,2025-03-01T10:00:00Z,store,purchase,in,10,EUR,Tea,Food,1,,," &&
		echo "C0000999,2025-03-01T10:00:00Z,store,visit,in,,,,,,,,R-missing"
	} >log2.csv
'

# load MODE: the same imports into MODE/crm.db with CRM_BULK_MIN=MODE
# (the same names in both, for the audit entries).
load() {
	rm -rf "$1" && mkdir "$1" && cp ./*.csv "$1" || return 1
	db=$(dbof "$1" new) || return 1
	case $db in postgresql:*) ;; *) db=crm.db ;; esac
	cd "$1" || return 1
	export CRM_BULK_MIN=$1
	crm-add -d "$db" base.csv 2>"$1.add1" &&
	# (crm-forget is not on PostgreSQL yet: no one erased there)
	{ [ -n "${CRM_TEST_PGHOST:-}" ] || crm-forget -q -d "$db" C0000002; } &&
	# a rejected record: exit status 3, the rest stored
	test_must_fail 3 crm-add -d "$db" -r rej delta.csv 2>"$1.add2" &&
	test_must_fail 3 crm-add -d "$db" -r rej2 delta.csv 2>"$1.add3" &&
	crm-log -d "$db" log.csv 2>"$1.log1" &&
	crm-log -d "$db" log.csv 2>"$1.log2" &&
	test_must_fail 3 crm-log -d "$db" -r lrej log2.csv 2>"$1.log3" &&
	test_must_fail 3 crm-log -d "$db" -r lrej2 log2.csv 2>"$1.log4"
	rc=$?
	unset CRM_BULK_MIN
	cd ..
	for f in add1 add2 add3 log1 log2 log3 log4; do
		mv "$1/$1.$f" "$1.$f"
	done
	for f in rej rej2 lrej lrej2; do
		mv "$1/$f" "$1.$f"
	done
	[ -n "${CRM_TEST_PGHOST:-}" ] || mv "$1/crm.db" "$1.db"
	return $rc
}

test_expect_success 'the same imports row by row and in bulk' '
	load off && load 1
'

test_expect_success 'bulk and row by row: the same database, dumped' '
	dump "$(dbof off)" off.sql && dump "$(dbof 1)" 1.sql &&
	test_cmp off.sql 1.sql &&
	q 1 "SELECT count(*) FROM contacts" >out &&
	q 1 "SELECT count(*) FROM interactions" >>out &&
	# 400 + 200 new + the lead; 3000 - 7 of the erased + 1 of log2.csv
	# (on PostgreSQL nobody is erased: C0000002 comes back as C0000701)
	if [ -n "${CRM_TEST_PGHOST:-}" ]; then printf "602\n3001\n"
	else printf "601\n2994\n"; fi >expect &&
	test_cmp expect out
'

test_expect_success 'bulk and row by row: the same summaries and rejects' '
	for f in add1 add2 add3 log1 log2 log3 log4 rej rej2 lrej lrej2; do
		test_cmp off.$f 1.$f || return 1
	done
'

test_expect_sqlite 'the delta: duplicates, merges, erased, rejected, counted' '
	# 220 file rows + 7: 200 new and the lead inserted; C0000390
	# twice, C0000003 and the lead again updated; the 20 known ones
	# as they were; 1 bad, 1 erased
	test_grep "227 read, 201 inserted, 4 updated, 20 unchanged, 1 rejected; skipped 1 record of erased" 1.add2 &&
	test_grep "227 read, 0 inserted, .* 1 rejected; .*skipped 1 record of erased" 1.add3 &&
	test_grep "C0000700" 1.rej &&
	q 1 "SELECT last_name, email_opt_in FROM contacts WHERE external_id = '\''C0000390'\''" >out &&
	echo "Nowak-Lis|0" >expect && test_cmp expect out &&
	q 1 "SELECT count(*), max(attrs) FROM contacts WHERE email = '\''lee.lead@example.com'\''" >out &&
	echo "1|{\"loyalty_tier\":\"silver\"}" >expect && test_cmp expect out
'

test_expect_sqlite 'bulk: the indexes are back after the commit' '
	sqlite3 off.db "SELECT name FROM sqlite_master WHERE type = '\''index'\'' ORDER BY name" >expect &&
	sqlite3 1.db "SELECT name FROM sqlite_master WHERE type = '\''index'\'' ORDER BY name" >out &&
	test_cmp expect out &&
	test_grep "^contacts_email$" out && test_grep "^interactions_contact$" out &&
	sqlite3 1.db "PRAGMA integrity_check" >out &&
	echo ok >expect && test_cmp expect out
'

test_expect_sqlite 'crm-log re-import: every record unchanged, by checksum' '
	# C0000002, erased, has 7 interactions in the file
	test_grep "3000 read, 2993 inserted, 0 updated, 0 unchanged, 0 rejected; skipped 7 records of erased" 1.log1 &&
	test_grep "3000 read, 0 inserted, 0 updated, 2993 unchanged, 0 rejected" 1.log2 &&
	q 1 "SELECT count(*) FROM interactions WHERE ref IS NOT NULL AND row_hash IS NULL" >out &&
	echo 0 >expect && test_cmp expect out
'

test_expect_sqlite 'crm-log: changed records updated once, then skipped' '
	n=$(sed -n "2,201p" log.csv | grep -c ",open,") &&
	test_grep " 1 inserted, $n updated, .* 1 rejected" 1.log3 &&
	test_grep " 0 inserted, 0 updated, [0-9]* unchanged, 1 rejected" 1.log4
'

test_expect_sqlite 'a change by another program clears the checksum' '
	sqlite3 1.db "UPDATE interactions SET note = '\''x'\'' WHERE ref = '\''I000000001'\''" &&
	sqlite3 1.db "SELECT row_hash IS NULL FROM interactions WHERE ref = '\''I000000001'\''" >out &&
	echo 1 >expect && test_cmp expect out &&
	CRM_BULK_MIN=off crm-log -d 1.db log.csv 2>err &&
	test_grep "3000 read, 0 inserted, 0 updated, 2993 unchanged" err &&
	sqlite3 1.db "SELECT note, row_hash IS NULL FROM interactions WHERE ref = '\''I000000001'\''" >out &&
	# the record has no note: the merge changes nothing, nor does the run
	echo "x|1" >expect && test_cmp expect out
'

# kill9 PROG DB FILE: PROG reads FILE through a pipe in bulk and is
# killed with SIGKILL while it waits for the rest of it.
kill9() {
	rm -f fifo && mkfifo fifo &&
	{ CRM_BULK_MIN=1 "$1" -d "$2" - <fifo 2>/dev/null & } &&
	pid=$! &&
	{
		exec 3>fifo
		n=$(($(wc -l <"$3") - 5))
		head -n "$n" "$3" >&3
		sleep 2
		kill -9 $pid
		exec 3>&-
	} &&
	wait $pid
	test $? -eq 137
}

test_expect_sqlite 'kill -9 in the middle of a bulk crm-add: nothing left' '
	# 200 new records against 400: the indexes are dropped by then
	rm -f k.db* && crm-add -q -d k.db base.csv && cp k.db before.db &&
	kill9 crm-add k.db delta.csv &&
	dump before.db b.sql && dump k.db k.sql && test_cmp b.sql k.sql &&
	sqlite3 k.db "PRAGMA integrity_check" >out &&
	echo ok >expect && test_cmp expect out
'

test_expect_sqlite 'kill -9 in the middle of a bulk crm-log: nothing left' '
	rm -f k.db* && crm-add -q -d k.db base.csv && crm-add -q -d k.db all.csv &&
	cp k.db before.db &&
	kill9 crm-log k.db log.csv &&
	dump before.db b.sql && dump k.db k.sql && test_cmp b.sql k.sql &&
	CRM_BULK_MIN=1 crm-log -q -d k.db log.csv &&
	sqlite3 k.db "SELECT count(*) FROM interactions" >out &&
	echo 3000 >expect && test_cmp expect out
'

test_done
