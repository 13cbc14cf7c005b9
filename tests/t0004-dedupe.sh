#!/bin/sh
# crm-dedupe: finding duplicates (database and file), merge, unmerge.
. "$(dirname "$0")/lib.sh"

# Contacts 1-10 are five duplicate pairs, one of each kind: a typo, a
# nickname and a phone written two ways, an upper-case email, given and
# family names swapped, accents dropped.  11 shares 3 and 4's address and
# family name, 12 shares 1's name: neither is a duplicate.  300 generated
# contacts (no duplicates) follow, so that the model has data to learn
# from.
test_expect_success 'set up: hand-made duplicates among 300 others' '
	"$TOP/scripts/gen-data" --seed 4 contacts 300 --dup-rate 0 >bg.csv &&
	crm-add -q "$DATA/dedupe-contacts.csv" bg.csv &&
	test "$(sql "select count(*) from contacts")" = 312
'

test_expect_success 'find: the five duplicate pairs, nothing else among 1-12' '
	crm-dedupe >pairs.csv 2>err &&
	test_grep "^crm-dedupe: 312 records, [0-9]* candidate pairs" err &&
	awk -F, "NR > 1 && \$1 <= 12 { print \$1 \",\" \$2 }" pairs.csv >got &&
	printf "1,2\n3,4\n5,6\n7,8\n9,10\n" >expect &&
	test_cmp expect got &&
	head -1 pairs.csv >got &&
	echo "id_a,id_b,name_a,name_b,score,probability,first_name,last_name,email,phone,birth_date,street,city,postcode,company,first_name_a,first_name_b,last_name_a,last_name_b,email_a,email_b,phone_a,phone_b,birth_date_a,birth_date_b,street_a,street_b,city_a,city_b,postcode_a,postcode_b,company_a,company_b" >expect &&
	test_cmp expect got
'

test_expect_success 'find: per-field levels (nickname 2, swap 3, accents 3)' '
	grep "^3,4," pairs.csv | cut -d, -f7,8,10 >got &&
	echo "2,3,3" >expect &&
	test_cmp expect got &&
	grep "^7,8,Wei Zhang,Zhang Wei," pairs.csv | cut -d, -f7,8 >got &&
	echo "3,3" >expect &&
	test_cmp expect got &&
	grep "^9,10," pairs.csv | cut -d, -f7,8 >got &&
	test_cmp expect got &&
	grep "^5,6," pairs.csv | cut -d, -f9 >got &&
	echo 3 >expect &&
	test_cmp expect got
'

test_expect_success 'find: pairs and clusters carry the values compared' '
	grep "^3,4," pairs.csv | cut -d, -f16,17,20-23 >got &&
	echo "William,Bill,wturnbull@example.net,bill.t@example.com,+442079460958,+442079460958" >expect &&
	test_cmp expect got &&
	crm-dedupe -q -c >clusters.csv &&
	grep "^3,4," clusters.csv >got &&
	echo "3,4,Bill Turnbull,Bill,Turnbull,bill.t@example.com,+442079460958,,3 Mill Lane,Oxford,OX1 2JD,,2,3,0,3,,3,,3," >expect &&
	test_cmp expect got
'

test_expect_success 'find: a household member is not a duplicate (11 lives with 3)' '
	! grep -q "^[0-9]*,11," pairs.csv &&
	! grep -q "^11," pairs.csv
'

test_expect_success 'find: a threshold near 1 keeps fewer, JSON and TSV out' '
	crm-dedupe -q -T 0.999999999 >out.pipe &&
	wc -l <out.pipe >n &&
	test "$(cat n)" -le "$(wc -l <pairs.csv)" &&
	crm-dedupe -q -f json >out.json &&
	test_grep "^{\"id_a\":1,\"id_b\":2,\"name_a\":\"Jonathan Smithers\",\"name_b\":\"Jonathon Smithers\",\"score\":[0-9.]*,\"probability\":[01]\.[0-9]*,\"first_name\":2,\"last_name\":3,\"email\":3,\"phone\":null," out.json &&
	crm-dedupe -q -f tsv >out.pipe &&
	head -1 <out.pipe | tr "\t" , >got &&
	head -1 pairs.csv >expect &&
	test_cmp expect got
'

test_expect_success 'find: clusters with the lowest contact id as cluster id' '
	crm-dedupe -q -c >clusters.csv &&
	awk -F, "NR == 1 || \$2 <= 12" clusters.csv | cut -d, -f1-3 >got &&
	cat >expect <<-\EOF &&
	cluster_id,id,name
	1,1,Jonathan Smithers
	1,2,Jonathon Smithers
	3,3,William Turnbull
	3,4,Bill Turnbull
	5,5,Annabel Leeming
	5,6,Annabel Leeming
	7,7,Wei Zhang
	7,8,Zhang Wei
	9,9,José Müller-Ortega
	9,10,Jose Muller-Ortega
	EOF
	test_cmp expect got
'

test_expect_success 'find: the model, m and u for every field and level' '
	crm-dedupe -q --model >model.csv &&
	test_grep "^field,level,m,u,weight$" model.csv &&
	test_grep "^lambda,,[0-9.e+-]*,,$" model.csv &&
	test_grep "^lambda_household,,[0-9.e+-]*,,$" model.csv &&
	test "$(grep -c "^email," model.csv)" = 4 &&
	! grep -q national_id model.csv
'

test_expect_success 'find: the same result twice (deterministic)' '
	crm-dedupe -q >again.csv &&
	test_cmp pairs.csv again.csv
'

test_expect_success 'file mode: the file back with a cluster id column' '
	crm-export -c external_id,first_name,last_name,email,phone,street,city,postcode,birth_date >file.csv &&
	crm-dedupe -i file.csv -I external_id >clustered.csv 2>err &&
	test_grep "312 records" err &&
	test "$(wc -l <clustered.csv)" = 313 &&
	head -1 clustered.csv >got &&
	echo "external_id,first_name,last_name,email,phone,street,city,postcode,birth_date,cluster_id" >expect &&
	test_cmp expect got &&
	awk -F, "NR > 1 && NR <= 13 { print \$1 \",\" \$NF }" clustered.csv >got &&
	cat >expect <<-\EOF &&
	D01,D01
	D02,D01
	D03,D03
	D04,D03
	D05,D05
	D06,D05
	D07,D07
	D08,D07
	D09,D09
	D10,D09
	N01,N01
	N02,N02
	EOF
	test_cmp expect got &&
	sed "s/,[^,]*\$//" clustered.csv >back &&
	test_cmp file.csv back
'

test_expect_success 'file mode: TSV stays TSV; pairs by id; a map; record numbers' '
	crm-export -f tsv -c external_id,first_name,last_name,email,phone,street,city,postcode,birth_date >file.tsv &&
	crm-dedupe -q -i file.tsv -I external_id >out.pipe &&
	head -2 <out.pipe | tail -1 | cut -f1,10 >got &&
	printf "D01\tD01\n" >expect &&
	test_cmp expect got &&
	crm-dedupe -q -i file.csv -I external_id -p >out.pipe &&
	cut -d, -f1,2 <out.pipe | head -3 >got &&
	printf "id_a,id_b\nD01,D02\nD03,D04\n" >expect &&
	test_cmp expect got &&
	sed "1s/first_name,last_name/given,family/" file.csv >mapped.csv &&
	crm-dedupe -q -i mapped.csv -m first_name=given,last_name=family -p >out.pipe &&
	cut -d, -f1,2 <out.pipe | head -3 >got &&
	printf "id_a,id_b\n1,2\n3,4\n" >expect &&
	test_cmp expect got
'

test_expect_success 'file mode: FEBRL subset, pairs F1 at least 0.98' '
	crm-dedupe -q -i "$DATA/febrl-dataset1-subset.csv" -I rec_id >febrl.csv &&
	awk -F, "NR == 1 { for (i = 1; i <= NF; i++) { if (\$i == \"rec_id\") r = i; if (\$i == \"cluster_id\") c = i }; next }
	    { split(\$r, a, \"-\"); t[a[2]]++; p[\$c]++; tp[a[2] \",\" \$c]++ }
	    END { for (k in t) T += t[k] * (t[k] - 1) / 2; for (k in p) P += p[k] * (p[k] - 1) / 2
		for (k in tp) TP += tp[k] * (tp[k] - 1) / 2
		f = 2 * TP / (T + P); print f; exit !(f >= 0.98) }" febrl.csv
'

test_expect_success 'file mode: a file of two or five records, too few to learn from' '
	printf "id,first_name,last_name,email\n1,John,Smith,js@example.com\n2,John,Smith,JS@Example.com\n" >two.csv &&
	crm-dedupe -q -i two.csv >out.pipe &&
	cut -d, -f1,5 <out.pipe >got &&
	printf "id,cluster_id\n1,1\n2,1\n" >expect &&
	test_cmp expect got &&
	printf "id,first_name,last_name,email,city\n%s\n%s\n%s\n%s\n%s\n" \
		"1,John,Smith,js@example.com,Boston" "2,John,Smith,john@other.org,Denver" \
		"3,Anna,Smith,anna@example.com,Boston" "4,Peter,Miller,,Boston" \
		"5,Petra,Miller,,Boston" >five.csv &&
	crm-dedupe -i five.csv -p >pairs.csv 2>err &&
	test "$(wc -l <pairs.csv)" = 1 &&
	test_grep "5 records, 4 candidate pairs, 0 matching" err
'

test_expect_success 'file mode: records that repeat an id are one record' '
	printf "id,first_name,last_name,email\n%s\n%s\n%s\n" \
		"7,Ann,Lee,ann@example.org" "8,Bob,Lee," \
		"7,Anne,Lee,ann.lee@example.net" >rep.csv &&
	crm-dedupe -i rep.csv -I id >out.csv 2>err &&
	test_grep "3 records (1 repeating an id, taken as one)" err &&
	awk -F, "\$1 == 7 { print \$5 }" out.csv | uniq >got &&
	echo 7 >expect &&
	test_cmp expect got &&
	crm-dedupe -q -i rep.csv -I id -p >pairs.csv &&
	! grep -q "^7,7," pairs.csv
'

test_expect_success 'file mode: bad input' '
	printf "id,first_name\n1,Ann\n1,Bob\n" >dup.csv &&
	test_must_fail 2 crm-dedupe -i dup.csv -I nope 2>err &&
	test_grep "dup.csv: no id column .nope." err &&
	test_must_fail 2 crm-dedupe -i dup.csv -m shoe_size=first_name 2>err &&
	test_grep "unknown field .shoe_size." err &&
	printf "id,colour\n1,red\n" >none.csv &&
	test_must_fail 3 crm-dedupe -i none.csv 2>err &&
	test_grep "none.csv: no column to compare" err &&
	test_must_fail 1 crm-dedupe -i missing.csv 2>err &&
	test_grep "missing.csv: No such file" err &&
	test_must_fail 2 crm-dedupe -I id 2>err &&
	test_grep "need --input" err &&
	test_must_fail 2 crm-dedupe -T 1 2>err &&
	test_grep "not a probability" err &&
	test_must_fail 2 crm-dedupe --frobnicate 2>err &&
	test_grep "^usage: crm-dedupe" err
'

test_expect_success 'set up: consent, history, segments, campaigns, scores' '
	printf "external_id,email_opt_in,sms_opt_in,do_not_contact\nD01,yes,yes,no\nD02,no,,no\nD03,yes,,no\nD04,,,yes\n" >consent.csv &&
	crm-add -q consent.csv &&
	printf "external_id,at,channel,kind,amount,ref\nD01,2026-10-01,store,purchase,10,\nD02,2026-10-02,web,purchase,20,\nD02,2026-10-03,web,purchase,30,O3\nD04,2026-10-04,phone,call,,\n" >log.csv &&
	crm-log -q log.csv &&
	printf "external_id\nD01\nD02\n" | crm-segment save -q both &&
	printf "external_id\nD02\n" | crm-segment save -q two &&
	sql "insert into campaigns (id, name, channel, created_at) values (1, '\''c1'\'', '\''email'\'', 0);
	    insert into campaign_members values (1, 1, '\''target'\'', null, null), (1, 2, '\''control'\'', null, null), (1, 4, '\''target'\'', null, 5);
	    insert into scores (contact_id, churn_probability, scored_at) values (2, 0.25, 0), (3, 0.5, 0), (4, 0.75, 0)" &&
	crm-export >export-before.csv &&
	# row_hash is crm-add'\''s checksum of the record a contact was last
	# imported from, a cache that any other change to the contact clears
	# (a merge and an unmerge too): compare without it.
	sql "update contacts set row_hash = null" &&
	sql ".dump contacts interactions segment_members campaign_members scores" >dump-before.sql
'

test_expect_success 'merge --dry-run shows the merges and changes nothing' '
	crm-dedupe -q >pairs.csv &&
	crm-dedupe merge -n <pairs.csv >dry.csv 2>err &&
	test_grep "^crm-dedupe: .* 5 contacts merged (dry run: nothing written)" err &&
	test_grep "^merge_id,survivor_id,merged_id,changed$" dry.csv &&
	test_grep "^1,1,2," dry.csv &&
	sql ".dump contacts interactions segment_members campaign_members scores" >dump.sql &&
	test_cmp dump-before.sql dump.sql &&
	test "$(sql "select count(*) from merges")" = 0 &&
	test "$(sql "select count(*) from audit where program = '\''crm-dedupe'\''")" = 0
'

test_expect_success 'merge: survivors, merged_into, one audit entry' '
	crm-dedupe merge <pairs.csv >merged.csv 2>err &&
	test_grep "5 read, 0 skipped, 5 groups, 5 contacts merged$" err &&
	test_cmp dry.csv merged.csv &&
	test "$(sql "select group_concat(id || '\'':'\'' || merged_into) from contacts where merged_into is not null")" = "2:1,4:3,6:5,8:7,10:9" &&
	test "$(sql "select count(*) from merges where before is not null and score > 0")" = 5 &&
	test "$(sql "select counts from audit where program = '\''crm-dedupe'\''")" = "{\"read\":5,\"skipped\":0,\"groups\":5,\"merged\":5,\"undone\":0}" &&
	crm-export -c id >out.pipe &&
	tail -n +2 <out.pipe | head -6 | tr "\n" " " >got &&
	test "$(cat got)" = "1 3 5 7 9 11 "
'

test_expect_success 'merge: consent merged conservatively, events logged' '
	test "$(sql "select email_opt_in, sms_opt_in, do_not_contact from contacts where id = 1")" = "0|1|0" &&
	test "$(sql "select email_opt_in, do_not_contact from contacts where id = 3")" = "1|1" &&
	test "$(sql "select group_concat(channel || '\''='\'' || granted) from consent_events where source = '\''crm-dedupe merge'\''")" = "email=0,all=0" &&
	crm-export -C email -c id >out &&
	! grep -q "^[13]$" out
'

test_expect_success 'merge: values filled from the duplicate, most recent first' '
	test "$(sql "select first_name, phone, birth_date from contacts where id = 1")" = "Jonathan|+447400900123|1980-04-12" &&
	test "$(sql "select phone from contacts where id = 5")" = "+441225555012" &&
	test "$(sql "select first_name, last_name from contacts where id = 7")" = "Wei|Zhang"
'

test_expect_success 'merge: history, segments, campaigns and scores follow' '
	test "$(sql "select group_concat(contact_id) from (select contact_id from interactions order by id)")" = "1,1,1,3" &&
	crm-log log.csv 2>err &&
	test_grep "4 read, 0 inserted, 0 updated, 4 unchanged" err &&
	test "$(sql "select group_concat(segment_id || '\'':'\'' || contact_id) from segment_members")" = "1:1,2:1" &&
	test "$(sql "select group_concat(contact_id || '\'':'\'' || grp) from campaign_members")" = "1:target,3:target" &&
	test "$(sql "select group_concat(contact_id || '\'':'\'' || churn_probability) from scores")" = "1:0.25,3:0.5,4:0.75"
'

test_expect_success 'merge: keys of a merged-away record reach the survivor' '
	printf "external_id,at,channel,kind\nD02,2026-10-09,email,email\n" | crm-log -q &&
	test "$(sql "select contact_id from interactions where at = strftime('\''%s'\'', '\''2026-10-09'\'')")" = 1 &&
	sql "delete from interactions where at = strftime('\''%s'\'', '\''2026-10-09'\'')"
'

test_expect_success 'merge again: already merged, nothing to do' '
	crm-dedupe merge <pairs.csv >again.csv 2>err &&
	test_grep "5 read, 5 skipped, 0 groups, 0 contacts merged" err &&
	test "$(wc -l <again.csv)" = 1
'

test_expect_success 'unmerge: a contact never merged is refused' '
	test_must_fail 3 crm-dedupe unmerge 12 2>err &&
	test_grep "contact 12: no merge to undo" err
'

test_expect_success 'unmerge: every record and row exactly as before' '
	crm-dedupe unmerge "#2" D04 6 "#7" 9 >undone.csv 2>err &&
	test_grep "5 merges undone" err &&
	cat >expect <<-\EOF &&
	merge_id,survivor_id,merged_id
	5,9,10
	4,7,8
	3,5,6
	2,3,4
	1,1,2
	EOF
	test_cmp expect undone.csv &&
	crm-export >export-after.csv &&
	test_cmp export-before.csv export-after.csv &&
	sql ".dump contacts interactions segment_members campaign_members scores" >dump.sql &&
	test_cmp dump-before.sql dump.sql &&
	test "$(sql "select count(*) from merges where undone_at is null")" = 0 &&
	crm-log log.csv 2>err &&
	test_grep "4 read, 0 inserted, 0 updated, 4 unchanged" err
'

test_expect_success 'unmerge: consent events record the restored consent' '
	test "$(sql "select group_concat(contact_id || '\'':'\'' || channel || '\''='\'' || granted) from consent_events where source = '\''crm-dedupe unmerge'\''")" = "3:all=1,1:email=1"
'

test_expect_success 'merge clusters; the order of later merges is enforced' '
	printf "cluster_id,id\nA,1\nA,2\nA,12\nB,3\nB,4\n" >clusters.csv &&
	crm-dedupe merge -q <clusters.csv >out.csv &&
	test "$(cut -d, -f2,3 out.csv | tail -n +2 | tr "\n" " ")" = "1,2 1,12 3,4 " &&
	test_must_fail 3 crm-dedupe unmerge 2 2>err &&
	test_grep "merge 7 (contact 12 into 1) came after merge 6 (contact 2 into 1): unmerge 12 first" err &&
	crm-dedupe unmerge -q 12 2 4 >/dev/null &&
	crm-export >export-after.csv &&
	test_cmp export-before.csv export-after.csv
'

test_expect_success 'merge: rows marked no are skipped; rules' '
	printf "id_a,id_b,match\n1,2,no\n3,4,yes\n" | crm-dedupe merge -n >out.csv 2>err &&
	test_grep "2 read, 1 skipped, 1 group, 1 contact merged" err &&
	test_grep "^[0-9]*,3,4," out.csv &&
	printf "id_a,id_b\n1,2\n" | crm-dedupe merge -n -r complete >out.csv 2>/dev/null &&
	test_grep "^[0-9]*,1,2," out.csv &&
	printf "id_a,id_b\n1,2\n" | crm-dedupe merge -n -P "D02" >out.csv 2>/dev/null &&
	test_grep "^[0-9]*,2,1," out.csv &&
	CRM_NOW=2026-11-05 crm-add -q "$DATA/dedupe-contacts.csv" &&
	printf "external_id,city\nD02,Wokingham\n" | CRM_NOW=2026-11-05 crm-add -q &&
	printf "id_a,id_b\n1,2\n" | crm-dedupe merge -n >out.csv 2>/dev/null &&
	test_grep "^[0-9]*,2,1," out.csv
'

test_expect_success 'merge: several files, one header' '
	printf "id_a,id_b\n1,2\n" >p1.csv &&
	printf "cluster_id,id\nX,3\nX,4\n" >p2.csv &&
	crm-dedupe merge -n p1.csv p2.csv >out.csv 2>err &&
	test "$(grep -c merge_id out.csv)" = 1 &&
	test "$(wc -l <out.csv)" = 3 &&
	test_grep "3 read, 0 skipped, 2 groups, 2 contacts merged" err
'

test_expect_success 'merge: bad input is refused and nothing is written' '
	sql ".dump contacts" >d1.sql &&
	printf "id_a,id_b\n1,2\n3,x\n" >bad.csv &&
	test_must_fail 3 crm-dedupe merge bad.csv 2>err &&
	test_grep "bad.csv:3: bad contact id .x." err &&
	printf "id_a,id_b\n1,2\n3,9999\n" >bad.csv &&
	test_must_fail 3 crm-dedupe merge bad.csv 2>err &&
	test_grep "bad.csv: no contact 9999" err &&
	printf "x,y\n1,2\n" | test_must_fail 3 crm-dedupe merge 2>err &&
	test_grep "<stdin>: need columns id_a and id_b" err &&
	test_must_fail 2 crm-dedupe merge -r oldest bad.csv 2>err &&
	test_grep "rule: .oldest. is not recent, complete or source" err &&
	test_must_fail 2 crm-dedupe merge -r source bad.csv 2>err &&
	test_grep "needs --prefer" err &&
	test_must_fail 1 crm-dedupe merge nothere.csv 2>err &&
	test_grep "nothere.csv: No such file" err &&
	test_must_fail 2 crm-dedupe unmerge 2>err &&
	test_grep "^usage:" err &&
	sql ".dump contacts" >d2.sql &&
	test_cmp d1.sql d2.sql
'

test_expect_success 'incremental: only pairs with a contact added since' '
	printf "external_id,first_name,last_name,email,city,country\nX1,Jon,Smithers,jon.smithers@example.org,Reading,GB\n" >new.csv &&
	CRM_NOW=2026-12-01 crm-add -q new.csv &&
	crm-dedupe -q --since 2026-11-20 -c >inc.csv &&
	cut -d, -f1-3 inc.csv >got &&
	cat >expect <<-\EOF &&
	cluster_id,id,name
	1,1,Jonathan Smithers
	1,313,Jon Smithers
	EOF
	test_cmp expect got
'

# 2 survives: it was updated last (above).  313 matches 1, now merged into 2.
test_expect_success 'incremental: a merged group is matched as one contact' '
	printf "id_a,id_b\n1,2\n" | crm-dedupe merge -q >/dev/null &&
	crm-dedupe -q --since 2026-11-20 >inc.csv &&
	cut -d, -f1,2 inc.csv >got &&
	printf "id_a,id_b\n2,313\n" >expect &&
	test_cmp expect got
'

test_expect_success 'help and version' '
	crm-dedupe --help >out &&
	test_grep "^usage: crm-dedupe \[find\]" out &&
	test_grep "crm-dedupe unmerge" out &&
	crm-dedupe -V >out &&
	test_grep "crm-dedupe" out
'

test_done
