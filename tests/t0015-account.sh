#!/bin/sh
# crm-account: accounts with a hierarchy, their people, a person who
# changed company, duplicates merged and unmerged, roll-ups, account RFM,
# partners, export, the account timeline and privacy.
. "$(dirname "$0")/lib.sh"

cat >accounts.csv <<'CSV'
external_id,name,domain,industry,size,country,owner,type,parent,partner,tier
A1,Acme Holdings Ltd,acme.com,Manufacturing,1000+,UK,sam,customer,,P1,gold
A2,Acme Germany GmbH,https://www.acme.de/impressum,Manufacturing,51-200,Deutschland,sam,customer,A1,,
A3,Acme Labs,acmelabs.io,Research,11-50,US,sam,customer,A2,,
G1,Globex Corporation,globex.com,Energy,201-500,US,kim,customer,,,
P1,Channel Partners S.A.,channelpartners.fr,Consulting,11-50,France,kim,reseller,,,
A4,ACME Limited,acme.com,,,,,prospect,,,
A5,"Acme, Inc.",,,,,,,,,silver
G2,Globex Corp.,,,,,,,,,
I1,Initech Systems,initech.example,,,,,,,,
I2,Initech Sytems,,,,,,,,,
CSV

cat >referrers.jsonl <<'JSON'
{"external_id": "R1", "name": "Referral Hub LLC", "type": "referrer", "attrs": {"since": 2019}, "region": "EMEA"}
JSON

cat >contacts.csv <<'CSV'
external_id,first_name,last_name,email,account,title,since,partner
C1,Ann,Lee,ann@acme.com,A1,CFO,2024-01-01,
C2,Bob,Ray,bob@acme.de,A2,Buyer,,
C3,Cy,Fox,cy@acmelabs.io,A3,CTO,,
C4,Dan,Oh,dan@globex.com,,,,
C5,Eve,Ng,eve@gmail.com,,,,
C6,Fay,Xu,fay@example.org,,,,P1
C7,Gus,Yi,gus@acme-inc.example,A5,Owner,,
S1,Sol,Trader,sol@soltrade.example,,,,
CSV

cat >log.csv <<'CSV'
external_id,at,channel,kind,amount,ref
C1,2025-03-01,web,purchase,100,O1
C1,2026-07-01,web,purchase,50,O2
C2,2026-10-01,store,purchase,200,O3
C3,2026-08-01,web,purchase,40,O4
C3,2026-09-01,web,purchase,60,O5
C4,2026-10-20,web,purchase,30,O6
C6,2026-10-10,web,purchase,500,O7
C1,2026-10-25,phone,call,,T1
CSV

test_expect_success 'import accounts from CSV and JSON lines' '
	crm-account accounts.csv referrers.jsonl 2>err &&
	test_grep "11 read, 11 inserted, 0 updated, 0 unchanged, 0 rejected" err &&
	test "$(sql "select domain, country from accounts where external_id = '\''A2'\''")" = "acme.de|DE" &&
	test "$(sql "select type, attrs from accounts where external_id = '\''R1'\''")" = "referrer|{\"since\":2019,\"region\":\"EMEA\"}"
'

test_expect_success 're-importing changes nothing' '
	crm-account accounts.csv referrers.jsonl 2>err &&
	test_grep "11 read, 0 inserted, 0 updated, 11 unchanged" err
'

test_expect_success 'company names normalised: legal forms, punctuation, case, accents' '
	sql "select name_key from accounts order by id" >keys &&
	printf "%s\n" "acme holdings" "acme germany" "acme labs" globex \
	    "channel partners" acme acme globex "initech systems" \
	    "initech sytems" "referral hub" >expect &&
	test_cmp expect keys
'

test_expect_success 'a bad record names file and line; --rejects keeps the rest' '
	printf "name,domain,type\nGood One,good.example,customer\nBad,not a domain,customer\n" >bad.csv &&
	test_must_fail 3 crm-account bad.csv 2>err &&
	test_grep "bad.csv:3: invalid domain .not a domain." err &&
	test "$(sql "select count(*) from accounts where name = '\''Good One'\''")" = 0 &&
	test_must_fail 3 crm-account -r rej.csv bad.csv 2>err &&
	test "$(sql "select count(*) from accounts where name = '\''Good One'\''")" = 1 &&
	test_grep "^Bad,not a domain,customer,.*invalid domain" rej.csv
'

test_expect_success 'a cycle of parents is refused, nothing stored' '
	printf "external_id,parent\nA1,A3\n" >cycle.csv &&
	test_must_fail 3 crm-account cycle.csv 2>err &&
	test_grep "cycle" err &&
	test "$(sql "select count(*) from accounts where parent_id is null and external_id = '\''A1'\''")" = 1
'

test_expect_success 'contacts join accounts by key column, and by email domain' '
	crm-add -q contacts.csv &&
	crm-log -q log.csv &&
	crm-account link contacts.csv 2>err &&
	test_grep "8 read, 4 linked, 0 moved, 1 updated, 3 unchanged" err &&
	test "$(sql "select count(*) from contact_partners")" = 1 &&
	crm-account link --by-domain 2>err &&
	test_grep "4 read, 1 linked, 0 moved, 0 updated, 0 unchanged, 3 skipped" err &&
	test "$(sql "select a.external_id from account_contacts ac join accounts a on a.id = ac.account_id join contacts c on c.id = ac.contact_id where c.external_id = '\''C4'\''")" = G1 &&
	crm-account link contacts.csv 2>err &&
	test_grep "0 linked, 0 moved, 0 updated, 8 unchanged" err
'

test_expect_success 'a person who changes company keeps the history' '
	printf "external_id,account,title,since\nC1,G1,VP Finance,2026-06-01\n" >move.csv &&
	crm-account link move.csv 2>err &&
	test_grep "1 moved" err &&
	sql "select a.external_id, ac.title, strftime('\''%Y-%m-%d'\'', ac.started_at, '\''unixepoch'\''), strftime('\''%Y-%m-%d'\'', ac.ended_at, '\''unixepoch'\'') from account_contacts ac join accounts a on a.id = ac.account_id where ac.contact_id = 1 order by ac.id" >got &&
	printf "A1|CFO|2024-01-01|2026-06-01\nG1|VP Finance|2026-06-01|\n" >expect &&
	test_cmp expect got &&
	crm-account link move.csv contacts.csv 2>err &&
	test_grep "0 moved, 0 updated, 9 unchanged" err
'

# Worked by hand.  A purchase counts for the account the buyer worked at
# then: Ann bought for Acme Holdings (100, 2025-03-01) and, after moving,
# for Globex (50); Bob 200 for Acme Germany; Cy 40 + 60 for Acme Labs;
# Dan 30 for Globex.  Labs is under Germany, under Holdings.
test_expect_success 'roll-ups over the hierarchy' '
	crm-account rollup -f tsv >out &&
	cut -f1,3,5-14 out | tr "\t" , >got &&
	cat >expect <<-EOF &&
	id,name,parent_id,depth,contacts,contacts_total,purchases,purchases_total,revenue,revenue_total,last_purchase,last_purchase_total
	1,Acme Holdings Ltd,,0,0,2,1,4,100.00,400.00,2025-03-01,2026-10-01
	2,Acme Germany GmbH,1,1,1,2,1,3,200.00,300.00,2026-10-01,2026-10-01
	3,Acme Labs,2,2,1,1,2,2,100.00,100.00,2026-09-01,2026-09-01
	4,Globex Corporation,,0,2,2,2,2,80.00,80.00,2026-10-20,2026-10-20
	5,Channel Partners S.A.,,0,0,0,0,0,0.00,0.00,,
	6,ACME Limited,,0,0,0,0,0,0.00,0.00,,
	7,Acme, Inc.,,0,1,1,0,0,0.00,0.00,,
	8,Globex Corp.,,0,0,0,0,0,0.00,0.00,,
	9,Initech Systems,,0,0,0,0,0,0.00,0.00,,
	10,Initech Sytems,,0,0,0,0,0,0.00,0.00,,
	11,Referral Hub LLC,,0,0,0,0,0,0.00,0.00,,
	12,Good One,,0,0,0,0,0,0.00,0.00,,
	EOF
	test_cmp expect got
'

# Four accounts bought, each with its subtree: recency (days to
# 2026-11-01), frequency, money: Holdings 31, 4, 400; Germany 31, 3, 300;
# Labs 61, 2, 100; Globex 12, 2, 80.  A score is 1 + floor(5k/4), k the
# accounts strictly worse.  R: Globex k=3 -> 4, Holdings and Germany k=1
# -> 2, Labs 1.  F: Holdings k=3 -> 4, Germany k=2 -> 3, the others 1.
# M: 4, 3, 2, 1.  FM = (F + M + 1) / 2: 4, 3, 2, 1.  Segments: R 2 with
# FM 3-4 At Risk; R 1, FM 2 Lost; R 4, FM 1 Promising.
test_expect_success 'account RFM, the hierarchy rolled up' '
	crm-account rfm -f csv --as-of 2026-11-01 >out &&
	head -5 out >got &&
	cat >expect <<-EOF &&
	id,external_id,name,recency,frequency,monetary,r,f,m,rfm,segment
	1,A1,Acme Holdings Ltd,31,4,400.00,2,4,4,244,At Risk
	2,A2,Acme Germany GmbH,31,3,300.00,2,3,3,233,At Risk
	3,A3,Acme Labs,61,2,100.00,1,1,2,112,Lost
	4,G1,Globex Corporation,12,2,80.00,4,1,1,411,Promising
	EOF
	test_cmp expect got &&
	test_grep "^5,P1,Channel Partners S.A.,,,,,,,,No purchases" out &&
	crm-segment rfm -b account --as-of 2026-11-01 >out2 &&
	test_cmp out out2
'

# Top accounts only: Holdings (31, 4, 400) against Globex (12, 2, 80):
# n = 2, so the better one scores 1 + floor(5/2) = 3, the other 1.
test_expect_success 'account RFM over top accounts only' '
	crm-account rfm -f csv --as-of 2026-11-01 --roots >out &&
	test_grep "^1,A1,Acme Holdings Ltd,31,4,400.00,1,3,3,133,At Risk$" out &&
	test_grep "^4,G1,Globex Corporation,12,2,80.00,3,1,1,311,About to Sleep$" out &&
	test_must_fail 1 grep -q "^2," out
'

# P1 sourced Acme Holdings, so Bob (Germany) and Cy (Labs) came through
# it by their accounts' parent; Fay by her own partner column; Ann now
# works at Globex, which no partner brought.  3 contacts, all bought:
# 200 + 100 + 500.  The deals columns come only with crm-deal's tables.
test_expect_success 'partner report' '
	crm-account partners -f csv >out &&
	cut -d, -f1-8 out >got &&
	cat >expect <<-EOF &&
	partner_id,external_id,name,type,accounts,contacts,customers,revenue
	5,P1,Channel Partners S.A.,reseller,1,3,3,800.00
	11,R1,Referral Hub LLC,referrer,0,0,0,0.00
	EOF
	test_cmp expect got
'

test_expect_success 'people of an account tree, and of a partner, for a campaign' '
	crm-account people A1 -f csv >got &&
	cut -d, -f2,7,9 got >cut &&
	printf "external_id,account,title\nC2,Acme Germany GmbH,Buyer\nC3,Acme Labs,CTO\n" >expect &&
	test_cmp expect cut &&
	crm-account people --partner P1 -f csv >got &&
	cut -d, -f2 got >cut &&
	printf "external_id\nC2\nC3\nC6\n" >expect &&
	test_cmp expect cut &&
	crm-campaign create -q --channel email p1-customers got &&
	test "$(sql "select count(*) from campaign_members m join campaigns c on c.id = m.campaign_id where c.name = '\''p1-customers'\''")" = 3
'

test_expect_success 'the combined timeline of an account and its subsidiaries' '
	crm-log show -A A1 -f csv -k purchase >out &&
	cut -d, -f1-3,8 out >got &&
	cat >expect <<-EOF &&
	at,account,contact,amount
	2026-10-01T00:00:00Z,Acme Germany GmbH,bob@acme.de,200.00
	2026-09-01T00:00:00Z,Acme Labs,cy@acmelabs.io,60.00
	2026-08-01T00:00:00Z,Acme Labs,cy@acmelabs.io,40.00
	2025-03-01T00:00:00Z,Acme Holdings Ltd,ann@acme.com,100.00
	EOF
	test_cmp expect got &&
	crm-log show -A globex.com -f csv >out &&
	test "$(grep -c ann@acme.com out)" = 2
'

# Initech Systems / Initech Sytems (15 and 14 letters): 14 letters match
# within the window, "stem" against "tems" is 2 transpositions, so
# Jaro = (14/15 + 14/14 + 12/14) / 3 = 0.930159, and Winkler adds
# 4 * 0.1 * (1 - 0.930159) for the common prefix: 0.9581.
test_expect_success 'duplicates by domain, normalised name and similar name' '
	crm-account dupes -f csv >pairs.csv 2>err &&
	cat >expect <<-EOF &&
	survivor_id,merged_id,survivor_name,merged_name,score,reason
	1,6,Acme Holdings Ltd,ACME Limited,1.0000,domain
	4,8,Globex Corporation,Globex Corp.,1.0000,name
	6,7,ACME Limited,"Acme, Inc.",1.0000,name
	9,10,Initech Systems,Initech Sytems,0.9581,similar name
	EOF
	test_cmp expect pairs.csv &&
	test_grep "4 pairs" err
'

# The pairs in order: 6 into 1; 8 into 4; then 6-7, 6 being 1 by now,
# so 7 into 1; 10 into 9.
test_expect_success 'merge: gaps filled, people moved, audited' '
	crm-account merge -i pairs.csv -f csv >merged 2>err &&
	test_grep "4 accounts merged" err &&
	printf "merge_id,survivor_id,merged_id\n1,1,6\n2,4,8\n3,1,7\n4,9,10\n" >expect &&
	test_cmp expect merged &&
	test "$(sql "select count(*) from accounts where merged_into is not null")" = 4 &&
	test "$(sql "select json_extract(attrs, '\''$.tier'\'') from accounts where id = 1")" = gold &&
	crm-account rollup -f csv >out &&
	test_grep "^1,A1,Acme Holdings Ltd,customer,,0,1,3," out &&
	test "$(sql "select count(*) from audit where program = '\''crm-account'\'' and CAST(json_extract(counts, '\''$.merged'\'') AS INTEGER) = 4")" = 1 &&
	crm-account export -f csv -c id,external_id >ids &&
	test "$(wc -l <ids)" = 9
'

test_expect_success 'an import by a merged-away key reaches the survivor' '
	printf "external_id,industry\nA5,Widgets\n" >upd.csv &&
	crm-account upd.csv 2>err &&
	test_grep "1 updated" err &&
	test "$(sql "select industry from accounts where id = 1")" = Widgets
'

test_expect_success 'unmerge, newest first whatever the order, restores all' '
	crm-account unmerge 6 7 8 10 -f csv >undone 2>err &&
	printf "merge_id,survivor_id,merged_id\n4,9,10\n3,1,7\n2,4,8\n1,1,6\n" >expect &&
	test_cmp expect undone &&
	test "$(sql "select count(*) from accounts where merged_into is not null")" = 0 &&
	test "$(sql "select attrs from accounts where id = 1")" = "{\"tier\":\"gold\"}" &&
	test "$(sql "select industry from accounts where id = 1")" = Manufacturing &&
	test "$(sql "select account_id from account_contacts where contact_id = 7")" = 7 &&
	test_must_fail 3 crm-account unmerge 6
'

test_expect_success 'export: formats, filters, attributes' '
	crm-account export -f json -T partner -c external_id,name,type >got &&
	printf "%s\n" "{\"external_id\":\"P1\",\"name\":\"Channel Partners S.A.\",\"type\":\"reseller\"}" \
	    "{\"external_id\":\"R1\",\"name\":\"Referral Hub LLC\",\"type\":\"referrer\"}" >expect &&
	test_cmp expect got &&
	crm-account export -f tsv -c external_id,parent,attr.tier --country DE >got &&
	printf "external_id\tparent\tattr.tier\nA2\tA1\t\n" >expect &&
	test_cmp expect got &&
	test_must_fail 2 crm-account export -c nosuch &&
	crm-account export -f json -c external_id,name,domain,attrs -o sam >a1 &&
	crm-export accounts -f json -c external_id,name,domain,attrs -O sam >a2 &&
	test_cmp a1 a2 &&
	test "$(wc -l <a2)" = 3 &&
	test_must_fail 2 crm-export accounts -S lead
'

test_expect_success 'subject export includes the employment history' '
	crm-export --subject ann@acme.com >ann.json &&
	test "$(jq -r "[.account_contacts[].account.external_id] | join(\",\")" ann.json)" = A1,G1
'

test_expect_success 'crm-forget: a sole trader account goes with the person' '
	printf "external_id,name,person\nST1,Sol Trader Plumbing,sol@soltrade.example\n" >sole.csv &&
	crm-account sole.csv 2>err &&
	crm-account export -c external_id,sole_trader -f csv >got &&
	test_grep "^ST1,1$" got &&
	crm-forget -q sol@soltrade.example &&
	test "$(sql "select count(*) from accounts where external_id = '\''ST1'\''")" = 0
'

test_expect_success 'crm-forget: any other account stays, without the person' '
	crm-forget -q bob@acme.de &&
	test "$(sql "select count(*) from accounts where external_id = '\''A2'\''")" = 1 &&
	test "$(sql "select count(*) from account_contacts where contact_id = 2")" = 0
'

test_expect_success 'a subsidiary named as its parent is not a duplicate' '
	printf "external_id,name,parent\nA9,ACME GERMANY,A2\n" >sub.csv &&
	crm-account -q sub.csv &&
	crm-account dupes -f csv >pairs2.csv 2>/dev/null &&
	test_must_fail 1 grep -q "ACME GERMANY" pairs2.csv &&
	test_grep "Initech Sytems" pairs2.csv
'

# Cy (Labs, sourced by nobody) and Fay (sourced by P1) as one person:
# crm-dedupe moves Fay's rows to Cy and back.
test_expect_success 'crm-dedupe merges and unmerges contacts with jobs and partners' '
	sql "select id, account_id, contact_id, ended_at from account_contacts order by id" >before &&
	printf "id_a,id_b\n3,6\n" >m.csv &&
	printf "id_a,id_b\n3,1\n" >m2.csv &&
	crm-dedupe merge -q m.csv >/dev/null &&
	test "$(sql "select contact_id from contact_partners")" = 3 &&
	crm-account partners -f csv >p &&
	test_grep "^5,P1,Channel Partners S.A.,reseller,1,1,1," p &&
	crm-dedupe merge -q m2.csv >/dev/null &&
	s=$(sql "select coalesce(merged_into, id) from contacts where id = 3") &&
	test "$(sql "select count(*) from account_contacts where contact_id = $s and ended_at is null")" = 2 &&
	crm-account rollup -f csv >r &&
	crm-dedupe unmerge -q $(sql "select id from contacts where merged_into is not null") >/dev/null &&
	sql "select id, account_id, contact_id, ended_at from account_contacts order by id" >after &&
	test_cmp before after &&
	test "$(sql "select contact_id from contact_partners")" = 6
'

test_expect_success '--help is the SYNOPSIS; usage errors exit 2' '
	crm-account --help >out &&
	sed "/^\$/,\$d; s/^usage: //; s/^  *//" out | tr -s " \n" "  " >got &&
	mandoc -T ascii "$TOP/man/crm-account.1" | sed "s/.\x08//g" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		sed "s/^  *//" | tr -s " \n" "  " >want &&
	test_cmp want got &&
	test_must_fail 2 crm-account show &&
	test_must_fail 2 crm-account rollup extra &&
	test_must_fail 2 crm-account dupes -s 2 &&
	test_must_fail 2 crm-account merge 1
'

# The EXAMPLES of crm-account(1), run as written: each "$ command" line
# is run (files shown with "$ cat" are written first), its standard
# output then its standard error compared with the lines that follow.
test_expect_success 'the examples in crm-account(1) run as shown' '
	mkdir ex && cd ex &&
	CRM_DB=$PWD/ex.db && export CRM_DB &&
	mandoc -Tascii "$TOP/man/crm-account.1" | col -bx |
	    sed -n "/^EXAMPLES/,/^SEE ALSO/p" |
	    sed -n "s/^ \{8,\}//p" >page &&
	awk "/^[$] cat /{ f = \$3; next } /^[$] /{ f = \"\" } f != \"\" { print > f }" page &&
	test -s accounts.csv && test -s orders.csv &&
	awk "/^[$] cat /{ c = 1; next } /^[$] /{ c = 0 } !c" page >expect &&
	test "$(grep -c "^[$] " expect)" -ge 10 &&
	: >transcript &&
	while IFS= read -r line; do
		case $line in
		"\$ "*)
			printf "%s\n" "$line" >>transcript
			sh -c "${line#\$ }" >o 2>e || true
			cat o e >>transcript ;;
		esac
	done <expect &&
	test_cmp expect transcript
'

test_done
