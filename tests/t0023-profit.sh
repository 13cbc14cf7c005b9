#!/bin/sh
# crm-segment: currencies, rates, product costs, cost to serve, margins.
. "$(dirname "$0")/lib.sh"

export CRM_NOW=2026-03-31

test_expect_success 'set up: a shop in four currencies, German CSV' '
	crm-add -q "$DATA/profit-contacts.csv" &&
	crm-log -q --decimal , -M Kunde=external_id,Datum=at,Kanal=channel,Art=kind,Betrag=amount,Waehrung=currency,Artikel=product,Menge=quantity,Beleg=order_ref \
		"$DATA/profit-purchases-de.csv" &&
	crm-ticket -q "$DATA/profit-tickets.csv" &&
	test "$(echo $(sql "select printf('\''%.1f'\'', amount) from interactions order by id"))" = "100.0 20.5 125.0 17.0 15000.0 3200.0"
'

test_expect_success 'rates: the ECB layout, re-run changes nothing' '
	crm-segment rates "$DATA/profit-rates-ecb.csv" 2>err &&
	test_grep "6 rates read, 6 new or changed" err &&
	crm-segment rates "$DATA/profit-rates-ecb.csv" 2>err &&
	test_grep "6 rates read, 0 new or changed" err &&
	test "$(sql "select count(*) from rates where currency = '\''BGN'\''")" = 0
'

test_expect_success 'rates: long layout with decimal comma; bad values exit 3' '
	printf "currency;date;rate\nCHF;02.03.2026;0,9500\n" >long.csv &&
	crm-segment rates long.csv 2>err &&
	test "$(sql "select rate from rates where currency = '\''CHF'\''")" = 0.95 &&
	printf "currency;date;rate\nCHF;02.03.2026;zero\n" >bad.csv &&
	test_must_fail 3 crm-segment rates bad.csv 2>err &&
	test_grep "bad.csv:2: not a rate .zero." err
'

test_expect_success 'products: German CSV, a cost change, a margin' '
	crm-segment products "$DATA/profit-products-de.csv" 2>err &&
	test_grep "3 products read, 3 new or changed" err &&
	test "$(echo $(sql "select printf('\''%.1f'\'', coalesce(unit_cost, margin)) from products order by sku, valid_from"))" = "0.4 60.0 70.0"
'

# Without --currency nothing is added across currencies: K2 is in USD,
# K3 in GBP, K4 in JPY (no decimals).  COGS: a Burr Grinder costs EUR 60
# until 2026-03-04, then 70; Filter Papers have a margin of 40%, so cost
# 60% of their price.  K2: 60 EUR at 1.25 = 75.00 USD, margin 50.00.
# K3: 17.00 * 0.6 = 10.20 GBP.  K4: the grinder on Saturday 2026-03-07
# takes Friday's 150 JPY: 70 * 150 = 10500, papers 3200 * 0.6 = 1920:
# 12420, margin 18200 - 12420 = 5780.
test_expect_success 'profit per contact, per currency' '
	crm-segment profit >out &&
	cat >expect <<-\EOF &&
	id,external_id,email,orders,revenue,aov,first_purchase,last_purchase,tenure_days,currency,cogs,gross_margin,cost_to_serve,acquisition,contribution
	1,K1,anna@example.de,2,120.50,60.25,2026-03-02,2026-03-06,29,EUR,72.30,48.20,,,48.20
	2,K2,bernd@example.de,1,125.00,125.00,2026-03-03,2026-03-03,28,USD,75.00,50.00,,,50.00
	3,K3,carol@example.co.uk,1,17.00,17.00,2026-03-06,2026-03-06,25,GBP,10.20,6.80,,,6.80
	4,K4,daisuke@example.jp,2,18200,9100,2026-03-02,2026-03-07,29,JPY,12420,5780,,,5780
	EOF
	test_cmp expect out
'

# In EUR: K2 125 / 1.25 (Monday's rate, on Tuesday) = 100; K3 17 / 0.85
# = 20; K4 15000 / 150 + 3200 / 160 = 100 + 20 = 120.  Costs: 2 per
# order; K3 two tickets at 10; acquisition 30 for source google (K1, K4).
# Contribution: K1 120.50 - 72.30 - 4 - 30 = 14.20; K2 100 - 60 - 2 = 38;
# K3 20 - 12 - 2 - 20 = -14 (the unprofitable tail); K4 120 - 82 - 4 -
# 30 = 4.
test_expect_success 'profit in EUR with costs to serve' '
	crm-segment profit --currency EUR --costs "$DATA/profit-costs.csv" >out &&
	cut -d, -f1,2,4,5,10- out >got &&
	cat >expect <<-\EOF &&
	id,external_id,orders,revenue,currency,cogs,gross_margin,cost_to_serve,acquisition,contribution
	1,K1,2,120.50,EUR,72.30,48.20,4.00,30.00,14.20
	2,K2,1,100.00,EUR,60.00,40.00,2.00,0.00,38.00
	3,K3,1,20.00,EUR,12.00,8.00,22.00,0.00,-14.00
	4,K4,2,120.00,EUR,82.00,38.00,4.00,30.00,4.00
	EOF
	test_cmp expect got
'

# Households: K1 and K2 share Hauptstr. 1 (household 1): revenue 220.50,
# contribution 14.20 + 38 = 52.20.  Products: grinders 100 + 100 + 100
# = 300, cost 60 + 60 + 70 = 190.  Month 2026-03 holds everything:
# contribution 14.20 + 38 - 14 + 4 = 42.20.
test_expect_success 'profit by household, product, month, decile' '
	crm-segment profit --currency EUR --costs "$DATA/profit-costs.csv" -b household >out &&
	test_grep "^1,2,2,3,220.50,0.6117,0.6117,73.50,110.25,EUR,132.30,88.20,6.00,30.00,52.20$" out &&
	crm-segment profit --currency EUR -b product >out &&
	test_grep "^Burr Grinder,3,3,3,300.00,0.8322,0.8322,100.00,100.00,EUR,190.00,110.00,,,110.00$" out &&
	crm-segment profit --currency EUR --costs "$DATA/profit-costs.csv" -b month >out &&
	test_grep "^2026-03,4,4,6,360.50,1.0000,1.0000,60.08,90.12,EUR,226.30,134.20,32.00,60.00,42.20$" out &&
	crm-segment profit --currency EUR --costs "$DATA/profit-costs.csv" -b decile >out &&
	test_grep "^8,1,1,1,20.00,0.0555,1.0000,20.00,20.00,EUR,12.00,8.00,22.00,0.00,-14.00$" out
'

test_expect_success 'rfm: refused across currencies, converted with --currency' '
	test_must_fail 3 crm-segment rfm 2>err &&
	test_grep "purchases are in EUR and USD" err &&
	crm-segment rfm --currency EUR >out &&
	test_grep "^2,K2,bernd@example.de,28,1,100.00," out
'

# Households in EUR: 1 (K1, K2) last bought 2026-03-06, 25 days before
# the 31st, 2 + 1 = 3 orders, 120.50 + 100 = 220.50; 3 (K3) 25 days, 1,
# 20.00; 4 (K4) 24 days, 2, 120.00.  Three households: R 1 + floor(5 *
# worse / 3): 4 has two worse (4), the others none (1); F: 1 has two
# fewer (4), 4 one (2), 3 (1); M likewise 4, 2, 1.
test_expect_success 'rfm by household' '
	crm-segment rfm -b household --currency EUR >out &&
	cat >expect <<-\EOF &&
	household,members,external_id,email,recency,frequency,monetary,r,f,m,rfm,segment
	1,2,K1,anna@example.de,25,3,220.50,1,4,4,144,At Risk
	3,1,K3,carol@example.co.uk,25,1,20.00,1,1,1,111,Lost
	4,1,K4,daisuke@example.jp,24,2,120.00,4,2,2,422,Potential Loyalist
	EOF
	test_cmp expect out
'

test_expect_success 'a missing rate is named' '
	test_must_fail 3 crm-segment profit --currency SEK -b month 2>err &&
	test_grep "no rate for EUR in SEK on or before 2026-03-02" err
'

# Baskets: K1 {Burr Grinder, Filter Papers}, K2 {Burr Grinder}, K3
# {Filter Papers}, K4 both; 4 buyers, each product bought by 3, both by
# 2.  conf(grinder -> papers) = conf(papers -> grinder) = 2/3 = 0.6667,
# lift 0.6667 / (3/4) = 0.89: below the empty rule, the share of all
# buyers who bought papers, 3/4, which wins.  Margins: papers 40%; a
# grinder costs 70 (as of 2026-03-31) and sells for 100 EUR on average
# in EUR: 1 - 0.7 = 0.3.  K2 gets papers, 0.75 * 0.4 = 0.3; K3 a
# grinder, 0.75 * 0.3 = 0.225; K1 and K4 own both (bought on one day
# each: nobody bought either again); K4 has not opted in to email.
test_expect_success 'recommend: margins, consent, what they own' '
	crm-segment recommend 2>err >out &&
	cat >expect <<-\EOF &&
	id,external_id,email,rank,product,score,confidence,lift,margin,because,reason
	2,K2,bernd@example.de,1,Filter Papers,0.3000,0.7500,1.00,0.4000,,bought by 75% of customers
	3,K3,carol@example.co.uk,1,Burr Grinder,0.2250,0.7500,1.00,0.3000,,bought by 75% of customers
	EOF
	test_cmp expect out &&
	test_grep "4 contacts, 2 with offers, 1 without consent on email" err &&
	crm-campaign create -q --channel email offer-papers <out &&
	test "$(sql "select count(*) from campaign_members")" = 2
'

# Rules, the empty rule and buying again, as of 2026-03-31, no products
# (margins 1).  Seven buyers: O1 Grinder, Papers on 02-01 and 03-03; O2
# Grinder, Papers on 01-02, 02-01, 03-03; O3 Grinder; O4, O5 Mug; O6 Mug
# and Papers on 03-01; O7 Papers on 2025-06-01.  Buyers: Grinder 3,
# Papers 4, Mug 3; both Grinder and Papers 2 (O1, O2), Mug and Papers 1
# (O6), Grinder and Mug none.  Empty rules: Papers 4/7 = 0.5714, Grinder
# and Mug 3/7 = 0.4286.  conf(Grinder -> Papers) = 2/3 = 0.6667, lift
# 0.6667 / (4/7) = 1.17; conf(Papers -> Grinder) = 2/4 = 0.5, lift
# 0.5 / (3/7) = 1.17; conf(Papers -> Mug) = 1/4 and conf(Mug -> Papers)
# = 1/3, both below the empty rule.  Papers again: bought on at least
# 1, 2, 3, 4 days by 4, 2, 1, 0 buyers; repeat buyers' mean intervals
# O1 30, O2 (03-03 - 01-02) / 2 = 30 days: median 30.
#   O1: on 2 days, every 30, last 28 days ago (>= 0.8 * 30: due): of
#       those on 2 days 1/2 bought again: 0.5, lift 0.5 / (4/7) = 0.88;
#       Mug by the empty rule 0.4286.
#   O2: on 3 days, nobody on 4: of those on 2 days, 0.5; Mug.
#   O3: Papers by Grinder 0.6667; Mug 0.4286.
#   O4, O5: the empty rules, Papers 0.5714, Grinder 0.4286.
#   O6: Grinder by Papers 0.5 (lift 1.17) before Papers again 0.5 (lift
#       0.88): bought 30 days ago, 2/4 of its buyers bought it again,
#       every 30 days (the median).
#   O7: Papers 303 days ago, more than 3 intervals: not offered again;
#       Grinder by Papers 0.5; Mug 0.4286.
# As of 2026-03-20, O1's papers were bought 17 days before, under 0.8 *
# 30: not due yet; the Mug comes first.
test_expect_success 'recommend: rules, the empty rule, buying again when due' '
	export CRM_DB=$PWD/offer.db &&
	printf "external_id,email,email_opt_in\n" >o-contacts.csv &&
	for i in 1 2 3 4 5 6 7; do echo "O$i,o$i@example.com,yes"; done >>o-contacts.csv &&
	cat >o-buys.csv <<-\EOF &&
	external_id,at,channel,kind,product
	O1,2026-01-05,web,purchase,Burr Grinder
	O1,2026-02-01,web,purchase,Filter Papers
	O1,2026-03-03,web,purchase,Filter Papers
	O2,2026-01-02,web,purchase,Burr Grinder
	O2,2026-01-02,web,purchase,Filter Papers
	O2,2026-02-01,web,purchase,Filter Papers
	O2,2026-03-03,web,purchase,Filter Papers
	O3,2026-03-20,web,purchase,Burr Grinder
	O4,2026-03-01,web,purchase,Mug
	O5,2026-03-02,web,purchase,Mug
	O6,2026-03-01,web,purchase,Mug
	O6,2026-03-01,web,purchase,Filter Papers
	O7,2025-06-01,web,purchase,Filter Papers
	EOF
	crm-add -q o-contacts.csv && crm-log -q o-buys.csv &&
	crm-segment recommend --as-of 2026-03-31 2>err >out &&
	cat >expect <<-\EOF &&
	id,external_id,email,rank,product,score,confidence,lift,margin,because,reason
	1,O1,o1@example.com,1,Filter Papers,0.5000,0.5000,0.88,1.0000,Filter Papers,"buys Filter Papers every 30 days, last bought 28 days ago; 50% of those who bought it on 2 days bought it again"
	1,O1,o1@example.com,2,Mug,0.4286,0.4286,1.00,1.0000,,bought by 43% of customers
	2,O2,o2@example.com,1,Filter Papers,0.5000,0.5000,0.88,1.0000,Filter Papers,"buys Filter Papers every 30 days, last bought 28 days ago; 50% of those who bought it on 2 days bought it again"
	2,O2,o2@example.com,2,Mug,0.4286,0.4286,1.00,1.0000,,bought by 43% of customers
	3,O3,o3@example.com,1,Filter Papers,0.6667,0.6667,1.17,1.0000,Burr Grinder,"bought Burr Grinder; 67% of those buy Filter Papers, lift 1.2"
	3,O3,o3@example.com,2,Mug,0.4286,0.4286,1.00,1.0000,,bought by 43% of customers
	4,O4,o4@example.com,1,Filter Papers,0.5714,0.5714,1.00,1.0000,,bought by 57% of customers
	4,O4,o4@example.com,2,Burr Grinder,0.4286,0.4286,1.00,1.0000,,bought by 43% of customers
	5,O5,o5@example.com,1,Filter Papers,0.5714,0.5714,1.00,1.0000,,bought by 57% of customers
	5,O5,o5@example.com,2,Burr Grinder,0.4286,0.4286,1.00,1.0000,,bought by 43% of customers
	6,O6,o6@example.com,1,Burr Grinder,0.5000,0.5000,1.17,1.0000,Filter Papers,"bought Filter Papers; 50% of those buy Burr Grinder, lift 1.2"
	6,O6,o6@example.com,2,Filter Papers,0.5000,0.5000,0.88,1.0000,Filter Papers,"bought Filter Papers 30 days ago; 50% of its buyers buy it again, every 30 days"
	7,O7,o7@example.com,1,Burr Grinder,0.5000,0.5000,1.17,1.0000,Filter Papers,"bought Filter Papers; 50% of those buy Burr Grinder, lift 1.2"
	7,O7,o7@example.com,2,Mug,0.4286,0.4286,1.00,1.0000,,bought by 43% of customers
	EOF
	test_cmp expect out &&
	crm-segment recommend -q -n 1 --as-of 2026-03-20 >out &&
	test_grep "^1,O1,o1@example.com,1,Mug," out
'

test_done
