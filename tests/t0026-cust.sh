#!/bin/sh
# crm-churn's Pareto/NBD with analytic gradients against the published
# CDNOW estimates, and crm-churn's options as libcrm now reads them.
. "$(dirname "$0")/lib.sh"

# field NAME FILE: the value of column NAME in the first record.
field() {
	awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
		NR == 2 { print $c; exit }' "$2"
}

# near A B TOL: |A - B| <= TOL.
near() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; exit !(d <= t && -d <= t) }'
}

test_expect_success 'Pareto/NBD on CDNOW: the published estimates (Fader and Hardie 2005)' '
	CRM_DB=none.db crm-churn fit -m pareto -S "$DATA/cdnow_summary.csv" >pa.csv 2>err &&
	test "$(field converged pa.csv)" = 1 &&
	test "$(field limit pa.csv)" = "" &&
	near "$(field r pa.csv)" 0.553 0.0005 &&
	near "$(field alpha pa.csv)" 10.578 0.0005 &&
	near "$(field s pa.csv)" 0.606 0.0005 &&
	near "$(field beta pa.csv)" 11.669 0.0015 &&
	near "$(field loglik pa.csv)" -9595.0 0.05 &&
	test_grep "log-likelihood -9594.97.* as Pareto/NBD, .* as its limit" err &&
	test_grep "Pareto/NBD: 2357 customers, 946 repeat buyers" err
'

test_expect_success 'Pareto/NBD limit (a common drop-out rate) where lifetimes share one rate' '
	"$TOP/scripts/gen-churn-cases" lifetime . &&
	crm-add -q customers.csv &&
	crm-log -q purchases.csv &&
	crm-churn fit -m pareto -u day -c 2025-06-30 >lim.csv 2>err &&
	test "$(field limit lim.csv)" = "common drop-out rate" &&
	test "$(field s lim.csv)" = "" &&
	dropout=$(field dropout lim.csv) &&
	near "$dropout" 0.00286 0.0008 &&
	crm-churn score -q -n -H 90d >scores.csv &&
	test "$(awk -F, "NR > 1 && \$8 != \"\"" scores.csv | wc -l)" -gt 0
'

test_expect_success 'options are checked per command, with exit status 2' '
	test_must_fail 2 crm-churn eval -m 1 2>err &&
	test_grep "eval needs --holdout-end" err &&
	test_must_fail 2 crm-churn train -l churn -b week 2>err &&
	test_grep "train reports by total or decile" err &&
	test_must_fail 2 crm-churn fit -m pareto -S x.csv -C EUR 2>err &&
	test_grep "fit --summaries takes no -C, -c or -n" err &&
	test_must_fail 2 crm-churn score --drop a,b 2>err &&
	test_grep "score does not take --drop" err &&
	test_must_fail 2 crm-churn fit -m pareto -u month 2>err &&
	test_grep "unit: .month. is not day or week" err &&
	test_must_fail 2 crm-churn fit -m logit 2>err &&
	test_grep "fit: --model: a kind, bgnbd or pareto" err
'

test_done
