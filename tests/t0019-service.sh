#!/bin/sh
# crm-ticket and crm-task: a week of tickets with service levels worked by
# hand (business hours in Berlin, a holiday, a pending period that stops the
# clock, a reopen, a hand-off), the morning due lists, recurring tasks.
. "$(dirname "$0")/lib.sh"

cat >contacts.csv <<'CSV'
external_id,first_name,email
C1,Ann,ann@example.com
C2,Bob,bob@example.org
CSV

# The desk's audit log: one row per change.  Times are UTC; Berlin is
# UTC+1 in December, so 08:30Z is 09:30 at the desk.  Business hours are
# Mon-Fri 09:00-17:00 local, 25 December a holiday.
#
# T1 urgent (1h, 4h): new Mon 09:30, open 10:00 (first response 0.5h),
# pending 11:00 (1.5h on the clock), open Tue 09:00, solved Tue 10:30
# (1.5h more): resolution 3h, both met.
# T2 high (2h, 8h): new Mon 16:00, open and handed from Support to Billing
# Tue 10:00 (first response 1h + 1h = 2h: met, at the limit), solved Wed
# 13:00: Mon 1h + Tue 8h + Wed 4h = 13h, breached.
# T5 normal (4h, 16h): new Mon 14 Dec 10:00, open 10:30, solved 11:00,
# reopened Tue 10:00, solved 11:00: resolution 1h + 1h = 2h, one reopen.
# T3 normal: new Thu 24 Dec 16:00, untouched: as of Mon 28 Dec 11:00 the
# first-response clock shows Thu 1h + Mon 2h = 3h of 4h: at risk, due
# 12:00 local (11:00Z).
# T4 low (defaults 24h, 120h): new Mon 21 Dec 10:00, untouched: Mon 7h +
# Tue 8h + Wed 8h + Thu 8h + Mon 2h = 33h of 24h: breached by 9h, due Thu
# 24 Dec 10:00 local (09:00Z).
cat >events.csv <<'CSV'
Ticket ID,Requester email,Subject,Via,Priority,Status,Assignee,Group,Updated at,Satisfaction,handoff_reason
T1,ann@example.com,Login fails,Email,Urgent,New,Kim,Support,2026-12-07T08:30:00Z,,
T1,,,,,Open,,,2026-12-07T09:00:00Z,,
T1,,,,,Pending,,,2026-12-07T10:00:00Z,,
T1,,,,,Open,,,2026-12-08T08:00:00Z,,
T1,,,,,Solved,,,2026-12-08T09:30:00Z,Good,
T2,bob@example.org,Refund,Phone call (incoming),High,New,Kim,Support,2026-12-07T15:00:00Z,,
T2,,,,,Open,Lea,Billing,2026-12-08T09:00:00Z,,refund needs Billing
T2,,,,,Solved,,,2026-12-09T12:00:00Z,2,
T5,ann@example.com,Invoice copy,Web form,Normal,New,Kim,Support,2026-12-14T09:00:00Z,,
T5,,,,,Open,,,2026-12-14T09:30:00Z,,
T5,,,,,Solved,,,2026-12-14T10:00:00Z,,
T5,,,,,Open,,,2026-12-15T09:00:00Z,,
T5,,,,,Solved,,,2026-12-15T10:00:00Z,,
T3,ann@example.com,Address change,Web Widget,Normal,New,,Support,2026-12-24T15:00:00Z,,
T4,bob@example.org,Catalogue,Chat,Low,New,,,2026-12-21T09:00:00Z,,
CSV

test_expect_success 'set up contacts and the service policy' '
	crm-add -q contacts.csv &&
	crm-ticket policy -H "mon-fri 09:00-17:00" -z Europe/Berlin \
	    --holiday 2026-12-25=Christmas --target urgent=1h,4h \
	    --target high=2h,8h --target normal=4h,16h >policy &&
	test_grep "^hours,mon-fri 09:00-17:00$" policy &&
	test_grep "^zone,Europe/Berlin$" policy &&
	test_grep "^holiday 2026-12-25,Christmas$" policy &&
	test_grep "^target high,\"2h,8h\"$" policy &&
	test_grep "^target low,\"24h,120h\"$" policy
'

test_expect_success 'a bad policy is a usage error and changes nothing' '
	test_must_fail 2 crm-ticket policy --target urgent=soon,4h 2>err &&
	test_grep "not a duration" err &&
	test_must_fail 2 crm-ticket policy -z Mars/Base 2>err &&
	test_grep "unknown time zone" err &&
	test "$(sql "select count(*) from service_policy")" = 3
'

test_expect_success 'import a help desk log: tickets, events, a hand-off' '
	crm-ticket events.csv 2>err &&
	test_grep "15 read, 5 inserted, 10 changed, 0 unchanged, 0 rejected" err &&
	test "$(sql "select ref, status, team, reopens, handoffs, satisfaction from tickets order by ref")" = "$(printf "T1|solved|Support|0|0|5\nT2|solved|Billing|0|1|2\nT3|new|Support|0|0|\nT4|new||0|0|\nT5|solved|Support|1|0|")" &&
	test "$(sql "select channel from tickets order by ref")" = "$(printf "email\nphone\nchat\nchat\nweb")"
'

test_expect_success 're-importing the same log changes nothing' '
	crm-ticket events.csv 2>err &&
	test_grep "15 read, 0 inserted, 0 changed, 15 unchanged" err &&
	test "$(sql "select count(*) from ticket_events")" = 24
'

test_expect_success 'the service levels, worked by hand' '
	crm-ticket sla --as-of 2026-12-28T10:00Z >sla &&
	cat >expect <<-\EOF &&
	group,tickets,open,solved,first_response_met,first_response_median_h,first_response_p90_h,resolution_met,resolution_median_h,resolution_p90_h,breached_open,at_risk,handoffs,reopens,satisfaction
	all,5,2,3,1.0000,0.50,1.70,0.6667,3.00,11.00,1,1,1,1,3.50
	EOF
	test_cmp expect sla
'

test_expect_success 'by team' '
	crm-ticket sla -b team --as-of 2026-12-28T10:00Z -f tsv >sla &&
	cut -f1-4,8,11,12 sla >got &&
	printf "group\ttickets\topen\tsolved\tresolution_met\tbreached_open\tat_risk\n\t1\t1\t0\t\t1\t0\nBilling\t1\t0\t1\t0.0000\t0\t0\nSupport\t3\t1\t2\t1.0000\t0\t1\n" >expect &&
	test_cmp expect got
'

test_expect_success 'the morning list: breached first, then at risk' '
	crm-ticket due --as-of 2026-12-28T10:00Z >due &&
	cat >expect <<-\EOF &&
	ref,contact,subject,priority,status,assignee,team,target,due_at,hours_left,state
	T4,bob@example.org,Catalogue,low,new,,,first_response,2026-12-24T09:00:00Z,-9.00,breached
	T3,ann@example.com,Address change,normal,new,,Support,first_response,2026-12-28T11:00:00Z,1.00,at risk
	EOF
	test_cmp expect due &&
	crm-ticket due --breached --as-of 2026-12-28T10:00Z >due &&
	test "$(wc -l <due)" = 2 &&
	crm-ticket due -T Support --as-of 2026-12-28T10:00Z >due &&
	test "$(wc -l <due)" = 2 && test_grep "^T3," due
'

test_expect_success 'a ticket history shows the hand-off, and so does the timeline' '
	crm-ticket history T2 >hist &&
	test_grep "^2026-12-08T09:00:00Z,team,Support,Billing,,refund needs Billing$" hist &&
	test_grep "^2026-12-08T09:00:00Z,status,new,open,," hist &&
	crm-log show -f csv bob@example.org >show &&
	test_grep "handoff.*ticket T2: handed from Support to Billing" show
'

test_expect_success 'the clock stops at a time-zone change correctly' '
	printf "ref,email,priority,status,at\nT9,ann@example.com,urgent,new,2026-03-27T15:00:00Z\nT9,,,open,2026-03-30T08:00:00Z\nT9,,,solved,2026-03-30T08:00:00Z\n" >dst.csv &&
	crm-ticket -q dst.csv &&
	crm-ticket sla -b priority --since 2026-03-01 --as-of 2026-04-01 -f tsv >sla &&
	cut -f1,6 sla >got &&
	printf "group\tfirst_response_median_h\nurgent\t2.00\n" >expect &&
	test_cmp expect got
'

# The report is as of the end of 28 December: by then T3 has had Thu 1h +
# Mon 8h of its 4h first-response target, so both open tickets are
# breached and none is at risk.
test_expect_success 'the report has a service desk section' '
	crm-report -f text --as-of 2026-12-28 >report &&
	test_grep "^SERVICE DESK" report &&
	test_grep "^  5 tickets opened in the period, 2 still open: 2 breached, 0 at risk$" report &&
	test_grep "first response within target 100.0% (median 0.5 h), resolution within target 66.7% (median 3.0 h)" report &&
	test_grep "^  satisfaction 3.50 of 5 (2 rated)$" report &&
	crm-report -o report.html --as-of 2026-12-28 &&
	test_grep "<h2>Service desk</h2>" report.html
'

test_expect_success 'bad ticket rows: all or nothing, or rejects' '
	printf "ref,email,status,at\nT7,ann@example.com,open,2026-12-01\nT8,ann@example.com,sleeping,2026-12-01\nT6,nobody@example.com,open,2026-12-01\n" >bad.csv &&
	test_must_fail 3 crm-ticket bad.csv 2>err &&
	test_grep "bad.csv:3: unknown status .* .sleeping." err &&
	test "$(sql "select count(*) from tickets where ref = '"'"'T7'"'"'")" = 0 &&
	test_must_fail 3 crm-ticket -r rej.csv bad.csv 2>err &&
	test "$(sql "select count(*) from tickets where ref = '"'"'T7'"'"'")" = 1 &&
	test "$(wc -l <rej.csv)" = 3 && test_grep "nobody@example.com" rej.csv
'

test_expect_success 'tasks: add, the morning list, done logs history, recurs' '
	crm-task add -q -c bob@example.org -O Kim -T Sales -e 1w \
	    --ref R1 "Call back about refund" 2026-12-28T09:00Z >id &&
	crm-task add -q -O Kim "Prepare renewal" 2027-01-15 >id2 &&
	crm-task due --as-of 2026-12-28T10:00Z -f tsv >due &&
	test "$(cut -f2-4,6,8,9 due)" = "$(printf "ref\tdue_at\tstate\towner\ttitle\tcontact\nR1\t2026-12-28T09:00:00Z\toverdue\tKim\tCall back about refund\tbob@example.org")" &&
	crm-task due --as-of 2026-12-28T10:00Z -w 20d -O Kim >due &&
	test "$(wc -l <due)" = 3 &&
	crm-task done -N "refund confirmed" --at 2026-12-28T10:30Z R1 2>err &&
	test_grep "done; next one is" err &&
	test "$(sql "select due_at from tasks where done_at is null and every is not null")" = \
	    "$(date -u -d 2027-01-04T09:00:00Z +%s)" &&
	crm-log show -f csv bob@example.org >show &&
	test_grep "task.*Call back about refund.*refund confirmed" show &&
	test_must_fail 3 crm-task done R1 2>err &&
	test_grep "done already" err
'

test_expect_success 'tasks: a hand-off to another team is kept' '
	crm-task assign -T Billing --by Kim --reason "needs a credit note" \
	    --at 2026-12-28T11:00Z "#$(cat id2)" &&
	crm-task history "#$(cat id2)" >hist &&
	test_grep "^2026-12-28T11:00:00Z,Kim,,Kim,Billing,Kim,needs a credit note$" hist
'

test_expect_success 'tasks from a file, idempotent by ref' '
	printf "ref,email,title,due,owner,priority\nF1,ann@example.com,Send brochure,2027-01-05,Lea,High\nF2,,Team meeting notes,2027-01-06,Lea,\n" >tasks.csv &&
	crm-task tasks.csv 2>err && test_grep "2 read, 2 inserted" err &&
	crm-task tasks.csv 2>err && test_grep "2 read, 0 inserted, 2 unchanged" err &&
	printf "ref,title,due\nF3,Oops,someday\n" >bad.csv &&
	test_must_fail 3 crm-task bad.csv 2>err && test_grep "bad.csv:2" err
'

test_expect_success 'a merge moves tickets and tasks to the survivor; unmerge moves them back' '
	printf "external_id,first_name,email\nC3,Ann,ann.other@example.com\n" >dup.csv &&
	crm-add -q dup.csv &&
	printf "ref,email,status,at\nT10,ann.other@example.com,new,2026-12-01\n" >t10.csv &&
	crm-ticket -q t10.csv &&
	crm-task add -q -c ann.other@example.com "Ask about the invoice" 2027-01-02 >id3 &&
	a=$(sql "select id from contacts where external_id = '"'"'C1'"'"'") &&
	b=$(sql "select id from contacts where external_id = '"'"'C3'"'"'") &&
	printf "id_a,id_b\n%s,%s\n" "$a" "$b" >pair.csv &&
	crm-dedupe merge -q <pair.csv >/dev/null &&
	test "$(sql "select contact_id from tickets where ref = '"'"'T10'"'"'")" = "$a" &&
	test "$(sql "select contact_id from tasks where id = $(cat id3)")" = "$a" &&
	crm-dedupe unmerge -q "$b" >/dev/null &&
	test "$(sql "select contact_id from tickets where ref = '"'"'T10'"'"'")" = "$b" &&
	test "$(sql "select contact_id from tasks where id = $(cat id3)")" = "$b" &&
	test "$(sql "select count(*) from tickets where contact_id = $a")" = 5
'

test_expect_success 'erasure takes the tickets and tasks of the person' '
	crm-forget -q bob@example.org &&
	test "$(sql "select count(*) from tickets t join contacts c on c.id = t.contact_id where c.erased_at is not null")" = 0 &&
	test "$(sql "select count(*) from tasks t join contacts c on c.id = t.contact_id where c.erased_at is not null")" = 0
'

# The EXAMPLES of crm-ticket(1) and crm-task(1), run as written in one
# shell (a pipe into mail or jq goes to a file instead), on a fresh
# database holding the contact they name; every command must succeed.
test_expect_success 'the examples in crm-ticket(1) and crm-task(1) run' '
	mkdir ex && (
		cd ex &&
		if [ -n "${CRM_TEST_PGHOST:-}" ]; then
			dropdb --if-exists "${PGDB}_ex" && createdb "${PGDB}_ex" &&
			CRM_DB=postgresql:///${PGDB}_ex
		else
			CRM_DB=$PWD/ex.db
		fi && export CRM_DB &&
		crm-add -q ../contacts.csv &&
		cp ../events.csv ticket-events.csv &&
		for m in crm-ticket crm-task; do
			mandoc -Tascii "$TOP/man/$m.1" | col -bx |
			    sed -n "/^EXAMPLES/,/^SEE ALSO/p" |
			    awk "/^ *[$] /{ sub(/^ *[$] /, \"\"); c = 1 } c { print }
				!/\\\\$/{ c = 0 }" || return 1
		done >lines &&
		test "$(grep -c "^crm-\|^id=" lines)" -ge 9 &&
		sed -e "s/ | mail .*/ >>mail.out/" -e "s/ | jq .*/ >jq.out/" \
		    lines >script &&
		{ echo "set -e"; cat script; } >run.sh &&
		sh run.sh 2>err &&
		test "$(sql "select value from service_calendar where key = '"'"'holiday 2026-12-25'"'"'")" = Christmas &&
		test_grep "^id,ref,due_at" mail.out &&
		test "$(sql "select count(*) from tasks where title = '"'"'Weekly check-in'"'"'")" = 2 &&
		test "$(sql "select team from tasks where title = '"'"'Renewal'"'"'")" = finance
	)
'

test_done
