#!/bin/sh
# PostgreSQL: the same commands on an SQLite file and on a PostgreSQL
# server of the test's own (scripts/pg-server: initdb into a temporary
# directory, a Unix socket there, no TCP, stopped at exit), outputs
# compared byte for byte; the two schemas compared table by table;
# writers from separate processes at once.  The values themselves are
# checked by t0001-t0003; here what matters is that both engines agree.
. "$(dirname "$0")/lib.sh"

if [ -n "${CRM_TEST_PGHOST:-}" ]; then
	PGDIR=$CRM_TEST_PGHOST
elif PGDIR=$("$TOP/scripts/pg-server" start 2>pg-start.err); then
	trap '"$TOP/scripts/pg-server" stop "$PGDIR"' EXIT
else
	test_skip 'a PostgreSQL server of our own' \
		"it does not start here: $(head -c 300 pg-start.err)"
	test_done
fi
PGHOST=$PGDIR
PGUSER=crm
export PGHOST PGUSER
dropdb --if-exists crm_t22 2>/dev/null && createdb crm_t22 || exit 1
PG=postgresql:///crm_t22
LITE=$TRASH/lite.db

# both CMD ARGS...: CMD with -d on each database, stdout to out.lite and
# out.pg, stderr to err.lite and err.pg, exit status to rc.lite, rc.pg.
both() {
	cmd=$1
	shift
	"$cmd" -d "$LITE" "$@" >out.lite 2>err.lite
	echo $? >rc.lite
	"$cmd" -d "$PG" "$@" >out.pg 2>err.pg
	echo $? >rc.pg
}

# same: both runs gave the same output, messages and exit status
# (messages name their database: that part is left out).
same() {
	test_cmp out.lite out.pg &&
	sed "s|$LITE|DB|g" err.lite >e.lite &&
	sed "s|$PG|DB|g" err.pg >e.pg &&
	test_cmp e.lite e.pg &&
	test_cmp rc.lite rc.pg
}

# psql on the test's database: unaligned, no headers.
pg() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$PG" -c "$1"
}

cat >contacts.csv <<'CSV'
external_id,first_name,last_name,email,phone,company,city,postcode,country,stage,email_opt_in,sms_opt_in,tier,since
C1,Ann,Lee,Ann.Lee@Example.com,020 7946 0958,Acme,London,EC1A 1BB,GB,customer,yes,no,gold,2019
C2,Bob,Ray,bob@example.org,+1 415 555 0134,,San Francisco,94105,United States,prospect,no,,,
C3,Zoë,Ærø,zoe@example.net,+33 6 12 34 56 78,Café Ünïcode,Paris,75001,France,lead,yes,yes,silver,
C4,Dan,O'Neil,dan@example.com,,"Smith, Jones & Co",Dublin,,IE,customer,,,"x,y",2021
,Eve,Stone,eve@example.com,07911 123456,,Leeds,LS1 4AP,GB,,yes,yes,,
CSV

test_expect_success 'crm-add: the same summary on both; the schema is made' '
	both crm-add contacts.csv &&
	same &&
	test_grep "5 read, 5 inserted" err.pg
'

test_expect_success 'the schema version is kept in crm_meta, as user_version on SQLite' '
	test "$(pg "select value from crm_meta where key = '\''schema'\''")" = \
		"$(sqlite3 "$LITE" "PRAGMA user_version")" &&
	test "$(pg "select value from crm_meta where key = '\''application'\''")" = crm1
'

test_expect_success 'both schemas have the same tables, columns, types and NOT NULLs' '
	sqlite3 -batch "$LITE" "SELECT m.name, p.name, CASE p.type
		WHEN '\''INTEGER'\'' THEN '\''bigint'\'' WHEN '\''REAL'\''
		THEN '\''double precision'\'' WHEN '\''TEXT'\'' THEN '\''text'\''
		WHEN '\''BLOB'\'' THEN '\''bytea'\'' ELSE p.type END,
		p.\"notnull\" OR p.pk > 0 FROM sqlite_schema m,
		pragma_table_info(m.name) p WHERE m.type = '\''table'\''
		ORDER BY m.name, p.cid" >cols.lite &&
	pg "SELECT table_name, column_name, data_type,
		CASE is_nullable WHEN '\''NO'\'' THEN 1 ELSE 0 END
		FROM information_schema.columns WHERE table_schema =
		current_schema() AND table_name <> '\''crm_meta'\''
		ORDER BY table_name, ordinal_position" >cols.pg &&
	test "$(wc -l <cols.lite)" -gt 100 &&
	test_cmp cols.lite cols.pg
'

test_expect_success 'crm-export: the same contacts, in every format and filter' '
	for args in "" "-f json" "-f tsv" "--columns id,first_name,attr.tier,attr.since,phone_type,imported_at" \
		"--stage customer" "--consent email" "--consent sms" "--since 2026-01-01" "-S lead -f json"; do
		# shellcheck disable=SC2086
		both crm-export $args && same || { echo "crm-export $args"; return 1; }
	done &&
	both crm-export -c external_id &&
	same &&
	test "$(wc -l <out.pg)" = 6
'

test_expect_success 're-import: nothing changes on either' '
	both crm-add contacts.csv &&
	same &&
	test_grep "0 inserted, 0 updated, 5 unchanged" err.pg &&
	both crm-export -f json &&
	same
'

cat >update.csv <<'CSV'
external_id,email,city,stage,tier,email_opt_in
C1,ann.lee@example.com,Manchester,,platinum,
C2,,,customer,,yes
C5,new@example.com,Bristol,lead,,
CSV

test_expect_success 'an update: only what the file gives, an opt-out kept' '
	both crm-add update.csv &&
	same &&
	test_grep "1 inserted, 2 updated" err.pg &&
	both crm-export -f json --columns id,external_id,email,city,stage,attrs,email_opt_in,updated_at &&
	same
'

test_expect_success 'a lead known by email is adopted by its external id' '
	printf "external_id,email,first_name\nE9,eve@example.com,Evelyn\n" >adopt.csv &&
	both crm-add adopt.csv &&
	same &&
	test_grep "0 inserted, 1 updated" err.pg
'

test_expect_success 'a bad record: the whole batch refused on both, nothing written' '
	printf "external_id,email\nF1,f1@example.com\nF2,bob@\n" >bad.csv &&
	both crm-add bad.csv &&
	same &&
	test "$(cat rc.pg)" = 3 &&
	both crm-export --columns external_id &&
	same &&
	! grep -q F1 out.pg
'

test_expect_success '--rejects: the good rows in, the same rejects file' '
	printf "external_id,email,stage\nG1,g1@example.com,lead\nG2,g2@example.com,boss\n" >mixed.csv &&
	crm-add -d "$LITE" --rejects rej.lite mixed.csv 2>err.lite; echo $? >rc.lite
	crm-add -d "$PG" --rejects rej.pg mixed.csv 2>err.pg; echo $? >rc.pg
	test_cmp rej.lite rej.pg &&
	test_cmp rc.lite rc.pg &&
	test "$(cat rc.pg)" = 3 &&
	both crm-export --columns external_id,stage &&
	same
'

test_expect_success '--dry-run writes nothing on PostgreSQL' '
	printf "external_id,email\nH1,h1@example.com\n" >dry.csv &&
	crm-add -d "$PG" -n dry.csv 2>err &&
	test_grep "1 inserted" err &&
	test "$(pg "select count(*) from contacts where external_id = '\''H1'\''")" = 0
'

cat >log.csv <<'CSV'
external_id,email,phone,at,channel,kind,direction,amount,currency,product,category,subject,status,closed_at,ref
C1,,,2026-10-01T10:00:00+02:00,store,purchase,in,"1,234.50",EUR,Widget,tools,,,,O1
C1,,,2026-10-05,email,email,out,,,,,Welcome,,,
,bob@example.org,,2026-10-06T09:00Z,phone,ticket,in,,,,,Broken,open,,T1
C2,,,2026-10-07T12:00Z,Web,purchase,in,19.99,EUR,Gadget,toys,,,,O2
,,+44 20 7946 0958,2026-10-20T08:00Z,phone,call,in,,,,,Question,,,
C1,,,2026-10-21T08:00Z,chat,ticket,in,,,,,Refund,closed,2026-10-21T10:00Z,T2
C3,,,2026-10-22T08:00Z,email,unsubscribe,in,,,,,,,,
C3,,,2026-10-23,web,visit,in,,,,,Home,,,
C3,,,2026-10-23,web,visit,in,,,,,Home,,,
CSV

test_expect_success 'crm-log: the same import, duplicates collapsed, consent withdrawn' '
	both crm-log log.csv &&
	same &&
	test_grep "9 read, 8 inserted" err.pg &&
	both crm-export --columns external_id,email_opt_in,updated_at &&
	same
'

test_expect_success 'crm-log: a re-import adds nothing; a known ref updates' '
	both crm-log log.csv &&
	same &&
	test_grep "0 inserted, 0 updated, 9 unchanged" err.pg &&
	printf "external_id,at,channel,kind,status,closed_at,ref\nC2,2026-10-06T09:00Z,phone,ticket,closed,2026-10-06T15:30Z,T1\n" >close.csv &&
	both crm-log close.csv &&
	same &&
	test_grep "1 updated" err.pg
'

test_expect_success 'crm-log show and stats: the same on both' '
	for args in "show C1" "show -f json C1" "show -A C3" "show -c email -l 1 C1" \
		"show --since 2026-10-06 --until 2026-10-21 C1" "show #2" \
		"stats" "stats -f json -w 7,30" "stats --preferred" "stats --tickets"; do
		# shellcheck disable=SC2086
		both crm-log $args && same || { echo "crm-log $args"; return 1; }
	done
'

test_expect_success 'crm-log --create-missing and --rejects: the same on both' '
	printf "external_id,at,channel,kind,amount,currency\nN1,2026-10-02,web,purchase,5,EUR\nC1,2026-10-02,fax,call,,\n" >new.csv &&
	crm-log -d "$LITE" --create-missing --rejects lrej.lite new.csv 2>err.lite; echo $? >rc.lite
	crm-log -d "$PG" --create-missing --rejects lrej.pg new.csv 2>err.pg; echo $? >rc.pg
	test_cmp lrej.lite lrej.pg &&
	test_cmp rc.lite rc.pg &&
	both crm-log show N1 &&
	same
'

awk 'BEGIN { print "external_id,email,city";
	for (i = 1; i <= 150; i++) printf "S%d,s%d@example.com,Shared\n", i, i }' >shared.csv

test_expect_success 'the bulk path (indexes dropped, then made again) on both' '
	CRM_BULK_MIN=1 crm-add -d "$LITE" -q shared.csv 2>err.lite; echo $? >rc.lite
	CRM_BULK_MIN=1 crm-add -d "$PG" -q shared.csv 2>err.pg; echo $? >rc.pg
	test_cmp rc.lite rc.pg &&
	test "$(cat rc.pg)" = 0 &&
	awk "BEGIN { print \"external_id,at,channel,kind,amount,currency\";
		for (i = 1; i <= 40; i++) printf \"S%d,2026-10-%02d,store,purchase,%d,EUR\n\", i, i % 28 + 1, i }" >bulk.csv &&
	CRM_BULK_MIN=1 crm-log -d "$LITE" -q bulk.csv 2>err.lite; echo $? >rc.lite
	CRM_BULK_MIN=1 crm-log -d "$PG" -q bulk.csv 2>err.pg; echo $? >rc.pg
	test_cmp rc.lite rc.pg &&
	test "$(cat rc.pg)" = 0 &&
	pg "select indexname from pg_indexes where tablename in
		('\''contacts'\'', '\''interactions'\'') order by 1" >idx &&
	test_grep "^contacts_email$" idx &&
	test_grep "^interactions_contact$" idx &&
	both crm-export -f json &&
	same &&
	both crm-log show S7 &&
	same
'

test_expect_success 'crm-segment rfm and kmeans: the same scores on both' '
	for args in "rfm" "rfm -f json --as-of 2026-10-25" "rfm --average --explain" \
		"rfm --r-cuts 5,10,20,40 --f-cuts 1,2,3,4 --m-cuts 10,20,500,1000" \
		"kmeans -k 2 --explain" "kmeans -k 3 --seed 7 --average"; do
		# shellcheck disable=SC2086
		both crm-segment $args && same || { echo "crm-segment $args"; return 1; }
		test "$(cat rc.pg)" = 0 || { cat err.pg; return 1; }
	done &&
	both crm-segment rfm -f tsv &&
	grep -c "	[1-5][1-5][1-5]	" out.pg >n &&
	test "$(cat n)" -ge 42
'

test_expect_success 'a program not ported yet refuses PostgreSQL before touching it' '
	before=$(pg "select count(*) from audit") &&
	test_must_fail 1 crm-forget -d "$PG" C1 2>err &&
	test_grep "crm-forget works on SQLite only so far" err &&
	test_must_fail 1 crm-export -d "$PG" --subject C1 >out 2>err &&
	test_grep "subject works on SQLite only so far" err &&
	test ! -s out &&
	test "$(pg "select count(*) from audit")" = "$before"
'

test_expect_success 'a database that is not crm'\''s is refused; so is a newer schema' '
	dropdb --if-exists crm_t22_other 2>/dev/null && createdb crm_t22_other &&
	psql -X -q -d postgresql:///crm_t22_other -c "create table t (x int)" &&
	test_must_fail 1 crm-export -d postgresql:///crm_t22_other 2>err &&
	test_grep "not a crm database" err &&
	v=$(pg "select value from crm_meta where key = '\''schema'\''") &&
	pg "update crm_meta set value = '\''999'\'' where key = '\''schema'\''" &&
	test_must_fail 1 crm-export -d "$PG" 2>err &&
	pg "update crm_meta set value = '\''$v'\'' where key = '\''schema'\''" &&
	test_grep "schema version 999 is newer than this crm" err
'

# The functions that stand in for SQLite's are made again when their text
# changes (crm_meta's checksum of it), at any schema version: a database
# made before a function was added gets it from the first program to
# open it; an unchanged one is left alone.
test_expect_success 'the stand-in functions reach a database made before them' '
	sum=$(pg "select value from crm_meta where key = '\''functions'\''") &&
	test ${#sum} = 32 &&
	x=$(pg "select xmin from pg_proc where proname = '\''printf'\''") &&
	crm-export -d "$PG" >/dev/null &&
	test "$(pg "select xmin from pg_proc where proname = '\''printf'\''")" = "$x" &&
	pg "drop aggregate total(double precision)" &&
	pg "create or replace function json_type(t text) returns text
		language sql as \$\$ select text '\''wrong'\'' \$\$" &&
	pg "delete from crm_meta where key = '\''functions'\''" &&
	crm-export -d "$PG" >/dev/null &&
	test "$(pg "select total(x) from (values (1.5), (2.0)) v(x)")" = 3.5 &&
	test "$(pg "select json_type('\''[1]'\'')")" = array &&
	test "$(pg "select value from crm_meta where key = '\''functions'\''")" = "$sum" &&
	pg "update crm_meta set value = '\''0'\'' where key = '\''functions'\''" &&
	pg "drop aggregate total(double precision)" &&
	both crm-log stats -w 30d,1y &&
	same &&
	test "$(pg "select value from crm_meta where key = '\''functions'\''")" = "$sum"
'

test_expect_success 'CRM_DB and the libpq environment select PostgreSQL too' '
	crm-export -d "$PG" >want &&
	CRM_DB=$PG crm-export >got &&
	test_cmp want got &&
	(unset CRM_DB; PGDATABASE=crm_t22 crm-export >got2) &&
	test_cmp want got2 &&
	test_must_fail 1 crm-export -d postgresql:///crm_no_such_db 2>err &&
	test_grep "crm_no_such_db" err
'

# Eight imports at once from separate processes, each of its own
# contacts and all of one shared file, then each of their histories:
# every run succeeds, nothing is lost or doubled (the writers take turns
# through the advisory lock, as SQLite's BEGIN IMMEDIATE makes them).
test_expect_success '8 writers at once on PostgreSQL: all succeed, nothing lost or doubled' '
	awk "BEGIN { print \"external_id,email,city\";
		for (i = 1; i <= 150; i++) printf \"S%d,s%d@example.com,Shared\n\", i, i }" >shared.csv &&
	for w in 1 2 3 4 5 6 7 8; do
		awk -v w=$w "BEGIN { print \"external_id,email,first_name\";
			for (i = 1; i <= 100; i++) printf \"W%d-%d,w%d.%d@example.com,N%d\n\", w, i, w, i, i }" >w$w.csv &&
		awk -v w=$w "BEGIN { print \"external_id,at,channel,kind,amount,ref\";
			for (i = 1; i <= 100; i++) printf \"W%d-%d,2026-10-%02d,store,purchase,%d.50,R%d-%d\n\", w, i, i % 28 + 1, i, w, i;
			for (i = 1; i <= 150; i++) printf \"S%d,2026-09-%02d,web,visit,,\n\", i, i % 28 + 1 }" >l$w.csv || return 1
	done &&
	dropdb --if-exists crm_t22_conc 2>/dev/null && createdb crm_t22_conc &&
	C=postgresql:///crm_t22_conc &&
	for w in 1 2 3 4 5 6 7 8; do
		(crm-add -q -d "$C" w$w.csv shared.csv; echo $? >add$w.rc) &
	done &&
	wait &&
	for w in 1 2 3 4 5 6 7 8; do
		(crm-log -q -d "$C" l$w.csv; echo $? >log$w.rc) &
	done &&
	wait &&
	cat add?.rc log?.rc | sort | uniq -c >rcs &&
	echo "     16 0" >want &&
	test_cmp want rcs &&
	crm-export -d "$C" -f tsv -c external_id >ids.tsv && sed 1d ids.tsv >ids &&
	test "$(wc -l <ids)" = 950 &&
	test "$(sort -u ids | wc -l)" = 950 &&
	test "$(psql -X -A -t -d "$C" -c "select count(*) from interactions")" = 950 &&
	test "$(psql -X -A -t -d "$C" -c "select count(*) from audit")" = 16 &&
	for w in 1 2 3 4 5 6 7 8; do
		(crm-add -d "$C" w$w.csv shared.csv 2>add$w.err) &
	done &&
	wait &&
	cat add?.err | grep -c "0 inserted, 0 updated, 250 unchanged" >n &&
	test "$(cat n)" = 8
'

test_done
