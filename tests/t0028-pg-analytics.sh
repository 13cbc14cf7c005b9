#!/bin/sh
# PostgreSQL: the analytics programs (crm-dedupe, crm-churn, crm-segment,
# crm-forget) on an SQLite file and on a PostgreSQL database of the
# test's own, outputs compared byte for byte, as t0022 does for the
# imports; then what erasure leaves on PostgreSQL, with a writer racing
# it.  The values themselves are checked by t0004, t0005, t0007, t0008.
. "$(dirname "$0")/lib.sh"

if ! test_pg_server; then
	test_skip 'a PostgreSQL server of our own' \
		"it does not start here: $(head -c 300 pg-start.err)"
	test_done
fi
PGHOST=$PGDIR
PGUSER=crm
export PGHOST PGUSER

# use NAME: the pair of databases the next tests run on, LITE (an
# SQLite file) and PG (a new PostgreSQL database); outside a test.
use() {
	dropdb --if-exists "crm_t28_$1" 2>/dev/null &&
	createdb "crm_t28_$1" &&
	PG=postgresql:///crm_t28_$1 &&
	LITE=$TRASH/$1.db
}

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

# same: both runs gave the same output, messages and exit status (the
# database's name and CPU times left out of the messages).
same() {
	test_cmp out.lite out.pg &&
	sed -e "s|$LITE|DB|g" -e "s/[0-9.]* s of CPU/T s of CPU/" \
		err.lite >e.lite &&
	sed -e "s|$PG|DB|g" -e "s/[0-9.]* s of CPU/T s of CPU/" \
		err.pg >e.pg &&
	test_cmp e.lite e.pg &&
	test_cmp rc.lite rc.pg
}

# ok: same, and both succeeded.
ok() {
	same && test "$(cat rc.pg)" = 0
}

# pg QUERY: psql on PG, unaligned, no headers.
pg() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$PG" -c "$1"
}

use dedupe || exit 1
test_expect_success 'dedupe: set up the same contacts on both' '
	"$TOP/scripts/gen-data" --seed 4 contacts 300 --dup-rate 0 >bg.csv &&
	both crm-add -q "$DATA/dedupe-contacts.csv" bg.csv && ok
'

test_expect_success 'dedupe find: pairs, clusters, the model, JSON' '
	both crm-dedupe && ok &&
	test "$(wc -l <out.pg)" -gt 5 &&
	both crm-dedupe -c && ok &&
	both crm-dedupe --model && ok &&
	both crm-dedupe -p -T 0.99 -f json && ok
'

test_expect_success 'dedupe link and households' '
	both crm-dedupe link -I external_id "$DATA/dedupe-contacts.csv" && ok &&
	both crm-dedupe households && ok &&
	both crm-dedupe households -a -k address,surname -f tsv && ok
'

use segment || exit 1
test_expect_success 'segment: set up contacts and purchases on both' '
	both crm-add -q "$DATA/segment-contacts.csv" && ok &&
	both crm-log -q "$DATA/segment-purchases.csv" && ok
'

test_expect_success 'segment select, pairs, profit and rfm' '
	both crm-segment select --as-of 2026-11-01 \
		-w "last_purchase < today - 90d or purchases = 0" && ok &&
	both crm-segment select --as-of 2026-11-01 \
		-w "age >= 30 and revenue > 15 and tenure > 10" && ok &&
	both crm-segment pairs -s 1 && ok &&
	both crm-segment pairs --category -s 1 && ok &&
	both crm-segment profit -b decile --as-of 2026-11-01 && ok &&
	both crm-segment profit -b country && ok &&
	both crm-segment rfm --as-of 2026-11-01 && ok
'

test_expect_success 'saved segments: save, list, show, refresh, drop' '
	both crm-segment save gb -w "country = '\''GB'\''" && ok &&
	both crm-segment list && ok &&
	both crm-segment show gb && ok &&
	both crm-segment refresh gb && ok &&
	both crm-segment drop gb && ok &&
	both crm-segment list && ok
'

# The CDNOW sample's first 300 customers (of 2357).
use churn || exit 1
test_expect_success 'churn: set up the CDNOW customers 1-300 on both' '
	awk "BEGIN { print \"external_id,at,channel,kind,amount,ref\" }
		{ sub(/\r\$/, \"\"); if (\$2 + 0 <= 300)
		print \$2 \",\" \$3 \",store,purchase,\" \$5 \",S\" NR }" \
		"$DATA/CDNOW_sample.txt" >purchases.csv &&
	both crm-log -q --create-missing purchases.csv && ok
'

test_expect_success 'churn fit BG/NBD and Pareto/NBD, models' '
	both crm-churn fit -m bgnbd -c 1997-09-30 -u week && ok &&
	both crm-churn fit -m pareto -c 1997-09-30 && ok &&
	both crm-churn models && ok
'

test_expect_success 'churn score, CLV, eval' '
	both crm-churn score -m 1 -H 39w && ok &&
	both crm-churn score -n -m 1 -H 39w -D 10% -f json && ok &&
	both crm-churn eval -m 1 -e 1998-06-30 && ok &&
	both crm-churn eval -m 1 -e 1998-06-30 -b week && ok &&
	both crm-churn eval -m 2 -e 1998-06-30 -b frequency && ok &&
	test "$(pg "select count(*) from scores")" = \
		"$(sqlite3 "$LITE" "select count(*) from scores")"
'

# Contact 3 (D03), with history and a segment, is erased on both; then
# contact 4 on PostgreSQL while crm-log adds to its history.
use forget || exit 1
test_expect_success 'forget: set up history and a segment' '
	both crm-add -q "$DATA/dedupe-contacts.csv" && ok &&
	awk "BEGIN { print \"email,at,channel,kind,amount,ref\"
		for (i = 1; i <= 40; i++) printf \"wturnbull@example.net,2026-0%d-%02d,web,purchase,%d,R%d\n\", i % 9 + 1, i % 28 + 1, i, i }" >hist.csv &&
	both crm-log -q hist.csv && ok &&
	both crm-segment save d03 -w "id = 3" && ok &&
	awk "BEGIN { print \"email,at,channel,kind,amount,ref\"
		for (i = 1; i <= 400; i++) printf \"bill.t@example.com,2026-0%d-%02d,web,purchase,%d,B%d\n\", i % 9 + 1, i % 28 + 1, i, i }" >race.csv
'

test_expect_success 'forget: the same counts and tombstones on both' '
	both crm-forget -n wturnbull@example.net && ok &&
	both crm-forget wturnbull@example.net && ok &&
	test_grep "1 erased" err.pg &&
	sqlite3 "$LITE" "select id, coalesce(first_name, '\''-'\''),
		coalesce(email, '\''-'\'') from contacts order by id" >c.lite &&
	pg "select id, coalesce(first_name, '\''-'\''),
		coalesce(email, '\''-'\'') from contacts order by id" >c.pg &&
	test_cmp c.lite c.pg
'

test_expect_success 'forget on PostgreSQL: no row of the person readable afterwards' '
	test "$(pg "select count(*) from interactions where contact_id in
		(select id from contacts where erased_at is not null)")" = 0 &&
	test "$(pg "select count(*) from segment_members where contact_id in
		(select id from contacts where erased_at is not null)")" = 0 &&
	test "$(pg "select count(*) from contacts where erased_at is not null
		and coalesce(first_name, last_name, email, phone, street,
		city, postcode, attrs) is not null")" = 0 &&
	test "$(pg "select count(*) from contacts where email =
		'\''wturnbull@example.net'\''")" = 0 &&
	test "$(pg "select count(*) from audit where args like
		'\''%turnbull%'\''")" = 0
'

# A writer and the erasure at once: crm-log either commits first (and
# its rows are erased) or waits for the erasure (and leaves the erased
# person out); in neither case is a row of theirs readable afterwards.
test_expect_success 'forget racing crm-log on PostgreSQL: nothing of the person left' '
	crm-log -q -d "$PG" race.csv 2>log.err & p=$!
	crm-forget -q -d "$PG" bill.t@example.com 2>forget.err &&
	wait $p &&
	crm-forget -q -d "$PG" bill.t@example.com 2>again.err &&
	test "$(pg "select count(*) from interactions i join contacts c
		on c.id = i.contact_id where c.erased_at is not null")" = 0 &&
	test "$(pg "select count(*) from contacts where email =
		'\''bill.t@example.com'\''")" = 0
'

for d in dedupe segment churn forget; do
	dropdb --if-exists "crm_t28_$d" 2>/dev/null
done
test_done
