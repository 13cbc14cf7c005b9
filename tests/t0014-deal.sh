#!/bin/sh
# crm-deal: a dozen deals through the stages over two quarters; the
# pipeline as of several dates, the forecast, win rates, cycle length and
# the funnel, each worked out by hand from tests/data/deals.csv.
. "$(dirname "$0")/lib.sh"

CRM_NOW=2026-07-01
export CRM_NOW

test_expect_success 'set up contacts; the default pipeline is there' '
	crm-add -q "$DATA/deals-contacts.csv" &&
	crm-deal stages >stages.csv &&
	cat >expect <<-\EOT &&
	pipeline,position,stage,probability,outcome
	sales,1,qualification,0.2,open
	sales,2,needs analysis,0.25,open
	sales,3,proposal,0.65,open
	sales,4,negotiation,0.8,open
	sales,5,won,1,won
	sales,6,lost,0,lost
	EOT
	test_cmp expect stages.csv
'

test_expect_success 'import: 12 deals, 34 records, every change kept' '
	crm-deal "$DATA/deals.csv" 2>err &&
	test_grep "34 read, 12 inserted, 22 updated, 0 unchanged, 0 rejected; 34 changes, 5 won, 3 lost" err &&
	test "$(sql "SELECT count(*) FROM deals")" = 12 &&
	test "$(sql "SELECT count(*) FROM deal_history")" = 34
'

test_expect_success 'a re-import changes nothing; an older record is history told' '
	crm-deal "$DATA/deals.csv" 2>err &&
	test_grep "34 read, 0 inserted, 0 updated, 34 unchanged" err &&
	printf "ref,stage,at\nD09,qualification,2026-05-01\n" >old.csv &&
	crm-deal old.csv 2>err &&
	test_grep "1 unchanged" err &&
	test "$(sql "SELECT s.name FROM deals d JOIN deal_stages s ON s.id = d.stage_id WHERE ref = '\''D09'\''")" = proposal
'

test_expect_success 'show: who, when, from and to' '
	crm-deal show D04 >show.csv &&
	cat >expect <<-\EOT &&
	at,event,changed_by,stage,amount,currency,close_date,detail
	2026-02-01T00:00:00Z,created,raj,qualification,3000.00,EUR,2026-04-30,
	2026-02-20T00:00:00Z,stage,raj,needs analysis,3000.00,EUR,2026-04-30,from qualification
	2026-03-10T00:00:00Z,stage,raj,proposal,3000.00,EUR,2026-04-30,from needs analysis
	2026-04-05T00:00:00Z,amount,raj,proposal,3500.00,EUR,2026-04-30,from 3000.00
	2026-04-28T00:00:00Z,stage,raj,won,3500.00,EUR,2026-04-30,from proposal
	EOT
	test_cmp expect show.csv
'

# As of 31 January: D01 in needs analysis since 20 Jan (11 days), D02 and
# D03 in qualification since 10 and 12 Jan (21 and 19 days).
test_expect_success 'pipeline as of 31 January' '
	crm-deal pipeline --as-of 2026-01-31 >p1.csv &&
	cat >expect <<-\EOT &&
	pipeline,stage,currency,deals,amount,weighted,age_days,stale,overdue
	sales,qualification,EUR,2,2500.00,500.00,20.0,0,0
	sales,needs analysis,EUR,1,1000.00,250.00,11.0,0,0
	EOT
	test_cmp expect p1.csv
'

# As of 31 March: D01 and D02 won, D03 lost; D06 qualification since 1 Mar
# (30 days, 1500 x 0.2); D05 (800, since 1 Mar) and D07 (2500, since 20
# Mar): 3300 x 0.25 = 825, ages 30 and 11; D04 proposal since 10 Mar,
# 3000 x 0.65 = 1950.  Stale (no change for 30 days, the default): D06
# and D05.
test_expect_success 'pipeline as of 31 March' '
	crm-deal pipeline --as-of 2026-03-31 >p2.csv &&
	cat >expect <<-\EOT &&
	pipeline,stage,currency,deals,amount,weighted,age_days,stale,overdue
	sales,qualification,EUR,1,1500.00,300.00,30.0,1,0
	sales,needs analysis,EUR,2,3300.00,825.00,20.5,1,0
	sales,proposal,EUR,1,3000.00,1950.00,21.0,0,0
	EOT
	test_cmp expect p2.csv
'

# As of 30 June: D11 qualification since 15 May (46 days, 700 x 0.2);
# D06 proposal since 1 Apr (90 days) and D09 since 15 Jun (15): 5500 x
# 0.65; D12 negotiation since 1 Jun (29 days), 1000 x 0.8, its close date
# (10 Jun) passed.  Stale: D11.
test_expect_success 'pipeline as of 30 June' '
	crm-deal pipeline --as-of 2026-06-30 >p3.csv &&
	cat >expect <<-\EOT &&
	pipeline,stage,currency,deals,amount,weighted,age_days,stale,overdue
	sales,qualification,EUR,1,700.00,140.00,46.0,1,0
	sales,proposal,EUR,2,5500.00,3575.00,52.5,0,0
	sales,negotiation,EUR,1,1000.00,800.00,29.0,0,1
	EOT
	test_cmp expect p3.csv
'

# Now (1 July), no change for 30 days: D11 (15 May) and D12 (1 Jun); D06
# changed its close date on 20 Jun.
test_expect_success 'pipeline now by owner; stale deals' '
	crm-deal pipeline --by owner >p4.csv &&
	cat >expect <<-\EOT &&
	owner,currency,deals,amount,weighted,age_days,stale,overdue
	ann,EUR,2,4700.00,2740.00,31.5,1,0
	raj,EUR,2,2500.00,1775.00,60.5,1,1
	EOT
	test_cmp expect p4.csv &&
	crm-deal stale -s 30 >stale.csv &&
	cat >expect <<-\EOT &&
	ref,title,owner,pipeline,stage,amount,currency,close_date,days_since_change,reason
	D11,Add-on,ann,sales,qualification,700.00,EUR,2026-07-15,47,no change
	D12,Renewal,raj,sales,negotiation,1000.00,EUR,2026-06-10,30,no change; close date passed
	EOT
	test_cmp expect stale.csv
'

# Forecast made on 1 July for Q3: D06 (31 Jul, 1500 x 0.65 = 975), D09
# (31 Aug, 4000 x 0.65 = 2600), D11 (15 Jul, 700 x 0.2 = 140) and D12
# (close passed: counts now, 1000 x 0.8 = 800, committed at 0.8).
test_expect_success 'weighted forecast by quarter' '
	crm-deal forecast --by quarter -p 1 >f1.csv &&
	cat >expect <<-\EOT &&
	period,start,currency,open_deals,won,committed,best_case,weighted,weighted_low,weighted_high
	2026-Q3,2026-07-01,EUR,4,0.00,1000.00,7200.00,4515.00,4515.00,4515.00
	EOT
	test_cmp expect f1.csv
'

# As made on 1 April for three months: April D04 (3000 x 0.65), May D05
# (800 x 0.25), June D06 (proposal since 1 Apr: 1500 x 0.65) and D07
# (2500 x 0.25).
test_expect_success 'forecast by month as of 1 April' '
	crm-deal forecast --as-of 2026-04-01 --by month -p 3 >f2.csv &&
	cat >expect <<-\EOT &&
	period,start,currency,open_deals,won,committed,best_case,weighted,weighted_low,weighted_high
	2026-04,2026-04-01,EUR,1,0.00,0.00,3000.00,1950.00,1950.00,1950.00
	2026-05,2026-05-01,EUR,1,0.00,0.00,800.00,200.00,200.00,200.00
	2026-06,2026-06-01,EUR,2,0.00,0.00,4000.00,1600.00,1600.00,1600.00
	EOT
	test_cmp expect f2.csv
'

# Q1 began with no deal; 3000 EUR won in it (D01, D02).  At the start of
# Q2 the open deals closing in it were D04 (3000 x 0.65), D05 (800 x
# 0.25), D06 (1500 x 0.2) and D07 (2500 x 0.25): 3075; won 3500 + 2500
# EUR (error (6000 - 3075) / 3075) and 5000 USD (D10, made in May).
test_expect_success 'back-test on the two closed quarters' '
	crm-deal forecast --backtest --by quarter -p 2 >bt.csv &&
	cat >expect <<-\EOT &&
	period,start,currency,open_deals,committed,best_case,weighted,weighted_low,weighted_high,actual,error
	2026-Q1,2026-01-01,EUR,0,0.00,0.00,0.00,0.00,0.00,3000.00,
	2026-Q2,2026-04-01,EUR,4,0.00,7800.00,3075.00,3075.00,3075.00,6000.00,0.9512
	2026-Q2,2026-04-01,USD,0,0.00,0.00,0.00,0.00,0.00,5000.00,
	EOT
	test_cmp expect bt.csv
'

# Closed deals that entered qualification: D01 D02 D04 won, D03 D05 D08
# lost: 3/6.  Wilson at 95%, z = 1.959964: centre (0.5 + z^2/12) /
# (1 + z^2/6) = 0.5, half z/(1 + z^2/6) sqrt(0.25/6 + z^2/144) = 0.3418.
# Needs analysis: D01 D04 D07 won, D05 lost; proposal: D01 D02 D04 D07
# D10, all won; negotiation: D02 D07.
test_expect_success 'probabilities learnt from history, with Wilson intervals' '
	crm-deal probabilities >pr.csv &&
	test_grep "^sales,qualification,6,3,0.2000,0.5000,0.1876,0.8124$" pr.csv &&
	test_grep "^sales,needs analysis,4,3,0.2500,0.7500," pr.csv &&
	test_grep "^sales,proposal,5,5,0.6500,1.0000,0.5655,1.0000$" pr.csv &&
	test_grep "^sales,negotiation,2,2,0.8000,1.0000," pr.csv &&
	crm-deal forecast --learnt --by quarter -p 1 >fl.csv &&
	test_grep "^2026-Q3,2026-07-01,EUR,4,0.00,6500.00,7200.00,6850.00," fl.csv
'

# EUR: won D01 1000, D02 2000, D04 3500, D07 2500; lost D03 500, D05 800,
# D08 1200.  Cycles 51, 79, 86 and 84 days.  USD: D10, 55 days.
test_expect_success 'win rate by count and value, deal size, cycle length' '
	crm-deal stats >st.csv &&
	cat >expect <<-\EOT &&
	currency,won,lost,win_rate,won_amount,lost_amount,value_win_rate,avg_won,cycle_days
	EUR,4,3,0.5714,9000.00,2500.00,0.7826,2250.00,75.0
	USD,1,0,1.0000,5000.00,0.00,1.0000,5000.00,55.0
	EOT
	test_cmp expect st.csv &&
	crm-deal stats --by owner >so.csv &&
	cat >expect <<-\EOT &&
	owner,currency,won,lost,win_rate,won_amount,lost_amount,value_win_rate,avg_won,cycle_days
	ann,EUR,3,1,0.7500,5500.00,800.00,0.8730,1833.33,71.3
	raj,EUR,1,2,0.3333,3500.00,1700.00,0.6731,3500.00,86.0
	raj,USD,1,0,1.0000,5000.00,0.00,1.0000,5000.00,55.0
	EOT
	test_cmp expect so.csv
'

# Furthest stage each deal reached (lost aside): D03 D08 D11 1; D05 2;
# D06 D09 3; D12 4; D01 D02 D04 D07 D10 5.  Stays: qualification 15 22 34
# 19 14 31 29 31 (195/8); needs analysis 21 18 40 26 25; proposal 15 42
# 49 25 55; negotiation 15 33.
test_expect_success 'funnel: conversion and time in each stage' '
	crm-deal funnel >fu.csv &&
	cat >expect <<-\EOT &&
	pipeline,position,stage,reached,conversion,left,days_in_stage
	sales,1,qualification,12,0.7500,8,24.4
	sales,2,needs analysis,9,0.8889,5,26.0
	sales,3,proposal,8,0.7500,5,37.2
	sales,4,negotiation,6,0.8333,2,24.0
	sales,5,won,5,,0,
	EOT
	test_cmp expect fu.csv
'

test_expect_success 'won deals are purchases and customers; lost ones keep their reason' '
	test "$(sql "SELECT count(*), printf('\''%.1f'\'', sum(amount)) FROM interactions WHERE kind = '\''purchase'\'' AND currency = '\''EUR'\''")" = "4|9000.0" &&
	test "$(sql "SELECT c.external_id FROM interactions i JOIN contacts c ON c.id = i.contact_id WHERE ref = '\''deal:D10'\''")" = C4 &&
	test "$(sql "SELECT external_id FROM contacts WHERE stage = '\''customer'\'' ORDER BY 1" | tr "\n" " ")" = "C1 C2 C4 " &&
	test "$(sql "SELECT note FROM interactions WHERE ref = '\''deal:D08:lost'\''")" = "no budget"
'

test_expect_success 'bad records: all or nothing, or --rejects' '
	printf "ref,contact,stage,amount,at\nD20,C1,qualification,10,2026-06-01\nD21,C1,closing,10,2026-06-01\nD22,C9,qualification,10,2026-06-01\n" >bad.csv &&
	test_must_fail 3 crm-deal bad.csv 2>err &&
	test_grep "bad.csv:3: no stage .closing. in pipeline .sales." err &&
	test "$(sql "SELECT count(*) FROM deals")" = 12 &&
	test_must_fail 3 crm-deal -r rej.csv bad.csv 2>err &&
	test "$(sql "SELECT count(*) FROM deals")" = 13 &&
	test_grep "^D22,C9,qualification,10,2026-06-01,bad.csv:4: no contact .C9." rej.csv
'

test_expect_success 'stages of a pipeline of its own' '
	printf "stage,probability,outcome\ndemo,30%%,\ntrial,0.6,open\nsigned,100,won\ndropped,0,lost\n" >renew.csv &&
	crm-deal stages -q -P renewals renew.csv &&
	crm-deal stages -P renewals >st2.csv &&
	test_grep "^renewals,2,trial,0.6,open$" st2.csv &&
	printf "ref,contact,pipeline,stage,amount,currency,at\nR1,C5,renewals,trial,100,GBP,2026-06-02\n" >r.csv &&
	crm-deal -q r.csv &&
	crm-deal pipeline -P renewals >pr2.csv &&
	test_grep "^renewals,trial,GBP,1,100.00,60.00," pr2.csv
'

test_expect_success 'merge moves deals to the survivor; unmerge moves them back' '
	printf "id_a,id_b,match\n5,6,yes\n" >pairs.csv &&
	crm-dedupe merge -q <pairs.csv >merged.csv &&
	test "$(sql "SELECT group_concat(ref) FROM (SELECT ref FROM deals WHERE contact_id = 5 ORDER BY ref)")" = "D06,D09,D11,D12,R1" &&
	crm-dedupe unmerge -q "#6" >/dev/null &&
	test "$(sql "SELECT group_concat(ref) FROM (SELECT ref FROM deals WHERE contact_id = 6 ORDER BY ref)")" = "D09,D12"
'

test_expect_success 'subject export holds the deals; erasure keeps a company'\''s' '
	crm-export --subject di@acme.example >di.json &&
	test_grep "\"ref\":\"D04\"" di.json &&
	test_grep "\"ref\":\"D10\"" di.json &&
	crm-forget -q di@acme.example &&
	crm-forget -q cy@example.net &&
	test "$(sql "SELECT ref, contact_id IS NULL, title IS NULL, company FROM deals WHERE ref IN ('\''D04'\'', '\''D10'\'') ORDER BY ref" | tr "\n" " ")" = "D04|1|1|Acme D10|1|1|Acme " &&
	test "$(sql "SELECT count(*) FROM deals WHERE ref IN ('\''D03'\'', '\''D08'\'')")" = 0 &&
	test "$(sql "SELECT count(*) FROM deal_history WHERE deal_id NOT IN (SELECT id FROM deals)")" = 0 &&
	# D03 and D08, two records each; the later records of D04 and D10
	# name no contact and change nothing.
	crm-deal "$DATA/deals.csv" 2>err &&
	test_grep "skipped 4 records of erased people" err &&
	test "$(sql "SELECT count(*) FROM deals WHERE ref IN ('\''D03'\'', '\''D08'\'')")" = 0
'

# The CDNOW sample (as t0007 imports it) and a BG/NBD model: what the
# existing customers are expected to spend in Q4 1997 is the sum over them
# of crm-churn score's expected purchase days in the 92 days after 30
# September times their expected spend (rounded there, so within 0.5).
test_expect_success 'forecast --with-customers: the churn model'\''s revenue' '
	awk "BEGIN { print \"external_id\" } { sub(/\r\$/, \"\"); if (!seen[\$2]++) print \$2 }" \
		"$DATA/CDNOW_sample.txt" >cdnow-customers.csv &&
	awk "BEGIN { print \"external_id,at,channel,kind,amount,ref\" }
		{ sub(/\r\$/, \"\"); print \$2 \",\" \$3 \",store,purchase,\" \$5 \",S\" NR }" \
		"$DATA/CDNOW_sample.txt" >cdnow-purchases.csv &&
	CRM_DB=cdnow.db crm-add -q cdnow-customers.csv &&
	CRM_DB=cdnow.db crm-log -q -C USD cdnow-purchases.csv &&
	CRM_DB=cdnow.db crm-churn fit -q -m bgnbd -c 1997-09-30 -u week >/dev/null &&
	CRM_DB=cdnow.db crm-churn score -q -n --as-of 1997-09-30 -H 92d >sc.csv &&
	want=$(awk -F, "NR > 1 && \$9 != \"\" { s += \$9 * \$10 } END { printf \"%.2f\", s }" sc.csv) &&
	CRM_DB=cdnow.db crm-deal forecast --with-customers --as-of 1997-09-30 \
		--by quarter -p 2 >fc.csv &&
	test_grep "^1997-Q3,1997-07-01,USD,0,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00$" fc.csv &&
	got=$(awk -F, "\$1 == \"1997-Q4\" { print \$11 }" fc.csv) &&
	awk -v a="$got" -v b="$want" "BEGIN { d = a - b; exit !(d < 0.5 && d > -0.5 && b > 20000) }" &&
	test_must_fail 2 crm-deal forecast --with-customers --backtest
'

test_done
