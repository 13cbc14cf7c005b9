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

test_done
