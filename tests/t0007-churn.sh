#!/bin/sh
# crm-churn: BG/NBD, Pareto/NBD and Gamma-Gamma on the CDNOW sample against
# the published estimates (Fader, Hardie & Lee 2005), scoring, holdout
# evaluation, logistic churn on the IBM Telco data, bad input.
. "$(dirname "$0")/lib.sh"

# field NAME FILE: the value of column NAME in the first record of a CSV
# without quoted commas.
field() {
	awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
		NR == 2 { print $c; exit }' "$2"
}

# round DIGITS VALUE
round() {
	awk -v d="$1" -v v="$2" 'BEGIN { printf "%.*f\n", d, v }'
}

# CDNOW_sample.txt: master id, sample id, YYYYMMDD, CDs, dollars (CRLF).
test_expect_success 'import the CDNOW sample: 2357 contacts, 6919 purchases' '
	awk "BEGIN { print \"external_id\" } { sub(/\r\$/, \"\"); if (!seen[\$2]++) print \$2 }" \
		"$DATA/CDNOW_sample.txt" >customers.csv &&
	awk "BEGIN { print \"external_id,at,channel,kind,amount,ref\" }
		{ sub(/\r\$/, \"\"); print \$2 \",\" \$3 \",store,purchase,\" \$5 \",S\" NR }" \
		"$DATA/CDNOW_sample.txt" >purchases.csv &&
	crm-add -q customers.csv &&
	crm-log -q purchases.csv &&
	test "$(sql "select count(*) from contacts")" = 2357 &&
	test "$(sql "select count(*) from interactions")" = 6919
'

test_expect_success 'fit BG/NBD: r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4' '
	crm-churn fit -m bgnbd -c 1997-09-30 -u week >bg.csv 2>err &&
	test_grep "BG/NBD: 2357 customers, 946 repeat buyers" err &&
	test_grep "iterations, [0-9]*\.[0-9][0-9] s of CPU; model 1\$" err &&
	test "$(field model_id bg.csv)" = 1 &&
	test "$(field converged bg.csv)" = 1 &&
	test "$(field repeat_purchases bg.csv)" = 2457 &&
	test "$(round 3 $(field r bg.csv))" = 0.243 &&
	test "$(round 3 $(field alpha bg.csv))" = 4.414 &&
	test "$(round 3 $(field a bg.csv))" = 0.793 &&
	test "$(round 3 $(field b bg.csv))" = 2.426 &&
	test "$(round 1 $(field loglik bg.csv))" = -9582.4
'

test_expect_success 'and Gamma-Gamma on the 946 repeat buyers: p 6.25, q 3.74, v 15.44' '
	test "$(round 2 $(field p bg.csv))" = 6.25 &&
	test "$(round 2 $(field q bg.csv))" = 3.74 &&
	test "$(round 2 $(field v bg.csv))" = 15.44 &&
	test "$(sql "select kind, n, unit, date(calibration_end, '\''unixepoch'\''),
		json_extract(params, '\''$.spend.n'\'') from models")" = "bgnbd|2357|week|1997-09-30|946"
'

test_expect_success 'fit Pareto/NBD: r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0' '
	crm-churn fit -q -m pareto -c 1997-09-30 >pa.csv &&
	test "$(field model pa.csv)" = pareto &&
	test "$(field a pa.csv)" = "" &&
	test "$(round 3 $(field r pa.csv))" = 0.553 &&
	test "$(round 3 $(field alpha pa.csv))" = 10.578 &&
	test "$(round 3 $(field s pa.csv))" = 0.606 &&
	test "$(round 3 $(field beta pa.csv))" = 11.669 &&
	test "$(round 1 $(field loglik pa.csv))" = -9595.0
'

test_expect_success 'fit --summaries reads x,t_x,T,zbar without a database' '
	CRM_DB=nowhere.db crm-churn fit -q -m bgnbd -S "$DATA/cdnow_summary.csv" >sum.csv &&
	test ! -e nowhere.db &&
	test "$(field model_id sum.csv)" = "" &&
	test "$(round 3 $(field r sum.csv))" = 0.243 &&
	test "$(round 3 $(field b sum.csv))" = 2.426 &&
	test "$(round 1 $(field loglik sum.csv))" = -9582.4
'

test_expect_success 'score: P(alive), expected purchases, spend and CLV per contact' '
	crm-churn score -m 1 -H 39w >scores.csv 2>err &&
	test_grep "2357 contacts, 2357 scored with model 1 over 273 days" err &&
	head -1 scores.csv >head &&
	echo "id,external_id,email,x,t_x,T,zbar,p_alive,expected_purchases,expected_spend,clv,churn_probability" >expect &&
	test_cmp expect head &&
	test "$(awk -F, "NR == 2 { printf \"%.3f %.3f %.2f\", \$8, \$9, \$10 }" scores.csv)" = "0.727 1.226 24.65" &&
	test "$(awk -F, "NR == 3 || NR == 4 { printf \"%s \", \$10 }" scores.csv)" = "18.91 35.17 " &&
	test "$(wc -l <scores.csv)" = 2358 &&
	! grep -i "nan\|inf" scores.csv &&
	test "$(sql "select count(*), min(model_id), max(model_id), max(horizon_days),
		CASE WHEN max(abs(churn_probability + p_alive - 1)) < 1e-9 THEN 0 END
		from scores")" = "2357|1|1|273|0"
'

test_expect_success 'CLV: undiscounted it is spend times purchases; discounting lowers it' '
	awk -F, "NR > 1 && \$10 != \"\" { d = \$10 * \$9 - \$11; e = 0.01 + 0.005 * \$9 + 0.0001 * \$10
		if (d > e || d < -e) bad++ } END { exit bad }" scores.csv &&
	crm-churn score -q -n -m 1 -H 39w -D 10% >disc.csv &&
	test "$(sed -n 2p scores.csv | cut -d, -f11)" = 30.23 &&
	test "$(sed -n 2p disc.csv | cut -d, -f11)" = 29.12 &&
	crm-churn score -q -n -m 1 -f json >out.pipe &&
	head -1 <out.pipe >one.json &&
	test_grep "\"p_alive\":0.72" one.json
'

test_expect_success 'a contact without purchases is listed, unscored; merged purchases count, the merged-away row goes' '
	printf "external_id\nNEW\n" | crm-add -q &&
	crm-churn score -q -m 1 >s2.csv &&
	test "$(grep ",NEW," s2.csv)" = "2358,NEW,,,,,,,,,," &&
	test "$(sql "select count(*) from scores where contact_id = 2358")" = 0 &&
	sql "update contacts set merged_into = 2358 where external_id = '\''0001'\''" &&
	crm-churn score -q -m 1 >s3.csv &&
	grep "^2358,NEW,,2,30.4286," s3.csv &&
	test "$(sql "select count(*), count(*) filter (where contact_id = 1),
		count(*) filter (where contact_id = 2358),
		count(distinct scored_at) from scores")" = "2357|0|1|1" &&
	sql "update contacts set merged_into = NULL where external_id = '\''0001'\''"
'

# Scores whose contact or model is not there (pragma foreign_key_check).
orphans="select count(*) from scores where contact_id not in
	(select id from contacts) or model_id not in (select id from models)"

test_expect_success 'stored scores keep the foreign keys; a merge cycle scores neither contact' '
	test "$(sql "$orphans")" = 0 &&
	sql "update contacts set merged_into = 2 where id = 1;
		update contacts set merged_into = 1 where id = 2" &&
	crm-churn score -q -m 1 >cyc.csv &&
	test "$(wc -l <cyc.csv)" = 2357 &&
	! grep -q "^[12]," cyc.csv &&
	test "$(sql "select count(*), count(*) filter (where contact_id <= 2)
		from scores")" = "2355|0" &&
	sql "update contacts set merged_into = NULL where id <= 2" &&
	crm-churn score -q -m 1 >/dev/null &&
	test "$(sql "select count(*) from scores")" = 2357
'

test_expect_success 'overlapping scorings (cron) wait for each other and agree' '
	crm-churn score -q -m 1 >o1.csv & p1=$!
	crm-churn score -q -m 1 >o2.csv & p2=$!
	crm-churn score -q -n -m 1 >o3.csv & p3=$!
	wait $p1 && wait $p2 && wait $p3 &&
	test_cmp o1.csv o2.csv &&
	test_cmp o1.csv o3.csv &&
	{ test -n "${CRM_TEST_PGHOST:-}" ||
		test "$(sql "pragma integrity_check")" = ok; } &&
	test "$(sql "select count(*) from scores")" = 2357
'

test_expect_success 'a failed write of the scores stores none of them' '
	sql "select contact_id, p_alive, scored_at from scores order by contact_id" >before &&
	n=$(sql "select count(*) from audit") &&
	test_must_fail 1 crm-churn score -m 1 -H 30d >/dev/full 2>err &&
	test_grep "write error" err &&
	sql "select contact_id, p_alive, scored_at from scores order by contact_id" >after &&
	cmp before after &&
	test "$(sql "select count(*) from audit")" = "$n" &&
	test "$(sql "$orphans")" = 0
'

test_expect_success 'eval: 1882 repeat purchases in the holdout, tracking within 5%' '
	crm-churn eval -m bgnbd -e 1998-06-30 >ev.csv 2>err &&
	test_grep "273-day holdout: 1882 repeat purchases" err &&
	test "$(field customers ev.csv)" = 2357 &&
	test "$(field actual ev.csv)" = 1882 &&
	test "$(field weeks ev.csv)" = 78 &&
	test "$(field actual_cumulative ev.csv)" = 4339 &&
	awk -F, "NR == 2 { exit !(\$12 < -3 && \$12 > -5 && \$7 > 0.5 && \$5 > 1500) }" ev.csv
'

test_expect_success 'eval by week, frequency and customer' '
	crm-churn eval -q -m 1 -e 1998-06-30 -b week >wk.csv &&
	test "$(wc -l <wk.csv)" = 79 &&
	test "$(tail -1 wk.csv | cut -d, -f1,2,5)" = "78,1998-06-30,4339" &&
	test "$(sed -n 40p wk.csv | cut -d, -f5)" = 2457 &&
	crm-churn eval -q -m 1 -e 1998-06-30 -b frequency >fr.csv &&
	test "$(cut -d, -f1,2 fr.csv | tr "\n" " ")" = "x,customers 0,1411 1,439 2,214 3,100 4,62 5,38 6,29 7+,64 " &&
	crm-churn eval -q -m 1 -e 1998-06-30 -b customer >cu.csv &&
	test "$(wc -l <cu.csv)" = 2358 &&
	test "$(sed -n 2p cu.csv)" = "1,0001,2,30.4286,38.8571,0.726621,1.2260,1"
'

test_expect_success 'dry runs store nothing' '
	n=$(sql "select count(*) from models") &&
	crm-churn fit -q -n -m bgnbd -c 1997-09-30 >/dev/null &&
	test "$(sql "select count(*) from models")" = "$n" &&
	sql "delete from scores" &&
	crm-churn score -q -n >/dev/null &&
	test "$(sql "select count(*) from scores")" = 0
'

test_expect_success 'train on Telco: AUC >= 0.84 on the seeded 20% hold-out' '
	crm-churn train -l Churn -i customerID "$DATA/Telco-Customer-Churn.csv" >tr.csv 2>err &&
	test_grep "7043 rows, 1409 held out" err &&
	test "$(field rows tr.csv),$(field train tr.csv),$(field test tr.csv)" = 7043,5634,1409 &&
	awk -F, "NR == 2 { exit !(\$7 >= 0.84 && \$8 > \$9) }" tr.csv &&
	id=$(field model_id tr.csv) &&
	test "$(sql "select kind, json_extract(params, '\''$.id'\'') from models where id = $id")" = "logit|customerID" &&
	crm-churn train -q -n -l churn --drop customerid -b decile "$DATA/Telco-Customer-Churn.csv" >dec.csv &&
	test "$(wc -l <dec.csv)" = 11
'

test_expect_success 'predict scores a CSV with the saved model; missing values count' '
	crm-churn predict "$DATA/Telco-Customer-Churn.csv" >pr.csv 2>err &&
	test_grep "7043 rows scored" err &&
	test "$(head -1 pr.csv)" = customerID,churn_probability &&
	test "$(wc -l <pr.csv)" = 7044 &&
	awk -F, "NR > 1 && !(\$2 >= 0 && \$2 <= 1) { exit 1 }" pr.csv &&
	grep "^4472-LVYGI," pr.csv &&
	printf "tenure,Contract,MonthlyCharges\n1,Month-to-month,90\n" >few.csv &&
	test_must_fail 3 crm-churn predict few.csv 2>err &&
	test_grep "few.csv: no column .gender. (the model needs it)" err
'

test_expect_success 'train: an id column is refused as a feature; bad labels name the line' '
	test_must_fail 3 crm-churn train -n -l Churn "$DATA/Telco-Customer-Churn.csv" 2>err &&
	test_grep "customerID. has 5634 distinct values .* an identifier" err &&
	printf "a,b,Churn\n1,x,yes\n2,y,maybe\n" >bad.csv &&
	test_must_fail 3 crm-churn train -n -l Churn bad.csv 2>err &&
	test_grep "bad.csv:3: label Churn: .maybe. is not yes/no" err &&
	test_must_fail 3 crm-churn train -n -l Gone bad.csv 2>err &&
	test_grep "bad.csv: no column .Gone." err
'

test_expect_success 'no purchases, no repeat buyers, no model: clear errors, exit 3' '
	CRM_DB=empty.db crm-add -q customers.csv &&
	test_must_fail 3 env CRM_DB=empty.db crm-churn fit -m bgnbd 2>err &&
	test_grep "no purchases in the interaction log" err &&
	test_must_fail 3 env CRM_DB=empty.db crm-churn score 2>err &&
	test_grep "no BG/NBD or Pareto/NBD model: run crm-churn fit first" err &&
	printf "external_id,at,channel,kind\n0001,2020-01-01,web,purchase\n0002,2020-02-01,web,purchase\n" |
		CRM_DB=empty.db crm-log -q &&
	test_must_fail 3 env CRM_DB=empty.db crm-churn fit -m pareto -c 2020-03-01 2>err &&
	test_grep "Pareto/NBD: none of the 2 customers made a repeat purchase" err &&
	printf "x,t_x,T\n1,2,3\n2,5,4\n" >bad-sum.csv &&
	test_must_fail 3 crm-churn fit -m bgnbd -S bad-sum.csv 2>err &&
	test_grep "bad-sum.csv:3: t_x must be in \[0, T\]" err &&
	printf "x,t_x,T\n1,2,abc\n" >bad-sum.csv &&
	test_must_fail 3 crm-churn fit -m bgnbd -S bad-sum.csv 2>err &&
	test_grep "bad-sum.csv:2: invalid T .abc." err
'

test_expect_success 'usage errors exit 2, a missing database 1' '
	test_must_fail 2 crm-churn &&
	test_must_fail 2 crm-churn frobnicate &&
	test_must_fail 2 crm-churn fit 2>err &&
	test_grep "fit needs --model bgnbd or pareto" err &&
	test_must_fail 2 crm-churn fit -m weibull &&
	test_must_fail 2 crm-churn fit -m bgnbd -u month &&
	test_must_fail 2 crm-churn fit -m bgnbd -H 90d 2>err &&
	test_grep "fit does not take --horizon" err &&
	test_must_fail 2 crm-churn score -H 0d &&
	test_must_fail 2 crm-churn score -D -1 &&
	test_must_fail 2 crm-churn score -m logit &&
	test_must_fail 2 crm-churn eval 2>err &&
	test_grep "eval needs --holdout-end" err &&
	test_must_fail 2 crm-churn eval -m 1 -e 1997-09-01 2>err &&
	test_grep "holdout end 1997-09-01 is not after the calibration end 1997-09-30" err &&
	test_must_fail 2 crm-churn train -n "$DATA/Telco-Customer-Churn.csv" &&
	test_must_fail 2 crm-churn predict -m bgnbd &&
	test_must_fail 3 crm-churn predict -m 1 few.csv 2>err &&
	test_grep "model 1 is a bgnbd model, not a logit model" err &&
	test_must_fail 1 env CRM_DB=missing.db crm-churn score 2>/dev/null &&
	test ! -e missing.db
'

test_expect_success 'models lists what was stored; --help is the SYNOPSIS' '
	crm-churn models >models.csv &&
	test "$(cut -d, -f1,2 models.csv | head -4 | tr "\n" " ")" = "id,kind 1,bgnbd 2,pareto 3,logit " &&
	crm-churn --help >out &&
	sed "/^\$/,\$d; s/^usage: //; s/^  *//" out | tr -s " \n" "  " >got &&
	mandoc -T ascii "$TOP/man/crm-churn.1" | sed "s/.\x08//g" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		sed "s/^  *//" | tr -s " \n" "  " >want &&
	test_cmp want got
'

test_done
