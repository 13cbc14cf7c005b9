#!/bin/sh
# crm-report: the sales pipeline (open deals by stage, the forecast of
# the next three months, per currency) and the accounts (top by revenue
# in the period, at risk), in text and HTML, each figure worked out by
# hand; a database without deals or accounts reports as before.
. "$(dirname "$0")/lib.sh"

CRM_NOW=2026-11-01
export CRM_NOW

# Two partners: P1 (a reseller) brought Acme, P2 (a referrer) Beta.
cat >accounts.csv <<'CSV'
external_id,name,type,partner
A1,Acme Ltd,customer,P1
B1,Beta Corp,customer,P2
P1,Channel Co,reseller,
P2,Tip Ltd,referrer,
CSV

# Cy works nowhere, but P1 sourced him.  Ann and Cy are ann's
# customers, Bob is raj's.
cat >contacts.csv <<'CSV'
external_id,first_name,last_name,email,account,since,partner,owner
C1,Ann,Lee,ann@acme.example,A1,2026-01-01,,ann
C2,Bob,Ray,bob@beta.example,B1,2026-01-01,,raj
C3,Cy,Fox,cy@example.net,,,P1,ann
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
# two currencies; one won (Cy) and one lost (Ann) in October, outside
# the forecast's months; without a currency, as the purchases are (a
# deal won is logged as a purchase: Cy's 500 on 20 October).
cat >deals.csv <<'CSV'
ref,contact,company,title,amount,currency,stage,close_date,owner,source,lost_reason,at
D1,C1,,Widgets,1000,EUR,qualification,2026-11-20,ann,web,,2026-10-01
D2,C2,,Gadgets,3000,EUR,proposal,2026-12-15,ann,web,,2026-10-05
D3,C1,,Parts,400,USD,proposal,2027-01-10,raj,web,,2026-10-06
D4,C3,,Bolts,500,,won,2026-10-20,raj,web,,2026-10-20
D5,C1,,Nuts,100,,lost,2026-10-25,ann,web,price,2026-10-25
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

test_expect_success 'set up: 2 accounts, 2 partners, 5 deals' '
	crm-account -q accounts.csv &&
	crm-account link contacts.csv 2>err &&
	crm-deal -q deals.csv &&
	test "$(sql "SELECT count(*) FROM deals")" = 5
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

# Partners, all time.  P1 brought Ann (through Acme) and Cy (his own
# column): 2 contacts, both bought, 1000 + 300 + 200 + 999 + 500 (the
# deal won) = 2999; of
# their closed deals D4 was won and D5 lost: 1 won, 50%.  P2 brought Bob
# (Beta): 150, D2 still open, so no win rate.  P1 first, by revenue.
test_expect_success 'partners: customers, revenue, deals won, win rate' '
	crm-report -f text --as-of 2026-11-01 >p.txt 2>err &&
	test_grep "^  partners, all time (contacts, customers, revenue, won, win rate):$" p.txt &&
	test_grep "^    P1  *Channel Co  *2  *2  *2,999.00  *1  *50.0%$" p.txt &&
	test_grep "^    P2  *Tip Ltd  *1  *1  *150.00  *0 *$" p.txt &&
	test "$(grep -n "Channel Co" p.txt | cut -d: -f1)" -lt \
	    "$(grep -n "Tip Ltd" p.txt | cut -d: -f1)" &&
	crm-report -q --as-of 2026-11-01 >p.html &&
	test_grep "<tr><th scope=\"row\">P1</th><td class=\"n\">Channel Co</td><td class=\"n\">reseller</td><td class=\"n\">2</td><td class=\"n\">2</td><td class=\"n\">2,999.00</td><td class=\"n\">1</td><td class=\"n\">50.0%</td></tr>" p.html &&
	test_grep "<tr><th scope=\"row\">P2</th><td class=\"n\">Tip Ltd</td><td class=\"n\">referrer</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">150.00</td><td class=\"n\">0</td><td class=\"n\"></td></tr>" p.html
'

test_expect_success 'partners: the figures crm-account partners prints' '
	crm-account partners -f csv >pc.csv &&
	test_grep "^[0-9]*,P1,Channel Co,reseller,1,2,2,2999.00,1,1,0.5000,500.00$" pc.csv &&
	test_grep "^[0-9]*,P2,Tip Ltd,referrer,1,1,1,150.00,0,0,,0.00$" pc.csv
'

test_expect_success 'the line on standard error counts the sales sections' '
	test_grep "as of 2026-11-01: 3 contacts, 6 interactions in 91 days, 2 of 7 sections without data" err
'

# Churn scores stored for the people (as crm-churn score stores them):
# Ann 0.2, Bob 0.9, Cy 0.1.  Acme's only buyer is Ann: P(alive) 0.20,
# its revenue 1500 (her purchases since she joined on 1 January), at
# risk 1500 x (1 - 0.2) = 1200; Beta (0.9) is not at risk, and Cy works
# at no account.
test_expect_success 'accounts at risk from stored churn scores' '
	sql "INSERT INTO scores (contact_id, p_alive, expected_purchases,
	    horizon_days, clv, scored_at)
	    SELECT id, CASE external_id WHEN '\''C1'\'' THEN 0.2
	    WHEN '\''C2'\'' THEN 0.9 ELSE 0.1 END, 1, 90, 10,
	    1793491200 FROM contacts" &&
	crm-report -q -f text --as-of 2026-11-01 >k.txt &&
	test_grep "^  accounts at risk (P(alive) < 0.50; revenue at risk, P(alive)):$" k.txt &&
	test_grep "^    A1  *Acme Ltd  *1,200.00  0.20$" k.txt &&
	! grep -q "^    B1 .*0.90$" k.txt &&
	crm-report -q --as-of 2026-11-01 >k.html &&
	test_grep "<tr><th scope=\"row\">A1</th><td class=\"n\">Acme Ltd</td><td class=\"n\">1</td><td class=\"n\">0.20</td><td class=\"n\">1,500.00</td><td class=\"n\">1,200.00</td></tr>" k.html &&
	! grep -q "accounts-risk.*Beta Corp" k.html
'

# ann's report.  Her contacts: Ann and Cy (2).  Their interactions in
# the period: Ann's O2 and O3 and her deal lost (crm-deal logs it), Cy's
# O5 and the purchase of his deal won (5, of them 4 purchases); the previous period (4 May to 2 August) had Ann
# alone, with no interaction (her purchase of 1 May is before it).
# Both are scored below 0.5: 2 of 2 at risk.  Her open deals (the deal's
# owner): D1 and D2, EUR, 1000 + 3000 = 4000, weighted 200 + 1950 = 2150;
# raj's D3 is not hers.  One overdue task each: hers counts.  Partners
# stay the whole business's.
test_expect_success '--owner: her contacts, deals and tasks, by hand' '
	crm-task add -q -O ann "Call Ann" 2026-10-20 >t1 &&
	crm-task add -q -O raj "Call Bob" 2026-10-21 >t2 &&
	crm-report -f text --as-of 2026-11-01 --owner ann -s own.st >o.txt 2>err &&
	test_grep "as of 2026-11-01: 2 contacts, 5 interactions in 91 days" err &&
	test_grep "^OWNER$" o.txt &&
	test_grep "^  contacts  *2  up 1 (+100.0%)" o.txt &&
	test_grep "^  interactions  *5  up 5 (from none)" o.txt &&
	test_grep "^  purchases  *4  up 4 (from none)" o.txt &&
	test_grep "^  - 2 of 2 scored customers at risk" o.txt &&
	test_grep "^  - 1 overdue task: ann 1\.$" o.txt &&
	test_grep "^    all open stages  *EUR  *2  *4,000.00  *2,150.00$" o.txt &&
	! grep -q "^    all open stages  *USD" o.txt &&
	test_grep "^    P2  *Tip Ltd" o.txt &&
	test ! -e own.st &&
	crm-report -q --as-of 2026-11-01 --owner ann >o.html &&
	test_grep "<p class=\"meta\"><b>ann</b>: the contacts this person owns" o.html &&
	xmllint --noout o.html &&
	crm-report -q -f mail --as-of 2026-11-01 --owner ann >o.eml &&
	test_grep "^Subject: CRM report for 2026-11-01: ann$" o.eml &&
	test_must_fail 2 crm-report --owner "ann
Bcc: x@example.com" 2>err &&
	test_grep "is not one line" err
'

test_expect_success '--owner of nobody: an empty report, no error' '
	crm-report -f text --as-of 2026-11-01 --owner nobody >n.txt 2>err &&
	test_grep "as of 2026-11-01: 0 contacts, 0 interactions" err
'

# A purchase in USD in the period: revenue in two currencies, which no
# sum may add up; the accounts are not ranked and no partner revenue is
# shown, each with a sentence saying why.
test_expect_success 'several currencies: a sentence, no mixed sums' '
	printf "external_id,at,channel,kind,amount,currency,ref\nC2,2026-10-20,web,purchase,70,USD,O6\n" >usd.csv &&
	crm-log -q usd.csv &&
	crm-report -q -f text --as-of 2026-11-01 >m.txt &&
	test_grep "Revenue is in several currencies: no ranking of accounts by it" m.txt &&
	! grep -q "^    A1  *Acme Ltd  *500.00$" m.txt &&
	test_grep "^    P1  *Channel Co  *2  *2  *-  *1  *50.0%$" m.txt &&
	crm-report -q --as-of 2026-11-01 >m.html &&
	test_grep "Revenue in the period is in several currencies: accounts are not ranked by it." m.html &&
	test_grep "(not shown: it adds several currencies)" m.html &&
	! grep -q "accounts-top" m.html
'

test_done
