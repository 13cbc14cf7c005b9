#!/bin/sh
# PostgreSQL, the operational programs: crm-campaign, crm-deal,
# crm-account, crm-ticket, crm-task and crm-report run on an SQLite file
# and on a PostgreSQL database of the test's own (scripts/pg-server, as
# t0022), outputs, messages and exit statuses compared byte for byte.
# The values themselves are checked by t0006, t0010, t0014, t0015, t0019
# and t0027; here what matters is that both engines agree.  Then writers
# at once on PostgreSQL: two sends of one campaign (each contact sent
# once), two imports of one ticket log (each change stored once).
. "$(dirname "$0")/lib.sh"

if ! test_pg_server; then
	test_skip 'a PostgreSQL server of our own' \
		"it does not start here: $(head -c 300 pg-start.err)"
	test_done
fi
PGHOST=$PGDIR
PGUSER=crm
export PGHOST PGUSER
for d in crm_t29 crm_t29_race crm_t29_desk; do
	dropdb --if-exists $d 2>/dev/null && createdb $d || exit 1
done
PG=postgresql:///crm_t29
LITE=$TRASH/lite.db

# both CMD ARGS...: CMD on each database (CRM_DB), stdout to out.lite and
# out.pg, stderr to err.lite and err.pg, exit status to rc.lite, rc.pg.
both() {
	CRM_DB=$LITE "$@" >out.lite 2>err.lite
	echo $? >rc.lite
	CRM_DB=$PG "$@" >out.pg 2>err.pg
	echo $? >rc.pg
}

# same: both runs gave the same output, messages and exit status
# (messages and reports name their database: that part is left out).
same() {
	sed "s|$LITE|DB|g" out.lite >o.lite &&
	sed "s|$PG|DB|g" out.pg >o.pg &&
	test_cmp o.lite o.pg &&
	sed "s|$LITE|DB|g" err.lite >e.lite &&
	sed "s|$PG|DB|g" err.pg >e.pg &&
	test_cmp e.lite e.pg &&
	test_cmp rc.lite rc.pg
}

# pg SQL [DB]: psql on a test database, unaligned, no headers.
pg() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "${2:-$PG}" -c "$1"
}

# Forty contacts: every fifth without email consent, every seventh with
# no email, the rest with a mobile number for SMS.
{
	echo external_id,first_name,email,phone,email_opt_in,sms_opt_in,company,stage
	i=1
	while [ $i -le 40 ]; do
		n=$(printf %02d $i)
		mail=c$n@example.com
		[ $((i % 7)) -eq 0 ] && mail=
		optin=yes
		[ $((i % 5)) -eq 0 ] && optin=no
		echo "C$n,P$n,$mail,+4479111234$n,$optin,yes,Acme,customer"
		i=$((i + 1))
	done
} >contacts.csv
{
	echo external_id,at,channel,kind,amount,currency,ref
	i=1
	while [ $i -le 40 ]; do
		n=$(printf %02d $i)
		echo "C$n,2026-0$((i % 9 + 1))-1${i#?}T10:00:00Z,web,purchase,$i.50,EUR,O$n"
		[ $((i % 3)) -eq 0 ] &&
			echo "C$n,2026-10-0$((i % 9 + 1))T09:00:00Z,email,ticket,,,T$n"
		i=$((i + 1))
	done
} >history.csv

test_expect_success 'contacts and their history on both' '
	both crm-add contacts.csv &&
	same &&
	both crm-log history.csv &&
	same &&
	test "$(cat rc.pg)" = 0
'

test_expect_success 'crm-campaign create: the same members, control group and reasons' '
	{ echo external_id; sed -n "2,41p" contacts.csv | cut -d, -f1; } >targets.csv &&
	for e in lite pg; do
		if [ $e = lite ]; then db=$LITE; else db=$PG; fi
		CRM_DB=$db crm-campaign create spring -c email -H 30% \
		    -S supp.$e targets.csv >out.$e 2>err.$e
		echo $? >rc.$e
	done &&
	test_cmp supp.lite supp.pg &&
	test "$(wc -l <supp.pg)" -gt 5 &&
	same &&
	test_grep "40 read" err.pg &&
	{ echo external_id,segment; sed -n "2,41p" contacts.csv |
	    awk -F, "{ print \$1 \",\" (NR % 3 ? \"a\" : \"b\") }"; } >strata.csv &&
	both crm-campaign create texts -c sms -H 25% --stratify strata.csv &&
	same &&
	both crm-campaign create -n homes -c email --per-household targets.csv &&
	same &&
	both crm-campaign list &&
	same
'

test_expect_success 'crm-campaign export, send (twice), report' '
	both crm-campaign export spring &&
	same &&
	test "$(wc -l <out.pg)" -gt 10 &&
	both crm-campaign send spring &&
	same &&
	both crm-campaign send spring &&
	same &&
	test_grep "0 sent" err.pg &&
	CRM_NOW=2026-12-15T00:00:00Z both crm-campaign report spring &&
	same &&
	CRM_NOW=2026-12-15T00:00:00Z both crm-campaign report -f json texts &&
	same
'

test_expect_success 'crm-deal: import, pipeline, forecast, win rates, funnel, stale' '
	both crm-deal "$DATA/deals.csv" &&
	same &&
	for args in "pipeline" "pipeline --as-of 2026-03-31 --by owner" \
	    "forecast --by quarter" "forecast --as-of 2026-04-01" \
	    "stats" "funnel" "stale -s 30" "stages"; do
		both crm-deal $args && same || return 1
	done
'

cat >accounts.csv <<'CSV'
external_id,name,domain,industry,country,owner,type,parent,partner
A1,Acme Holdings Ltd,acme.com,Manufacturing,UK,sam,customer,,P1
A2,Acme Germany GmbH,acme.de,Manufacturing,Deutschland,sam,customer,A1,
G1,Globex Corporation,globex.com,Energy,US,kim,customer,,
P1,Channel Partners S.A.,channelpartners.fr,Consulting,France,kim,reseller,,
A4,ACME Limited,acme.com,,,,prospect,,
CSV
cat >people.csv <<'CSV'
external_id,account,title
C01,A1,CEO
C02,A2,Buyer
C03,A2,
C04,G1,CFO
CSV

test_expect_success 'crm-account: import, link, roll-ups, RFM, partners, dupes, merge' '
	both crm-account accounts.csv &&
	same &&
	both crm-account link people.csv &&
	same &&
	for args in "rollup" "rfm" "partners" "dupes" "export -f json"; do
		both crm-account $args && same || return 1
	done &&
	both crm-account dupes &&
	cp out.pg pairs.csv &&
	both crm-account merge -i pairs.csv &&
	same &&
	both crm-account rollup &&
	same
'

cat >events.csv <<'CSV'
Ticket ID,Requester email,Subject,Via,Priority,Status,Assignee,Group,Updated at
K1,c01@example.com,Login fails,Email,Urgent,New,Kim,Support,2026-12-07T08:30:00Z
K1,,,,,Open,,,2026-12-07T09:00:00Z
K1,,,,,Solved,,,2026-12-08T09:30:00Z
K2,c02@example.com,Refund,Phone call (incoming),High,New,Kim,Support,2026-12-07T15:00:00Z
K2,,,,,Open,Lea,Billing,2026-12-08T09:00:00Z
K3,c03@example.com,Address,Web Widget,Normal,New,,Support,2026-12-09T15:00:00Z
CSV

test_expect_success 'crm-ticket: policy, import, service levels, due, history' '
	both crm-ticket policy -H "mon-fri 09:00-17:00" -z Europe/Berlin \
	    --holiday 2026-12-25=Christmas --target urgent=1h,4h &&
	same &&
	both crm-ticket events.csv &&
	same &&
	for args in "sla" "sla -b team" "due --as-of 2026-12-10T10:00Z" \
	    "history K2"; do
		both crm-ticket $args && same || return 1
	done
'

test_expect_success 'crm-task: add, due, done with the next one' '
	both crm-task add -q -c c02@example.com -O Kim -T Sales -e 1w \
	    --ref R1 "Call back" 2026-12-28T09:00Z &&
	same &&
	both crm-task due --as-of 2026-12-28T10:00Z &&
	same &&
	both crm-task done -N "called" --at 2026-12-28T10:30Z R1 &&
	same &&
	both crm-task due --as-of 2027-01-04T10:00Z -w 30d &&
	same
'

test_expect_success 'crm-report: the HTML page, the text summary, the mail (its HTML part is the page)' '
	both crm-report --as-of 2026-12-15 &&
	same &&
	test_grep "</html>" out.pg &&
	both crm-report -f text --as-of 2026-12-15 &&
	same &&
	both crm-report -f mail --as-of 2026-12-15 &&
	test_grep "^Content-Type: multipart/alternative" out.pg &&
	for e in lite pg; do
		awk "/^Content-Transfer-Encoding: base64/ { s = 1 }
		    s == 2 && /^$/ { s = 0 } s == 1 && /^$/ { s = 2; print; next }
		    s != 2 { print }" out.$e >m.$e && mv m.$e out.$e || return 1
	done &&
	same
'

# Writers at once, PostgreSQL only: the advisory lock makes them take
# turns, as BEGIN IMMEDIATE does on SQLite.
RACE=postgresql:///crm_t29_race
test_expect_success 'two sends of one campaign at once: each contact sent once' '
	CRM_DB=$RACE crm-add -q contacts.csv &&
	CRM_DB=$RACE crm-campaign create -q race -c email -H 10% targets.csv &&
	targets=$(pg "SELECT count(*) FROM campaign_members WHERE grp = '\''target'\''" $RACE) &&
	test "$targets" -gt 20 &&
	{
		for i in 1 2 3; do
			{ CRM_DB=$RACE crm-campaign send race 2>send$i
			  echo $? >rc$i; } &
		done
		wait
	} &&
	test "$(cat rc1 rc2 rc3)" = "$(printf "0\n0\n0")" &&
	test "$(pg "SELECT count(*), count(DISTINCT contact_id) FROM interactions WHERE campaign = '\''race'\''" $RACE)" = "$targets|$targets" &&
	test "$(cat send1 send2 send3 | grep -c "race: $targets sent, 0 already sent")" = 1 &&
	test "$(cat send1 send2 send3 | grep -c "race: 0 sent, $targets already sent")" = 2
'

DESK=postgresql:///crm_t29_desk
test_expect_success 'imports of one ticket log at once: each change stored once' '
	CRM_DB=$DESK crm-add -q contacts.csv &&
	CRM_DB=$DESK crm-ticket policy -H "mon-fri 09:00-17:00" \
	    -z Europe/Berlin --holiday 2026-12-25=Christmas \
	    --target urgent=1h,4h >/dev/null &&
	for i in 1 2 3 4; do
		{ CRM_DB=$DESK crm-ticket events.csv 2>imp$i; echo $? >rc$i; } &
	done &&
	wait &&
	test "$(cat rc1 rc2 rc3 rc4)" = "$(printf "0\n0\n0\n0")" &&
	test "$(pg "SELECT count(*) FROM tickets" $DESK)" = 3 &&
	test "$(pg "SELECT count(*) FROM ticket_events" $DESK)" = \
	    "$(sqlite3 "$LITE" "SELECT count(*) FROM ticket_events")" &&
	CRM_DB=$DESK crm-ticket sla >sla.desk &&
	CRM_DB=$PG crm-ticket sla >sla.pg &&
	test_cmp sla.pg sla.desk
'

if [ -z "${CRM_TEST_PGHOST:-}" ]; then
	for d in crm_t29 crm_t29_race crm_t29_desk; do
		dropdb --if-exists $d 2>/dev/null
	done
fi
test_done
