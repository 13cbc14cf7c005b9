#!/bin/sh
# crm-segment: RFM (hand-computed), expressions, profit, pairs, saved segments.
. "$(dirname "$0")/lib.sh"

test_expect_success 'set up: six contacts, eight purchases' '
	crm-add -q "$DATA/segment-contacts.csv" &&
	crm-log -q "$DATA/segment-purchases.csv"
'

# Buyers n = 5.  Recency (days to 2026-11-01): A 2, B 31, D 290, E 2, F 245;
# R = 1 + floor(5 * (number with more days) / 5): A, E (tied) 1 + 3 = 4,
# B 1 + 2 = 3, F 1 + 1 = 2, D 1.  Frequency A 3, B 1, D 2, E 1, F 1:
# F = 1 + (number with fewer): A 5, D 4, B, E, F (tied) 1.  Monetary
# A 170, B 500, D 20, E 100, F 60: B 5, A 4, E 3, F 2, D 1.
# FM = (F + M + 1) / 2: A (5+4+1)/2 = 5, B 3, D 3, E 2, F 2.  Map (R, FM),
# first match wins: A (4, 5) Champions, B (3, 3) Need Attention, D (1, 3)
# At Risk, E (4, 2) Potential Loyalist, F (2, 2) Hibernating; C has no
# purchases.
test_expect_success 'rfm: scores, ties and segments as computed by hand' '
	crm-segment rfm --as-of 2026-11-01 >out &&
	cat >expect <<-\EOF &&
	id,external_id,email,recency,frequency,monetary,r,f,m,rfm,segment
	1,A,a@x.com,2,3,170.00,4,5,4,454,Champions
	2,B,b@x.com,31,1,500.00,3,1,5,315,Need Attention
	3,C,c@x.com,,0,,,,,,No purchases
	4,D,d@x.com,290,2,20.00,1,4,1,141,At Risk
	5,E,e@x.com,2,1,100.00,4,1,3,413,Potential Loyalist
	6,F,f@x.com,245,1,60.00,2,1,2,212,Hibernating
	EOF
	test_cmp expect out
'

test_expect_success 'rfm: the as-of date decides what counts' '
	crm-segment rfm --as-of 2026-09-30 -f json >out &&
	test_grep "\"external_id\":\"A\",\"email\":\"a@x.com\",\"recency\":29,\"frequency\":2,\"monetary\":70.00" out &&
	test_grep "\"external_id\":\"B\".*\"segment\":\"No purchases\"" out
'

test_expect_success 'rfm: --explain prints the boundaries on stderr' '
	crm-segment rfm --as-of 2026-11-01 --explain >/dev/null 2>err &&
	test_grep "^as of 2026-11-01: 6 contacts, 5 with purchases" err &&
	test_grep "^monetary: 5=500..500 4=170..170 3=100..100 2=60..60 1=20..20" err
'

test_expect_success 'rfm: cut points, average spend, a map from a file' '
	printf "r,fm,segment\n4-5,*,Recent\n*,*,Other\n" >map.csv &&
	crm-segment rfm --as-of 2026-11-01 --r-cuts 7,30,90,365 --f-cuts 2,3,4,5 --m-cuts 10,50,100,200 --average --map map.csv >out &&
	cat >expect <<-\EOF &&
	id,external_id,email,recency,frequency,monetary,r,f,m,rfm,segment
	1,A,a@x.com,2,3,56.67,5,3,3,533,Recent
	2,B,b@x.com,31,1,500.00,3,1,5,315,Other
	3,C,c@x.com,,0,,,,,,No purchases
	4,D,d@x.com,290,2,10.00,2,2,2,222,Other
	5,E,e@x.com,2,1,100.00,5,1,4,514,Recent
	6,F,f@x.com,245,1,60.00,2,1,3,213,Other
	EOF
	test_cmp expect out
'

test_expect_success 'rfm: bad cut points and an incomplete map are refused' '
	test_must_fail 2 crm-segment rfm --r-cuts 1,2,3 2>err &&
	test_grep "four ascending numbers" err &&
	printf "r,fm,segment\n5,*,Top\n" >short.csv &&
	test_must_fail 3 crm-segment rfm --map short.csv 2>err &&
	test_grep "no segment for r=1, fm=1" err
'

test_expect_success 'select: dates, durations, functions, lists' '
	crm-segment select --as-of 2026-11-01 -w "last_purchase < today - 90d or purchases = 0" >out &&
	printf "id,external_id,email,first_name,last_name\n3,C,c@x.com,Cy,\n4,D,d@x.com,Di,\n6,F,f@x.com,Flo,\n" >expect &&
	test_cmp expect out &&
	crm-segment select -w "bought('"'"'basic'"'"') and not bought('"'"'premium'"'"') and country in ('"'"'GB'"'"', '"'"'FR'"'"')" >out &&
	printf "id,external_id,email,first_name,last_name\n1,A,a@x.com,Ann,\n5,E,e@x.com,Ed,\n6,F,f@x.com,Flo,\n" >expect &&
	test_cmp expect out &&
	crm-segment select --as-of 2026-11-01 -w "age >= 30 and revenue > 15 and birth_date < 1990-06-01" >out &&
	printf "id,external_id,email,first_name,last_name\n1,A,a@x.com,Ann,\n4,D,d@x.com,Di,\n" >expect &&
	test_cmp expect out &&
	crm-segment select -w "attr.nothing is null and email like '"'"'%@x.com'"'"' and id <> 2 and stage != '"'"'lead'"'"'" >out &&
	test $(wc -l <out) = 5
'

test_expect_success 'select: a syntax error points at its column' '
	test_must_fail 2 crm-segment select -w "age >= 30 and" 2>err &&
	test_grep "column 14: expected a value, found the end" err &&
	test_grep "^               ^" err &&
	test_must_fail 2 crm-segment select -w "age >= '"'"'x'"'"'" 2>err &&
	test_grep "column 5: cannot compare these" err &&
	test_must_fail 2 crm-segment select -w "salary > 3" 2>err &&
	test_grep "column 1: unknown field .salary." err
'

test_expect_success 'profit: deciles (80/20) and by RFM segment' '
	crm-segment profit -b decile --as-of 2026-11-01 >out &&
	test_grep "^1,1,1,1,500.00,0.5882,0.5882,500.00,500.00" out &&
	test_grep "^2,1,1,3,170.00,0.2000,0.7882,56.67,170.00" out &&
	crm-segment profit -b rfm --as-of 2026-11-01 >out &&
	test_grep "^Champions,1,1,3,170.00,0.2000,0.7882,56.67,170.00" out &&
	crm-segment profit -b country -f csv >out &&
	test_grep "^GB,3,2,4,270.00" out &&
	crm-segment profit --as-of 2026-11-01 >out &&
	test_grep "^1,A,a@x.com,3,170.00,56.67,2026-06-01,2026-10-30," out &&
	test_must_fail 2 crm-segment profit -b shoe_size
'

test_expect_success 'pairs: support, confidence, lift' '
	crm-segment pairs -s 2 >out &&
	printf "a,b,contacts,support,confidence,lift\naddon,basic,2,0.4000,1.0000,1.2500\nbasic,addon,2,0.4000,0.5000,1.2500\n" >expect &&
	test_cmp expect out &&
	crm-segment pairs --category -s 0.1 >out &&
	test_grep "^extras,plans,2,0.4000,1.0000,1.0000" out
'

test_expect_success 'save, list, show, refresh, drop' '
	crm-segment save lapsed --as-of 2026-11-01 -w "last_purchase < today - 90d" 2>err &&
	test_grep "lapsed: 2 members" err &&
	printf "external_id\nA\nE\n" | crm-segment save vip 2>err &&
	test_grep "vip: 2 members" err &&
	crm-segment list >out &&
	test_grep "^lapsed,rule,2,.*,last_purchase < today - 90d" out &&
	test_grep "^vip,list,2,2026-11-01T12:00:00Z,$" out &&
	crm-segment show vip >out &&
	printf "id,external_id,email,first_name,last_name\n1,A,a@x.com,Ann,\n5,E,e@x.com,Ed,\n" >expect &&
	test_cmp expect out &&
	crm-segment select -w "in_segment('"'"'vip'"'"') and country = '"'"'GB'"'"'" >out &&
	test $(wc -l <out) = 3 &&
	test_must_fail 2 crm-segment save vip -w "id = 1" 2>err &&
	test_grep "exists" err &&
	crm-segment save --replace vip -w "id = 1" &&
	crm-segment refresh --as-of 2027-06-01 2>err &&
	test_grep "lapsed: 5 members" err &&
	crm-segment drop vip &&
	test_must_fail 2 crm-segment show vip
'

test_expect_success 'save from a list with an unknown contact fails whole' '
	printf "email\na@x.com\nnobody@x.com\n" >ids.csv &&
	test_must_fail 3 crm-segment save bad <ids.csv 2>err &&
	test_grep "<stdin>:3: no contact .nobody@x.com." err &&
	test_must_fail 2 crm-segment show bad
'

# k-means checked from outside: the script reads crm-segment kmeans output,
# takes log(1 + v) of recency, frequency and monetary and z-scores them
# (population sd) on its own, then checks that each buyer has a cluster,
# that distance is the distance to the mean of its cluster, and that this
# centre is the nearest (Lloyd stopped); it prints the number of buyers,
# the sizes, the inertia and, for k = 2, the least inertia of all 2^n / 2
# ways to cut the buyers in two.
cat >kcheck.awk <<'AWK'
BEGIN { FS = "," }
NR == 1 { if ($0 != "id,external_id,email,recency,frequency,monetary,cluster,distance") bad = "header"; next }
$5 == 0 { if ($7 != "" || $8 != "" || $4 != "") bad = "non-buyer " $1; next }
{
	if ($7 == "") bad = "no cluster for " $1
	n++; c[n] = $7; dist[n] = $8; if ($7 > k) k = $7
	x[n, 1] = log(1 + $4); x[n, 2] = log(1 + $5)
	x[n, 3] = $6 < 0 ? -log(1 - $6) : log(1 + $6)
}
END {
	for (j = 1; j <= 3; j++) {
		m = 0; for (i = 1; i <= n; i++) m += x[i, j]; m /= n
		v = 0; for (i = 1; i <= n; i++) v += (x[i, j] - m) ^ 2
		sd = sqrt(v / n)
		for (i = 1; i <= n; i++) z[i, j] = sd > 1e-12 ? (x[i, j] - m) / sd : 0
	}
	for (i = 1; i <= n; i++) { size[c[i]]++; for (j = 1; j <= 3; j++) cen[c[i], j] += z[i, j] }
	for (q = 1; q <= k; q++) { if (!size[q]) bad = "empty cluster " q; for (j = 1; j <= 3; j++) cen[q, j] /= size[q] }
	for (i = 1; i <= n; i++) {
		for (q = 1; q <= k; q++) { d[q] = 0; for (j = 1; j <= 3; j++) d[q] += (z[i, j] - cen[q, j]) ^ 2 }
		if ((sqrt(d[c[i]]) - dist[i]) ^ 2 > 1e-8) bad = "distance of buyer " i
		for (q = 1; q <= k; q++) if (d[q] < d[c[i]] - 1e-9) bad = "buyer " i " nearer cluster " q
		inertia += d[c[i]]
	}
	if (bad != "") { print "bad: " bad; exit 1 }
	printf "buyers %d sizes", n; for (q = 1; q <= k; q++) printf " %d", size[q]
	printf " inertia %.4f", inertia
	if (k == 2 && n <= 16) {
		best = -1
		for (mask = 1; mask < 2 ^ (n - 1); mask++) {
			delete s; delete cnt; t = 0
			for (i = 1; i <= n; i++) { g = int(mask / 2 ^ (i - 1)) % 2; cnt[g]++; for (j = 1; j <= 3; j++) s[g, j] += z[i, j] }
			for (i = 1; i <= n; i++) { g = int(mask / 2 ^ (i - 1)) % 2; for (j = 1; j <= 3; j++) t += (z[i, j] - s[g, j] / cnt[g]) ^ 2 }
			if (best < 0 || t < best) best = t
		}
		printf " best %.4f", best
	}
	printf "\n"
}
AWK

# As of 2026-11-01 the five buyers are those of the rfm test above.  In
# log and z-score space the best cut in two, by enumeration, is
# {A, B, E} (recent) and {D, F} (months ago, little money); the first has
# the higher mean spend (256.67 against 40.00), so it is cluster 1.
test_expect_success 'kmeans: two clusters, the best cut, checked from outside' '
	crm-segment kmeans --as-of 2026-11-01 -k 2 --explain >out 2>err &&
	cat >expect <<-\EOF &&
	id,external_id,email,recency,frequency,monetary,cluster,distance
	1,A,a@x.com,2,3,170.00,1,1.6824
	2,B,b@x.com,31,1,500.00,1,1.4120
	3,C,c@x.com,,0,,,
	4,D,d@x.com,290,2,20.00,2,0.8756
	5,E,e@x.com,2,1,100.00,1,1.1261
	6,F,f@x.com,245,1,60.00,2,0.8756
	EOF
	test_cmp expect out &&
	awk -f kcheck.awk out >check &&
	echo "buyers 5 sizes 3 2 inertia 7.6254 best 7.6254" >expect &&
	test_cmp expect check &&
	cat >expect <<-\EOF &&
	as of 2026-11-01: 6 contacts, 5 with purchases
	k = 2, seed 1, best of 10 runs: inertia 7.6254, 1 iteration
	cluster 1: 3 buyers (60.0%): recency 11.7 days, frequency 1.67, monetary 256.67
	cluster 2: 2 buyers (40.0%): recency 267.5 days, frequency 1.50, monetary 40.00
	EOF
	test_cmp expect err
'

test_expect_success 'kmeans: default k 4, sizes add up, --average as in rfm' '
	crm-segment kmeans --as-of 2026-11-01 --explain >out 2>err &&
	awk -f kcheck.awk out >check &&
	test_grep "^buyers 5 sizes 1 1 1 2 inertia " check &&
	test_grep "^k = 4, seed 1, " err &&
	test "$(grep -c "^cluster [1-4]: " err)" = 4 &&
	test "$(awk "/^cluster [0-9]*: / { n += \$3 } END { print n }" err)" = 5 &&
	test_grep "^cluster 1: 1 buyer (20.0%): recency 31.0 days, frequency 1.00, monetary 500.00" err &&
	crm-segment kmeans --as-of 2026-11-01 --average -k 2 >out &&
	test_grep "^1,A,a@x.com,2,3,56.67,[12]," out &&
	awk -f kcheck.awk out >check &&
	test_grep "^buyers 5 sizes" check
'

test_expect_success 'kmeans: the same seed gives the same bytes, another seed valid rows' '
	crm-segment kmeans --as-of 2026-11-01 -k 3 --seed 7 >one &&
	crm-segment kmeans --as-of 2026-11-01 -k 3 --seed 7 >two &&
	cmp one two &&
	crm-segment kmeans --as-of 2026-11-01 -k 3 --seed 9223372036854775807 >three &&
	awk -f kcheck.awk three >check &&
	test_grep "^buyers 5 sizes [0-9] [0-9] [0-9] inertia" check &&
	test $(cut -d, -f7 three | grep -c "^[123]$") = 5
'

test_expect_success 'kmeans: TSV and JSON, a cluster piped to save' '
	crm-segment kmeans --as-of 2026-11-01 -k 2 -f tsv >out &&
	test "$(head -1 out)" = "$(printf "id\texternal_id\temail\trecency\tfrequency\tmonetary\tcluster\tdistance")" &&
	test_grep "^4	D	d@x.com	290	2	20.00	2	0.8756$" out &&
	crm-segment kmeans --as-of 2026-11-01 -k 2 -f json >out &&
	test_grep "^{\"id\":3,\"external_id\":\"C\",\"email\":\"c@x.com\",\"recency\":null,\"frequency\":0,\"monetary\":null,\"cluster\":null,\"distance\":null}$" out &&
	test_grep "^{\"id\":2,.*\"monetary\":500.00,\"cluster\":1,\"distance\":1.4120}$" out &&
	crm-segment kmeans --as-of 2026-11-01 -k 2 >out.pipe &&
	awk -F, "NR == 1 || \$7 == 1" <out.pipe |
		crm-segment save recent-buyers 2>err &&
	test_grep "recent-buyers: 3 members" err &&
	crm-segment show recent-buyers >out.pipe &&
	cut -d, -f2 <out.pipe | tr "\n" " " >got &&
	test "$(cat got)" = "external_id A B E " &&
	crm-segment drop recent-buyers
'

test_expect_success 'kmeans: bad -k and --seed exit 2, too many clusters or no buyers 3' '
	test_must_fail 2 crm-segment kmeans -k 0 2>err &&
	test_grep "^crm-segment: -k: .0. is not a number from 1 to 1000" err &&
	test_must_fail 2 crm-segment kmeans -k two &&
	test_must_fail 2 crm-segment kmeans --clusters 1001 &&
	test_must_fail 2 crm-segment kmeans --seed -1 &&
	test_must_fail 2 crm-segment kmeans extra &&
	test_must_fail 3 crm-segment kmeans --as-of 2026-11-01 -k 6 >out 2>err &&
	test_grep "^crm-segment: 6 clusters asked for, but the 5 contacts with purchases have only 5 distinct recency, frequency and monetary values" err &&
	test ! -s out &&
	test_must_fail 3 crm-segment kmeans --as-of 2020-01-01 2>err &&
	test_grep "^crm-segment: no contact has purchases to cluster" err &&
	crm-segment kmeans --as-of 2026-11-01 -k 5 >out &&
	test $(cut -d, -f7 out | sort -u | grep -c "^[1-5]$") = 5
'

test_expect_success '--help is the SYNOPSIS' '
	crm-segment --help >out &&
	test_grep "^       crm-segment kmeans \[-d db\]" out &&
	sed "/^\$/,\$d; s/^usage: //; s/^  *//" out | tr -s " \n" "  " >got &&
	mandoc -T ascii "$TOP/man/crm-segment.1" | sed "s/.\x08//g" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		sed "s/^  *//" | tr -s " \n" "  " >want &&
	test_cmp want got
'

# RFM on the CDNOW sample (2357 customers, many ties) against the same
# definitions written as one SQL query with window functions: recency in
# whole days to the as-of day, money to the cent, score 1 + 5 * (rank - 1)
# / n, where rank - 1 counts the buyers with a worse value.
cat >rfm.sql <<'SQL'
WITH p AS (SELECT contact_id, max(at) AS last, count(*) AS n,
    total(amount) AS tot FROM interactions
    WHERE kind = 'purchase' AND at < unixepoch('1998-06-30', '+1 day')
    GROUP BY contact_id),
j AS (SELECT c.id, c.external_id, c.email,
    (unixepoch('1998-06-30') - (p.last - p.last % 86400)) / 86400 AS rec,
    p.n, round(p.tot * 100) / 100 AS mon
    FROM contacts c LEFT JOIN p ON p.contact_id = c.id
    WHERE c.merged_into IS NULL AND c.erased_at IS NULL)
SELECT id, external_id, email, rec, coalesce(n, 0),
    CASE WHEN n IS NOT NULL THEN printf('%.2f', mon) END,
    CASE WHEN n IS NOT NULL THEN 1 + 5 * (rank() OVER (PARTITION BY
        n IS NULL ORDER BY rec DESC) - 1) / count(*) OVER b END,
    CASE WHEN n IS NOT NULL THEN 1 + 5 * (rank() OVER (PARTITION BY
        n IS NULL ORDER BY n) - 1) / count(*) OVER b END,
    CASE WHEN n IS NOT NULL THEN 1 + 5 * (rank() OVER (PARTITION BY
        n IS NULL ORDER BY mon) - 1) / count(*) OVER b END
FROM j WINDOW b AS (PARTITION BY n IS NULL) ORDER BY id;
SQL

test_expect_success 'rfm: the CDNOW sample scored as SQL window functions score it' '
	awk "BEGIN { print \"external_id\" } { sub(/\r\$/, \"\"); if (!seen[\$2]++) print \$2 }" \
		"$DATA/CDNOW_sample.txt" >customers.csv &&
	awk "BEGIN { print \"external_id,at,channel,kind,amount,ref\" }
		{ sub(/\r\$/, \"\"); print \$2 \",\" \$3 \",store,purchase,\" \$5 \",S\" NR }" \
		"$DATA/CDNOW_sample.txt" >purchases.csv &&
	CRM_DB=cdnow.db crm-add -q customers.csv &&
	CRM_DB=cdnow.db crm-log -q purchases.csv &&
	printf "external_id,at,channel,kind,amount\n0001,1998-05-01,web,visit,\n0002,1998-07-01,web,purchase,99\n" |
		CRM_DB=cdnow.db crm-log -q &&
	CRM_DB=cdnow.db crm-segment rfm --as-of 1998-06-30 >out &&
	test $(wc -l <out) = 2358 &&
	tail -n +2 out | cut -d, -f1-9 >got &&
	sqlite3 -batch -csv cdnow.db ".read rfm.sql" >expect &&
	test_cmp expect got &&
	test "$(cut -d, -f7-9 got | sort -u | wc -l)" -gt 50
'

test_expect_success 'rfm: contact ids far apart give the same rows' '
	cp cdnow.db sparse.db &&
	sqlite3 sparse.db "UPDATE interactions SET contact_id = contact_id + 40000000 WHERE contact_id > 1000;
		UPDATE contacts SET id = id + 40000000 WHERE id > 1000" &&
	test "$(sqlite3 sparse.db "SELECT max(id) FROM contacts")" = 40002357 &&
	CRM_DB=sparse.db crm-segment rfm --as-of 1998-06-30 >sparse.csv &&
	cut -d, -f2- out >expect &&
	cut -d, -f2- sparse.csv >got &&
	test_cmp expect got &&
	CRM_DB=sparse.db crm-segment profit -b decile >got &&
	CRM_DB=cdnow.db crm-segment profit -b decile >expect &&
	test_cmp expect got
'

test_expect_success 'kmeans: the CDNOW sample, every buyer in a nearest cluster' '
	CRM_DB=cdnow.db crm-segment kmeans --as-of 1998-06-30 --explain >km.csv 2>err &&
	test $(wc -l <km.csv) = 2358 &&
	CRM_DB=cdnow.db crm-segment rfm --as-of 1998-06-30 >rfm.csv &&
	buyers=$(awk -F, "NR > 1 && \$5 > 0" rfm.csv | wc -l) &&
	test "$buyers" -gt 2000 &&
	awk -f kcheck.awk km.csv >check &&
	test_grep "^buyers $buyers sizes [0-9]* [0-9]* [0-9]* [0-9]* inertia" check &&
	test "$(sed -n "s/.* inertia \([0-9.]*\).*/\1/p" check)" = \
		"$(sed -n "s/.*: inertia \([0-9.]*\), .*/\1/p" err)" &&
	test_grep "^as of 1998-06-30: 2357 contacts, $buyers with purchases" err &&
	cut -d, -f1-6 km.csv >got &&
	cut -d, -f1-6 rfm.csv >expect &&
	test_cmp expect got &&
	CRM_DB=sparse.db crm-segment kmeans --as-of 1998-06-30 >out.pipe &&
	cut -d, -f2- <out.pipe >got &&
	cut -d, -f2- km.csv >expect &&
	test_cmp expect got
'

test_done
