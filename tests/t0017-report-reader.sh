#!/bin/sh
# crm-report for the person who reads it (issue 26, first part): a
# channel keeps its colour whatever its rank, outbound sends are charted
# apart from the customers' activity, tables under charts fold, a chart
# of zeros is a sentence, and "not available" is no CLV of 0.00.
. "$(dirname "$0")/lib.sh"

# The stacked bars of the channel chart: fill colour of each channel's
# legend swatch, as "channel colour" lines.
legend() {
	sed -n '/Interactions per week by channel/,/^<\/svg>/p' "$1" |
		grep -o '<rect[^>]*fill="#[0-9A-Fa-f]*"[^>]*/><text[^>]*>[a-z ]*<' |
		sed 's/.*fill="\(#[0-9A-Fa-f]*\)".*>\([a-z ]*\)<$/\2 \1/'
}

# Two contacts; in week one, email is the busiest channel, in the other
# database phone is: e-mail must be blue (#0072B2) in both.
cat >c.csv <<'CSV'
external_id,email,phone
A,a@example.com,+441234567890
B,b@example.com,+441234567891
CSV
cat >busy-email.csv <<'CSV'
external_id,at,channel,kind,direction,ref
A,2026-10-26T09:00Z,email,email,in,E1
A,2026-10-27T09:00Z,email,email,in,E2
B,2026-10-28T09:00Z,email,email,in,E3
B,2026-10-28T10:00Z,phone,call,in,P1
CSV
cat >busy-phone.csv <<'CSV'
external_id,at,channel,kind,direction,ref
A,2026-10-26T09:00Z,phone,call,in,P1
A,2026-10-27T09:00Z,phone,call,in,P2
B,2026-10-28T09:00Z,phone,call,in,P3
B,2026-10-28T10:00Z,email,email,in,E1
CSV
# 5 sends on 2026-10-29 (a campaign's e-mails), 1 customer reply.
cat >sends.csv <<'CSV'
external_id,at,channel,kind,direction,ref
A,2026-10-29T09:00Z,email,campaign,out,S1
B,2026-10-29T09:00Z,email,campaign,out,S2
A,2026-10-29T09:01Z,email,campaign,out,S3
B,2026-10-29T09:01Z,email,campaign,out,S4
A,2026-10-29T09:02Z,email,campaign,out,S5
A,2026-10-30T09:00Z,email,email,in,R1
CSV

test_expect_success 'a channel keeps its colour whatever its rank' '
	crm-add -q -d e.db c.csv && crm-log -q -d e.db busy-email.csv &&
	crm-add -q -d p.db c.csv && crm-log -q -d p.db busy-phone.csv &&
	crm-report -q -d e.db --as-of 2026-11-01 >e.html &&
	crm-report -q -d p.db --as-of 2026-11-01 >p.html &&
	legend e.html >e.legend && legend p.html >p.legend &&
	test_grep "^email #0072B2$" e.legend &&
	test_grep "^email #0072B2$" p.legend &&
	test_grep "^phone #E69F00$" e.legend &&
	test_grep "^phone #E69F00$" p.legend
'

test_expect_success 'outbound sends apart from the customers activity' '
	crm-add -q -d s.db c.csv && crm-log -q -d s.db sends.csv &&
	crm-report -q -d s.db --as-of 2026-11-01 >s.html &&
	test_grep "Outbound sends per week" s.html &&
	test_grep "5 interactions with direction out" s.html &&
	sed -n "/<table id=\"t-volume\">/,/<\/table>/p" s.html |
		grep "2026-10-26" >row &&
	test_grep "<td class=\"n\">1</td><td class=\"n\">1</td></tr>" row &&
	crm-report -q -d s.db --as-of 2026-11-01 -f text >s.txt &&
	test_grep "6 in the period (6 in the last week)" s.txt &&
	test_grep "email 16.7%, outbound sends 83.3%" s.txt
'

test_expect_success 'tables under charts fold; a chart of zeros is a sentence' '
	test_grep "<details><summary>The numbers</summary>" s.html &&
	test "$(grep -c "<details>" s.html)" = "$(grep -c "</details>" s.html)" &&
	CRM_NOW=2025-01-01T00:00:00Z crm-add -q -d old.db c.csv &&
	crm-log -q -d old.db sends.csv &&
	crm-report -q -d old.db --as-of 2026-11-01 >old.html &&
	test_grep "New contacts per week: nothing to draw, every value is" \
	    old.html &&
	! grep -q "<title>New contacts per week" old.html
'

# Scores stored without a lifetime value (a model without a spend part).
test_expect_success 'no lifetime value is not available, not 0.00' '
	sqlite3 -batch s.db "INSERT INTO models (id, kind, params, unit,
	    calibration_end, fitted_at) VALUES (1, '\''bgnbd'\'', '\''{}'\'',
	    '\''day'\'', 1793232000, 1793232000);
	    INSERT INTO scores (contact_id, model_id, p_alive,
	    expected_purchases, horizon_days, clv, scored_at)
	    SELECT id, 1, 0.3, 0.5, 90, NULL, 1793232000 FROM contacts" &&
	crm-report -q -d s.db --as-of 2026-11-01 -f text >t.txt &&
	test_grep "2 customers scored" t.txt &&
	test_grep "total CLV not available (no spend model)" t.txt &&
	! grep -q "total CLV 0.00" t.txt
'

# A file read again adds to the rows read, not to the data: the report
# says how many were unchanged.
test_expect_success 'a re-run shows as unchanged rows, not as more data' '
	crm-log -q -d s.db sends.csv &&
	crm-report -q -d s.db --as-of 2026-11-01 -f text >rr.txt &&
	test_grep "^  crm-log: 2 runs, 12 rows read (6 unchanged), 0 rejected$" rr.txt &&
	crm-report -q -d s.db --as-of 2026-11-01 >rr.html &&
	sed -n "/<table id=\"t-runs\">/,/<\/table>/p" rr.html |
	    grep ">crm-log<" >row &&
	test_grep "<td class=\"n\">2</td><td class=\"n\">12</td><td class=\"n\">6</td><td class=\"n\">0</td><td class=\"n\">6</td><td class=\"n\">0</td>" row
'

# Ann (A) is a Champion as of 2026-11-01 (t0005-segment.sh: 3 purchases,
# the last on 2026-10-30, 2 days before); a model that gives her a
# P(alive) of 0.017 is explained, not left standing.
test_expect_success 'a Champion with a low P(alive) gets a reason' '
	crm-add -q -d ch.db "$DATA/segment-contacts.csv" &&
	crm-log -q -d ch.db "$DATA/segment-purchases.csv" &&
	sqlite3 -batch ch.db "INSERT INTO models (id, kind, params, unit,
	    calibration_end, fitted_at) VALUES (1, '\''bgnbd'\'', '\''{}'\'',
	    '\''day'\'', 1793232000, 1793232000);
	    INSERT INTO scores (contact_id, model_id, p_alive,
	    expected_purchases, horizon_days, clv, scored_at)
	    SELECT id, 1, 0.017, 0.1, 90, 1.0, 1793232000 FROM contacts
	    WHERE external_id = '\''A'\''" &&
	crm-report -q -d ch.db --as-of 2026-11-01 >ch.html &&
	sed -n "/<table id=\"t-risk\">/,/<\/table>/p" ch.html | grep ">Ann<" >row &&
	test_grep ">Champions<" row &&
	test_grep "bought 3 times, but not for 2 days: recent among all customers (RFM), late for one who bought this often (the model)" row
'

test_done
