#!/bin/sh
# crm-report: the sales pipeline (open deals by stage, the forecast of
# the next three months, per currency) and the accounts (top by revenue
# in the period, at risk), in text and HTML, each figure worked out by
# hand; a database without deals or accounts reports as before.
. "$(dirname "$0")/lib.sh"

CRM_NOW=2026-11-01
export CRM_NOW

cat >accounts.csv <<'CSV'
external_id,name,type
A1,Acme Ltd,customer
B1,Beta Corp,customer
CSV

cat >contacts.csv <<'CSV'
external_id,first_name,last_name,email,account,since
C1,Ann,Lee,ann@acme.example,A1,2026-01-01
C2,Bob,Ray,bob@beta.example,B1,2026-01-01
C3,Cy,Fox,cy@example.net,,
CSV

# The period is the 91 days to 1 November: 3 August to 1 November.
# A1: 300 + 200 in it (the 1000 of May is before it); B1: 150; C3 works
# nowhere.
cat >log.csv <<'CSV'
external_id,at,channel,kind,amount,ref
C1,2026-05-01,web,purchase,1000,O1
C1,2026-09-01,web,purchase,300,O2
C1,2026-10-01,web,purchase,200,O3
C2,2026-10-15,store,purchase,150,O4
C3,2026-10-02,web,purchase,999,O5
CSV

# Three open deals in two stages (qualification 0.2, proposal 0.65) and
# two currencies.
cat >deals.csv <<'CSV'
ref,contact,company,title,amount,currency,stage,close_date,owner,source,lost_reason,at
D1,C1,,Widgets,1000,EUR,qualification,2026-11-20,ann,web,,2026-10-01
D2,C2,,Gadgets,3000,EUR,proposal,2026-12-15,ann,web,,2026-10-05
D3,C1,,Parts,400,USD,proposal,2027-01-10,raj,web,,2026-10-06
CSV

test_expect_success 'a database without deals or accounts: no new section' '
	crm-add -q contacts.csv &&
	crm-log -q log.csv &&
	crm-report -q -f text --as-of 2026-11-01 >plain.txt &&
	crm-report -q --as-of 2026-11-01 >plain.html &&
	! grep -q "SALES PIPELINE" plain.txt &&
	! grep -q "^ACCOUNTS" plain.txt &&
	! grep -q "id=\"pipeline\"" plain.html &&
	! grep -q "id=\"accounts\"" plain.html
'

test_expect_success 'set up: 2 accounts, 3 deals' '
	crm-account -q accounts.csv &&
	crm-account link contacts.csv 2>err &&
	crm-deal -q deals.csv &&
	test "$(sql "SELECT count(*) FROM deals")" = 3
'

test_expect_success 'text: the pipeline by stage, per currency' '
	crm-report -f text --as-of 2026-11-01 >r.txt 2>err &&
	test_grep "^SALES PIPELINE" r.txt &&
	# 1000 x 0.2 = 200; 3000 x 0.65 = 1950; 400 x 0.65 = 260
	test_grep "qualification  *EUR  *1  *1,000.00  *200.00$" r.txt &&
	test_grep "proposal  *EUR  *1  *3,000.00  *1,950.00$" r.txt &&
	test_grep "proposal  *USD  *1  *400.00  *260.00$" r.txt
'

test_expect_success 'text: the forecast of November, December, January' '
	test_grep "2026-11  *EUR  *1  *0.00  *200.00  *1,000.00$" r.txt &&
	test_grep "2026-12  *EUR  *1  *0.00  *1,950.00  *3,000.00$" r.txt &&
	test_grep "2027-01  *USD  *1  *0.00  *260.00  *400.00$" r.txt
'

test_expect_success 'text: top accounts by revenue in the period' '
	test_grep "^ACCOUNTS" r.txt &&
	test_grep "A1  *Acme Ltd  *500.00$" r.txt &&
	test_grep "B1  *Beta Corp  *150.00$" r.txt &&
	test "$(grep -n "Acme Ltd" r.txt | cut -d: -f1)" -lt \
	    "$(grep -n "Beta Corp" r.txt | cut -d: -f1)" &&
	test_grep "No accounts at risk: no churn scores stored" r.txt
'

test_expect_success 'HTML: the same figures, in tables' '
	crm-report -q --as-of 2026-11-01 >r.html &&
	test_grep "<a href=\"#pipeline\">Sales pipeline</a>" r.html &&
	test_grep "<a href=\"#accounts\">Accounts</a>" r.html &&
	test_grep "<tr><th scope=\"row\">proposal</th><td class=\"n\">EUR</td><td class=\"n\">1</td><td class=\"n\">3,000.00</td><td class=\"n\">1,950.00</td></tr>" r.html &&
	test_grep "<tr><th scope=\"row\">2027-01</th><td class=\"n\">USD</td><td class=\"n\">1</td><td class=\"n\">0.00</td><td class=\"n\">260.00</td><td class=\"n\">400.00</td></tr>" r.html &&
	test_grep "<tr><th scope=\"row\">A1</th><td class=\"n\">Acme Ltd</td><td class=\"n\">500.00</td></tr>" r.html &&
	test_grep "No accounts at risk: no churn scores stored" r.html
'

test_expect_success 'no deals open: the pipeline says so in a sentence' '
	crm-report -q -f text --as-of 2026-09-01 >early.txt &&
	test_grep "No open deal on 2026-09-01" early.txt
'

test_done
