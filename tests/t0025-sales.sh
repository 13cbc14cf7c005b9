#!/bin/sh
# Sales leftovers: churn at account level over a hierarchy with a
# reseller, HubSpot's and Salesforce's deal exports as they come, and the
# stages each deal entered kept through a redefinition of the pipeline.
. "$(dirname "$0")/lib.sh"

cat >accounts.csv <<'CSV'
external_id,name,domain,country,type,parent,partner
A1,Acme Holdings Ltd,acme.com,GB,customer,,P1
A2,Acme Deutschland GmbH,acme.de,DE,customer,A1,
A3,"Initech, Inc.",initech.example,US,customer,,
P1,Northwind Partners S.A.,northwind.example,FR,reseller,,
CSV

cat >people.csv <<'CSV'
external_id,first_name,last_name,email,account,title,since
C1,Ann,Lee,ann@acme.com,A1,CFO,2024-01-01
C2,Bob,Ray,bob@acme.de,A2,Buyer,2024-01-01
C3,Cy,Fox,cy@initech.example,A3,CTO,2024-01-01
C4,Di,Orr,di@initech.example,A3,Buyer,2024-01-01
CSV

cat >orders.csv <<'CSV'
external_id,at,channel,kind,amount,ref
C1,2026-03-01,web,purchase,100,O1
C2,2026-04-01,web,purchase,300,O2
C3,2026-05-01,web,purchase,50,O3
CSV

test_expect_success 'setup: accounts with a subsidiary and a reseller, people, orders' '
	crm-account -q accounts.csv &&
	crm-add -q people.csv &&
	crm-account link -q people.csv &&
	crm-log -q orders.csv
'

test_expect_success 'churn at account level needs stored scores' '
	test_must_fail 3 crm-account churn >out 2>err &&
	test_grep "no stored churn scores" err
'

# The scores a model would store, set by hand: P(alive) 0.8 for Ann
# (100 bought at A1), 0.2 for Bob (300 at A2, a subsidiary of A1), 0.6
# for Cy and 0.4 for Di at A3 (Di bought nothing: equal weights would
# not apply, Cy carries all the weight).
test_expect_success 'churn: P(alive) weighted by revenue, rolled up, at risk below 0.5' '
	sql "INSERT INTO scores (contact_id, p_alive, expected_purchases, clv, scored_at)
	    SELECT id, CASE external_id WHEN '\''C1'\'' THEN 0.8 WHEN '\''C2'\'' THEN 0.2
	    WHEN '\''C3'\'' THEN 0.6 ELSE 0.4 END, 1, 10, 0 FROM contacts" &&
	crm-account churn -f tsv >out &&
	cut -f2,6-9,11- out | tr "\t" , >got &&
	cat >expect <<-\EXP &&
	external_id,people,buyers,p_alive,churn_probability,clv,revenue,revenue_at_risk,status
	A1,2,2,0.3500,0.6500,20.00,400.00,260.00,at risk
	A2,1,1,0.2000,0.8000,10.00,300.00,240.00,at risk
	A3,2,2,0.6000,0.4000,20.00,50.00,20.00,active
	P1,0,0,,,0.00,0.00,0.00,no buyers
	EXP
	test_cmp expect got
'

# A1 own: Ann alone, 0.8 (100 x 0.2 = 20 at risk).  A1 with A2:
# (100 x 0.8 + 300 x 0.2) / 400 = 0.35, at risk 20 + 240 = 260.
test_expect_success 'churn --own --at-risk -p 0.7: own people, the accounts at risk' '
	crm-account churn --own --at-risk -p 0.7 -f tsv >out &&
	cut -f2,8,13,14 out | tr "\t" , >got &&
	printf "%s\n" "external_id,p_alive,revenue_at_risk,status" \
	    "A2,0.2000,240.00,at risk" "A3,0.6000,20.00,at risk" >expect &&
	test_cmp expect got
'

test_expect_success 'a person who moves on leaves the old account with no buyers' '
	printf "external_id,account,since\nC2,A3,2026-06-01\n" >move.csv &&
	crm-account link -q move.csv &&
	crm-account churn --own -f csv >out &&
	test_grep "^2,A2,.*,no buyers$" out
'

# HubSpot's deal export (Deals > Export, the default columns) over
# HubSpot's default sales pipeline and its stage probabilities.
cat >hubspot-stages.csv <<'CSV'
stage,probability,outcome
Appointment Scheduled,20%,open
Qualified To Buy,40%,open
Presentation Scheduled,60%,open
Decision Maker Bought-In,80%,open
Contract Sent,90%,open
Closed Won,100%,won
Closed Lost,0%,lost
CSV

cat >hubspot-deals.csv <<'CSV'
Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Pipeline,Create Date,Associated Company
9001,Acme renewal,Contract Sent,2026-12-15,sam@example.com,12000,Sales Pipeline,2026-09-01 10:00,Acme Holdings Ltd
9002,Initech pilot,Qualified To Buy,2027-01-31,kim@example.com,4000,Sales Pipeline,2026-10-05 09:30,"Initech, Inc."
9003,Globex expansion,Closed Won,2026-10-20,sam@example.com,2500,Sales Pipeline,2026-08-01 08:00,Globex Corporation
CSV

test_expect_success 'HubSpot: its pipeline defined, its export imported as it comes' '
	crm-deal stages -q -P "Sales Pipeline" hubspot-stages.csv &&
	crm-deal -C EUR hubspot-deals.csv 2>err &&
	test_grep "3 read, 3 inserted" err &&
	crm-deal pipeline -P "Sales Pipeline" -f csv >out &&
	cut -d, -f2,4-6 out >got &&
	printf "%s\n" "stage,deals,amount,weighted" \
	    "Qualified To Buy,1,4000.00,1600.00" \
	    "Contract Sent,1,12000.00,10800.00" >expect &&
	test_cmp expect got
'

# Salesforce's opportunity report export: its own stage names and a
# probability per opportunity.
cat >salesforce.csv <<'CSV'
Opportunity ID,Opportunity Name,Account Name,Stage,Probability (%),Amount,Close Date,Created Date,Opportunity Owner,Lead Source
006A000001,Hooli platform,Hooli GmbH,Negotiation,90,8000,2026-12-01,2026-07-01,Ann,Partner Referral
006A000002,Umbrella audit,Umbrella Corporation,Proposal,50,2000,2026-11-20,2026-08-15,Bob,Web
CSV

test_expect_success 'Salesforce: its probability column wins over the stage'"'"'s' '
	crm-deal -q -C USD salesforce.csv &&
	crm-deal pipeline -P sales -f csv >out &&
	cut -d, -f2,4-6 out >got &&
	printf "%s\n" "stage,deals,amount,weighted" \
	    "proposal,1,2000.00,1000.00" "negotiation,1,8000.00,7200.00" >expect &&
	test_cmp expect got
'

test_expect_success 'stages entered survive a reordered pipeline' '
	printf "ref,stage,at\n9002,Presentation Scheduled,2026-10-10\n9002,Closed Lost,2026-10-12\n" >more.csv &&
	crm-deal -q more.csv &&
	test "$(sql "select entered from deals where ref = '\''9002'\''")" = $(((1 << 2) | (1 << 3) | (1 << 7))) &&
	sed "s/^Qualified To Buy,40%/Qualified To Buy,45%/" hubspot-stages.csv |
	    awk "NR == 1 || !/Presentation/" >reordered.csv &&
	printf "Presentation Scheduled,60%%,open\n" >>reordered.csv &&
	crm-deal stages -q -P "Sales Pipeline" reordered.csv &&
	test "$(sql "select entered from deals where ref = '\''9002'\''")" = $(((1 << 2) | (1 << 6) | (1 << 7))) &&
	crm-deal probabilities -P "Sales Pipeline" -f csv >out &&
	test_grep "^Sales Pipeline,Presentation Scheduled,1,0," out
'

test_done
