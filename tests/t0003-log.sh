#!/bin/sh
# crm-log: import, idempotence, bad input, show, stats.
. "$(dirname "$0")/lib.sh"

cat >contacts.csv <<'CSV'
external_id,first_name,email,phone
C1,Ann,ann@example.com,+44 20 7946 0958
C2,Bob,bob@example.org,+1 415 555 0134
C3,Cy,cy@example.net,
CSV

cat >log.csv <<'CSV'
external_id,email,phone,at,channel,kind,direction,amount,currency,product,category,subject,status,closed_at,ref
C1,,,2026-10-01T10:00:00+02:00,store,purchase,in,"1,234.50",EUR,Widget,tools,,,,O1
C1,,,2026-10-05,email,email,out,,,,,Welcome,,,
,bob@example.org,,2026-10-06T09:00Z,phone,ticket,in,,,,,Broken,open,,T1
C2,,,2026-10-07T12:00Z,Web,purchase,in,$19.99,,Gadget,toys,,,,O2
,,+44 20 7946 0958,2026-10-20T08:00Z,phone,call,in,,,,,Question,,,
C1,,,2026-10-21T08:00Z,chat,ticket,in,,,,,Refund,closed,2026-10-21T10:00Z,T2
CSV

test_expect_success 'set up contacts' '
	crm-add -q contacts.csv
'

test_expect_success 'import interactions, contacts by external_id, email or phone' '
	crm-log log.csv 2>err &&
	test_grep "6 read, 6 inserted, 0 updated, 0 unchanged, 0 rejected" err &&
	test "$(sql "select c.external_id, count(*) from interactions i join contacts c on c.id = i.contact_id group by 1 order by 1")" = "$(printf "C1|4\nC2|2")"
'

test_expect_success 're-importing the same file adds nothing' '
	crm-log log.csv 2>err &&
	test_grep "6 read, 0 inserted, 0 updated, 6 unchanged" err &&
	test "$(sql "select count(*) from interactions")" = 6
'

test_expect_success 'rows without a ref are kept once per content' '
	printf "external_id,at,channel,kind,subject\nC3,2026-10-02,web,visit,Home\nC3,2026-10-02,web,visit,Home\nC3,2026-10-02,web,visit,Pricing\n" >visits.csv &&
	crm-log visits.csv 2>err &&
	test_grep "3 read, 2 inserted, 0 updated, 1 unchanged" err &&
	test_grep "warning: 1 record without a ref identical to another of this input" err &&
	crm-log visits.csv 2>err &&
	test_grep "3 read, 0 inserted, 0 updated, 3 unchanged" err &&
	! grep -q "identical to another" err
'

test_expect_success 'a known ref with new fields updates it; empty cells keep values' '
	printf "external_id,at,channel,kind,status,closed_at,ref\nC2,2026-10-06T09:00Z,phone,ticket,closed,2026-10-06T15:30Z,T1\n" >close.csv &&
	crm-log close.csv 2>err &&
	test_grep "1 updated" err &&
	test "$(sql "select status, subject, direction, closed_at - at from interactions where ref = '\''T1'\''")" = "closed|Broken|in|23400" &&
	crm-log close.csv 2>err &&
	test_grep "1 unchanged" err
'

test_expect_success 'amounts and currencies' '
	test "$(sql "select ref, printf('\''%.2f'\'', amount), currency from interactions where ref like '\''O%'\'' order by ref")" = "$(printf "O1|1234.50|EUR\nO2|19.99|USD")" &&
	printf "external_id,at,channel,kind,amount,currency,ref\nC3,2026-10-03,store,purchase,\"12,50 €\",,A1\nC3,2026-10-03,store,purchase,1.234.567,89,,A2\nC3,2026-10-03,store,purchase,-5,GBP,A3\n" >amounts.csv &&
	test_must_fail 3 crm-log -q --currency EUR amounts.csv 2>err &&
	test_grep "expected 7 fields" err &&
	printf "external_id,at,channel,kind,amount,currency,ref\nC3,2026-10-03,store,purchase,12 €,,A1\nC3,2026-10-03,store,purchase,\"1.234.567,89\",,A2\nC3,2026-10-03,store,purchase,-5,GBP,A3\nC3,2026-10-03,store,purchase,7,,A4\n" >amounts.csv &&
	crm-log -q --currency EUR amounts.csv &&
	test "$(sql "select ref, printf('\''%.2f'\'', amount), currency from interactions where ref like '\''A%'\'' order by ref")" = "$(printf "A1|12.00|EUR\nA2|1234567.89|EUR\nA3|-5.00|GBP\nA4|7.00|EUR")"
'

test_expect_success 'bad amount, currency clash, bad date and offset are refused' '
	printf "external_id,at,channel,kind,amount,currency\nC3,2026-10-03,store,purchase,12x,\n" >bad1.csv &&
	test_must_fail 3 crm-log bad1.csv 2>err &&
	test_grep "bad1.csv:2: invalid amount .12x." err &&
	printf "external_id,at,channel,kind,amount,currency\nC3,2026-10-03,store,purchase,\$5,EUR\n" >bad2.csv &&
	test_must_fail 3 crm-log bad2.csv 2>err &&
	test_grep "bad2.csv:2: amount in USD but currency EUR" err &&
	printf "external_id,at,channel,kind\nC3,2026-02-30,web,visit\n" >bad3.csv &&
	test_must_fail 3 crm-log bad3.csv 2>err &&
	test_grep "bad3.csv:2: invalid date .2026-02-30." err &&
	printf "external_id,at,channel,kind\nC3,2026-02-03T10:00+15:00,web,visit\n" >bad4.csv &&
	test_must_fail 3 crm-log bad4.csv 2>err &&
	test_grep "bad4.csv:2: invalid date-time .2026-02-03T10:00+15:00.: bad time zone offset" err
'

test_expect_success 'unknown channel lists the accepted ones; --alias maps it' '
	printf "external_id,at,channel,kind\nC3,2026-10-04,fax,note\n" >fax.csv &&
	test_must_fail 3 crm-log fax.csv 2>err &&
	test_grep "fax.csv:2: unknown channel .fax. (email, phone, web, store, ivr, chat, sms, social, mail, other" err &&
	crm-log --alias fax=other fax.csv &&
	test "$(sql "select channel from interactions where kind = '\''note'\''")" = other &&
	test_must_fail 2 crm-log --alias fax=pigeon fax.csv
'

test_expect_success 'an unknown contact is an error, or a stub with --create-missing' '
	printf "external_id,at,channel,kind\nC9,2026-10-04,web,visit\n" >unknown.csv &&
	test_must_fail 3 crm-log unknown.csv 2>err &&
	test_grep "unknown.csv:2: no contact with external_id .C9." err &&
	crm-log --create-missing unknown.csv 2>err &&
	test_grep "1 contact created" err &&
	test "$(sql "select stage from contacts where external_id = '\''C9'\''")" = lead
'

test_expect_success 'the whole batch is refused on one bad row; --rejects keeps the good' '
	n=$(sql "select count(*) from interactions") &&
	printf "external_id,at,channel,kind\nC3,2026-10-08,web,visit\nC3,yesterday,web,visit\n" >mixed.csv &&
	test_must_fail 3 crm-log mixed.csv &&
	test "$(sql "select count(*) from interactions")" = "$n" &&
	test_must_fail 3 crm-log -r rej.csv mixed.csv &&
	test "$(sql "select count(*) from interactions")" = "$((n + 1))" &&
	test_grep "^C3,yesterday,web,visit,mixed.csv:3: invalid date .yesterday." rej.csv
'

test_expect_success 'an interaction for a merged contact goes to the survivor' '
	sql "update contacts set merged_into = 1 where external_id = '\''C3'\''" &&
	printf "external_id,at,channel,kind,ref\nC3,2026-10-09,web,visit,M1\n" >merged.csv &&
	crm-log merged.csv &&
	test "$(sql "select c.external_id from interactions i join contacts c on c.id = i.contact_id where ref = '\''M1'\''")" = C1
'

test_expect_success 'imports leave every foreign key intact (they write with the check off)' '
	test "$(sql "pragma foreign_key_check")" = "" &&
	test "$(sql "select count(*) from interactions i left join contacts c on c.id = i.contact_id where c.id is null")" = 0
'

test_expect_success 'show: a timeline newest first, merged histories included' '
	crm-log show C1 -c web >out &&
	cat >expect <<-\EOF &&
	at,channel,kind,direction,amount,currency,product,category,quantity,subject,note,status,closed_at,campaign,ref
	2026-10-09T00:00:00Z,web,visit,,,,,,,,,,,,M1
	2026-10-08T00:00:00Z,web,visit,,,,,,,,,,,,
	2026-10-02T00:00:00Z,web,visit,,,,,,,Pricing,,,,,
	2026-10-02T00:00:00Z,web,visit,,,,,,,Home,,,,,
	EOF
	test_cmp expect out
'

test_expect_success 'show: by email, phone or #id, filters, JSON' '
	crm-log show bob@example.org -k purchase -f json >out &&
	echo "{\"at\":\"2026-10-07T12:00:00Z\",\"channel\":\"web\",\"kind\":\"purchase\",\"direction\":\"in\",\"amount\":19.99,\"currency\":\"USD\",\"product\":\"Gadget\",\"category\":\"toys\",\"quantity\":null,\"subject\":null,\"note\":null,\"status\":null,\"closed_at\":null,\"campaign\":null,\"ref\":\"O2\"}" >expect &&
	test_cmp expect out &&
	crm-log show "+44 20 7946 0958" --since 2026-10-20 --until 2026-10-21 -f tsv >out &&
	printf "at\tchannel\tkind\tdirection\tamount\tcurrency\tproduct\tcategory\tquantity\tsubject\tnote\tstatus\tclosed_at\tcampaign\tref\n2026-10-20T08:00:00Z\tphone\tcall\tin\t\t\t\t\t\tQuestion\t\t\t\t\t\n" >expect &&
	test_cmp expect out &&
	crm-log show "#2" -l 1 -f csv >out &&
	test $(wc -l <out) = 2 &&
	test_must_fail 3 crm-log show nobody@example.com 2>err &&
	test_grep "no contact .nobody@example.com." err
'

test_expect_success 'stats: per window, channel and kind' '
	crm-log stats --as-of 2026-11-01 -w 30d,1y >out &&
	cat >expect <<-\EOF &&
	window_days,channel,kind,interactions,inbound,outbound,contacts,amount,currency
	30,chat,ticket,1,1,0,1,0.00,
	30,email,email,1,0,1,1,0.00,
	30,other,note,1,0,0,1,0.00,
	30,phone,call,1,1,0,1,0.00,
	30,phone,ticket,1,1,0,1,0.00,
	30,store,purchase,3,0,0,1,1234586.89,EUR
	30,store,purchase,1,0,0,1,-5.00,GBP
	30,web,purchase,1,1,0,1,19.99,USD
	30,web,visit,5,0,0,3,0.00,
	365,chat,ticket,1,1,0,1,0.00,
	365,email,email,1,0,1,1,0.00,
	365,other,note,1,0,0,1,0.00,
	365,phone,call,1,1,0,1,0.00,
	365,phone,ticket,1,1,0,1,0.00,
	365,store,purchase,4,1,0,2,1235821.39,EUR
	365,store,purchase,1,0,0,1,-5.00,GBP
	365,web,purchase,1,1,0,1,19.99,USD
	365,web,visit,5,0,0,3,0.00,
	EOF
	test_cmp expect out
'

test_expect_success 'stats: preferred channel and tickets' '
	crm-log stats --preferred >out &&
	cat >expect <<-\EOF &&
	id,external_id,email,preferred_channel,inbound,inbound_total
	1,C1,ann@example.com,chat,1,3
	2,C2,bob@example.org,web,1,2
	EOF
	test_cmp expect out &&
	crm-log stats --tickets --as-of 2026-11-01 -w 90 >out &&
	cat >expect <<-\EOF &&
	channel,tickets,open,closed,resolved,mean_hours,median_hours
	chat,1,0,1,1,2.00,2.00
	phone,1,0,1,1,6.50,6.50
	EOF
	test_cmp expect out
'

test_expect_success 'unsubscribes and bounces withdraw consent, once' '
	rm -f u.db* &&
	printf "external_id,email,phone,email_opt_in,sms_opt_in\nU1,u1@x.com,+447400900001,yes,yes\nU2,u2@x.com,+447400900002,yes,yes\nU3,u3@x.com,,yes,\n" >uc.csv &&
	crm-add -q -d u.db uc.csv &&
	printf "external_id,at,channel,kind,direction,ref\nU1,2026-11-01T10:00:00Z,email,unsubscribe,in,u1\nU2,2026-11-01T10:00:00Z,sms,bounce,in,b2\nU3,2026-11-01T10:00:00Z,web,unsubscribe,in,\n" >u.csv &&
	crm-log -d u.db u.csv 2>err &&
	test_grep "3 read, 3 inserted, 0 updated, 0 unchanged, 0 rejected; 2 consents withdrawn" err &&
	cat >expect <<-EOF &&
	U1|0|1
	U2|1|0
	U3|1|
	EOF
	sqlite3 u.db "select external_id, email_opt_in, sms_opt_in from contacts order by id" >out &&
	test_cmp expect out &&
	cat >expect <<-EOF &&
	1|email|0|crm-log unsubscribe|2026-11-01 10:00:00
	2|sms|0|crm-log bounce|2026-11-01 10:00:00
	EOF
	sqlite3 u.db "select contact_id, channel, granted, source, datetime(at, '\''unixepoch'\'') from consent_events where source like '\''crm-log%'\'' order by id" >out &&
	test_cmp expect out &&
	crm-log -d u.db u.csv 2>err &&
	test_grep "3 read, 0 inserted, 0 updated, 3 unchanged, 0 rejected$" err &&
	test "$(sqlite3 u.db "select count(*) from consent_events where source like '\''crm-log%'\''")" = 2 &&
	crm-add -d u.db uc.csv 2>err &&
	test_grep "kept 2 opt-outs" err &&
	crm-export -d u.db -C email -c external_id >out &&
	! grep U1 out && grep -q U3 out
'

test_expect_success 'usage errors' '
	test_must_fail 2 crm-log show 2>err &&
	test_grep "^usage: crm-log" err &&
	test_must_fail 2 crm-log stats -w 0 &&
	test_must_fail 2 crm-log show C1 -c fax
'

test_done
