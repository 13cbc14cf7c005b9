#!/bin/sh
# crm-churn on awkward data (scripts/gen-churn-cases): limit models, weak
# data refused, currencies kept apart, collapsed purchases counted.
. "$(dirname "$0")/lib.sh"

# field NAME FILE: the value of column NAME in the first record.
field() {
	awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
		NR == 2 { print $c; exit }' "$2"
}

test_expect_success 'the tiny shop: 6 customers, 2 of them repeat buyers' '
	"$TOP/scripts/gen-churn-cases" tiny . &&
	crm-add -q customers.csv &&
	crm-log -q purchases.csv &&
	test "$(sql "select count(*) from contacts")" = 6
'

test_expect_success 'BG/NBD runs off to its limit: a common drop-out probability, both log-likelihoods' '
	crm-churn fit -m bgnbd -u week -c 2025-06-30 >bg.csv 2>err &&
	test "$(field limit bg.csv)" = "common drop-out probability" &&
	test "$(field a bg.csv)" = "" && test "$(field b bg.csv)" = "" &&
	test -n "$(field dropout bg.csv)" &&
	test -n "$(field full_loglik bg.csv)" &&
	test -n "$(field limit_loglik bg.csv)" &&
	test_grep "log-likelihood .* as BG/NBD, .* as its limit" err &&
	test_grep "BG/NBD, common drop-out probability: 6 customers, 2 repeat buyers" err &&
	test "$(sql "select json_extract(params, '\''$.limit'\'') from models")" = 1
'

test_expect_success 'no spend model from 2 repeat buyers: said so, and no value is made up' '
	test_grep "no spend model: .* the data do not identify the model" err &&
	test "$(field p bg.csv)" = "" &&
	crm-churn score -m 1 -H 90d >scores.csv 2>err &&
	test_grep "expected spend and CLV not available" err &&
	test "$(awk -F, "NR > 1 && (\$10 != \"\" || \$11 != \"\")" scores.csv | wc -l)" = 0 &&
	crm-report -f text -o report.txt &&
	test_grep "total CLV not available (no spend model)" report.txt
'

# P(alive) = 1 / (1 + p/(1-p) ((alpha+T)/(alpha+t_x))^(r+x)) and
# E[X(t)] = (1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p * P(alive): the
# limit of BG/NBD's, worked out here from the stored parameters.
test_expect_success 'the limit model scores by its own formulas' '
	r=$(field r bg.csv) al=$(field alpha bg.csv) p=$(field dropout bg.csv) &&
	awk -F, -v r="$r" -v al="$al" -v p="$p" -v t="$(awk "BEGIN { print 90 / 7 }")" "
		NR > 1 && \$4 > 0 {
			x = \$4; tx = \$5; T = \$6
			pa = 1 / (1 + p / (1 - p) * ((al + T) / (al + tx)) ^ (r + x))
			e = (1 - ((al + T) / (al + T + p * t)) ^ (r + x)) / p * pa
			if (pa - \$8 > 5e-4 || \$8 - pa > 5e-4 || e - \$9 > 5e-4 ||
			    \$9 - e > 5e-4) { print \"off:\", \$0, pa, e; bad = 1 }
			n++
		}
		END { exit bad || n != 2 }" scores.csv
'

test_expect_success 'Pareto/NBD on 2 repeat buyers: even its limit cannot be estimated, exit 3 with the figures' '
	test_must_fail 3 crm-churn fit -m pareto -u week -c 2025-06-30 2>err &&
	test_grep "6 customers, 2 repeat buyers, 23 repeat purchases: Pareto/NBD fit: r = .* the data do not identify the model" err &&
	test "$(sql "select count(*) from models where kind = '\''pareto'\''")" = 0
'

test_expect_success 'one-time buyers only: refused' '
	mkdir once && "$TOP/scripts/gen-churn-cases" onetime once &&
	CRM_DB=once.db crm-add -q once/customers.csv &&
	CRM_DB=once.db crm-log -q once/purchases.csv &&
	test_must_fail 3 env CRM_DB=once.db crm-churn fit -m bgnbd -c 2025-06-30 2>err &&
	test_grep "none of the 1500 customers made a repeat purchase" err
'

test_expect_success 'several currencies: refused with the list, fitted one at a time' '
	cat >cur.csv <<-\EOF &&
	external_id,at,channel,kind,amount,currency,ref
	A,2025-01-02,web,purchase,10,EUR,1
	A,2025-02-03,web,purchase,12,EUR,2
	A,2025-03-04,web,purchase,11,EUR,3
	B,2025-01-05,web,purchase,20,GBP,4
	B,2025-03-06,web,purchase,30,GBP,5
	C,2025-01-07,web,purchase,15,EUR,6
	C,2025-01-20,web,purchase,16,EUR,7
	D,2025-02-07,web,purchase,5,USD,8
	EOF
	printf "external_id\nA\nB\nC\nD\n" >cc.csv &&
	CRM_DB=cur.db crm-add -q cc.csv && CRM_DB=cur.db crm-log -q cur.csv &&
	test_must_fail 3 env CRM_DB=cur.db crm-churn fit -m bgnbd -c 2025-04-30 2>err &&
	test_grep "purchases in 3 currencies (EUR, GBP, USD): their amounts cannot be added up; give the currency of the spend model (--currency EUR)" err &&
	test_must_fail 3 env CRM_DB=cur.db crm-churn fit -m bgnbd -C CHF -c 2025-04-30 2>err &&
	test_grep "no purchase in CHF (the purchases are in EUR, GBP, USD) and no rates" err &&
	test_must_fail 3 env CRM_DB=cur.db crm-churn fit -n -m bgnbd -C EUR -c 2025-04-30 2>err &&
	test_grep "^crm-churn: 2 customers, 2 repeat buyers, 3 repeat purchases: " err
'

# With rates, Gamma-Gamma's spend is in the currency asked for, each
# purchase converted at its day's rate.  2,000 customers in EUR, GBP and
# USD (gen-churn-cases) and A, B, D above; EUR 1 = GBP 0.80 = USD 1.25
# from 2024-01-01.  B's repeat purchase, GBP 30 on 2025-03-06, is EUR
# 30 / 0.8 = 37.50; A's repeat days 12 and 11 EUR: 11.50; D made one
# purchase: zbar 0.
test_expect_success 'several currencies with rates: converted for the spend model' '
	mkdir fx && "$TOP/scripts/gen-churn-cases" currencies fx &&
	export CRM_DB=fx.db &&
	crm-add -q fx/customers.csv && crm-log -q fx/purchases.csv &&
	printf "external_id\nA\nB\nD\n" >abd.csv && crm-add -q abd.csv &&
	grep -E "^(external_id|A|B|D)," cur.csv >abd-buys.csv && crm-log -q abd-buys.csv &&
	others=$(awk -F, "\$2 < \"2025-07\" && (\$6 == \"GBP\" || \$6 == \"USD\")" fx/purchases.csv | wc -l) &&
	crm-churn fit -n -m bgnbd -C EUR -c 2025-06-30 >/dev/null 2>err &&
	test_grep "^crm-churn: $((others + 3)) purchases in other currencies than EUR left out" err &&
	printf "Date,USD,GBP,\n2024-01-01,1.25,0.80,\n" >rates.csv &&
	crm-segment -q rates rates.csv &&
	crm-churn fit -m bgnbd -C EUR -c 2025-06-30 >fit.csv 2>err &&
	test_grep "^crm-churn: $((others + 3)) purchases converted to EUR at the rate of their day" err &&
	test_grep ",EUR$" fit.csv &&
	crm-churn score -q >s.csv &&
	grep -E "^[0-9]+,(A|B|D)," s.csv | cut -d, -f2,4,7 >got &&
	printf "A,2,11.50\nB,1,37.50\nD,0,0.00\n" >expect &&
	test_cmp expect got &&
	printf "Date,USD,GBP,\n2025-01-06,1.25,0.80,\n" >late.csv &&
	sql "delete from rates" && crm-segment -q rates late.csv &&
	test_must_fail 3 crm-churn fit -n -m bgnbd -C EUR -c 2025-06-30 2>err &&
	test_grep "no rate for .* in EUR as early as" err
'

test_expect_success 'crm-log warns how many identical purchases without a ref it stored once' '
	printf "external_id,at,channel,kind,amount\nA,2025-05-01,store,purchase,9.99\nA,2025-05-01,store,purchase,9.99\nA,2025-05-01,store,purchase,9.99\nA,2025-05-02,store,purchase,9.99\n" >twice.csv &&
	CRM_DB=cur.db crm-log -q twice.csv 2>err &&
	test_grep "warning: 2 records without a ref identical to another of this input" err &&
	test "$(CRM_DB=cur.db sql "select json_extract(counts, '\''$.collapsed'\'') from audit order by id desc limit 1")" = 2 &&
	CRM_DB=cur.db crm-log -q twice.csv 2>err &&
	test ! -s err
'

test_done
