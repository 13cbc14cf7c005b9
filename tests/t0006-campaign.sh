#!/bin/sh
# crm-campaign: suppression, holdout, export and templates, send, report.
. "$(dirname "$0")/lib.sh"

# members CAMPAIGN: external_id|group|reason of each member, by external_id.
members() {
	sql "SELECT c.external_id, m.grp, coalesce(m.reason, '')
		FROM campaign_members m JOIN contacts c ON c.id = m.contact_id
		JOIN campaigns k ON k.id = m.campaign_id WHERE k.name = '$1'
		ORDER BY c.external_id"
}

cat >contacts.csv <<'CSV'
external_id,first_name,last_name,email,phone,street,city,postcode,email_opt_in,sms_opt_in,phone_opt_in,mail_opt_in,do_not_contact,plan
E01,Ann,Lee,ann@example.com,+44 20 7946 0958,1 High St,London,N1 1AA,yes,yes,yes,yes,no,gold
E02,Bob,Ray,bob@example.com,,,,,no,,,,,
E03,Cy,Doe,cy@example.com,,,,,,,,,,
E04,Di,Fox,di@example.com,,,,,yes,,,,yes,
E05,Ed,Kay,ed@example.com,,,,,yes,,,,,
E06,Flo,Lee,flo@example.com,,,,,yes,,,,,
E07,Gus,May,gus@example.com,,,,,yes,,,,,
E08,Hal,Ng,hal@example.com,,,,,yes,,,,,
E09,Ida,Orr,ida@example.com,,,,,yes,,,,,
E10,Jo,Poe,jo@example.com,,,,,yes,,,,,
E11,Kim,Qi,,,,,,yes,,,,,
S1,Lu,Ro,,020 7946 0959,,,,,yes,,,,
S2,Mo,Su,,,,,,,yes,,,,
S3,Ned,Tu,,+1 415 555 0134,,,,,yes,,,,
M1,Ola,Vu,,,2 Low Rd,Leeds,LS1 1AA,,,,yes,,
M2,Pia,Wu,,,3 Mid Ln,York,,,,,yes,,
CSV

cat >history.csv <<'CSV'
external_id,at,channel,kind,direction,ref
E09,2026-10-10T09:00Z,email,newsletter,out,N1
E09,2026-10-20T09:00Z,sms,reminder,out,N2
E09,2026-10-25T09:00Z,phone,call,out,N3
E01,2026-10-25T09:00Z,email,newsletter,out,N4
E01,2026-09-01T09:00Z,email,newsletter,out,N5
E01,2026-09-02T09:00Z,email,newsletter,out,N6
E01,2026-10-26T09:00Z,web,visit,in,N7
E01,2026-10-27T09:00Z,store,purchase,,N8
CSV

test_expect_success 'set up contacts, history, a merge, an erasure' '
	crm-add -q contacts.csv &&
	crm-log -q history.csv &&
	sql "UPDATE contacts SET merged_into = (SELECT id FROM contacts
		WHERE external_id = '\''E01'\'') WHERE external_id = '\''E06'\''" &&
	sql "UPDATE contacts SET merged_into = (SELECT id FROM contacts
		WHERE external_id = '\''E08'\'') WHERE external_id = '\''E07'\''" &&
	sql "UPDATE contacts SET erased_at = 1790000000
		WHERE external_id = '\''E05'\''"
'

test_expect_success 'another draft campaign holds E10' '
	printf "email\njo@example.com\n" | crm-campaign create -q other -c email &&
	test "$(members other)" = "E10|target|"
'

# E06 is merged into E01 (already listed); E07 into E08 (not listed), so
# E08 joins as E07's survivor.  E09 has 3 outbound contacts in the last 30
# days (cap 2 per 30d); E01 only 1 (two more are older than 30 days).
cat >expect <<'EOF'
E01|target|
E02|suppressed|no_consent
E03|suppressed|no_consent
E04|suppressed|do_not_contact
E05|suppressed|erased
E06|suppressed|merged
E07|suppressed|merged
E08|target|
E09|suppressed|frequency_cap
E10|suppressed|other_campaign
E11|suppressed|no_address
EOF

test_expect_success 'create: every suppression reason on the email channel' '
	printf "external_id\nE01\nE02\nE03\nE04\nE05\nE06\nE07\nE09\nE10\nE11\nE01\n" >targets.csv &&
	crm-campaign create spring -c email -P cross-sell --max-contacts 2 \
		--per 30d --suppressed supp.csv targets.csv 2>err &&
	test_grep "spring: 11 read, 11 candidates: 2 target, 0 control, 9 suppressed (merged 2, erased 1, do_not_contact 1, no_consent 2, no_address 1, other_campaign 1, frequency_cap 1)" err &&
	members spring >out &&
	test_cmp expect out
'

test_expect_success '--suppressed lists who was left out and why' '
	sql "SELECT id, external_id, reason FROM campaign_members m
		JOIN contacts c ON c.id = m.contact_id WHERE grp = '\''suppressed'\''
		AND campaign_id = (SELECT id FROM campaigns WHERE name = '\''spring'\'')
		ORDER BY id" | tr "|" , >body &&
	{ echo id,external_id,reason && cat body; } >expect.supp &&
	test_cmp expect.supp supp.csv &&
	test "$(wc -l <supp.csv)" = 10
'

test_expect_success 'the run is audited; options kept with the campaign' '
	test "$(sql "SELECT program, counts FROM audit WHERE args LIKE '\''%spring%'\''")" = "crm-campaign|{\"read\":11,\"members\":11,\"target\":2,\"control\":0,\"suppressed\":9,\"merged\":2,\"erased\":1,\"do_not_contact\":1,\"no_consent\":2,\"no_address\":1,\"other_campaign\":1,\"frequency_cap\":1}" &&
	test "$(sql "SELECT channel, purpose, state, options FROM campaigns WHERE name = '\''spring'\''")" = "email|cross-sell|draft|{\"stratify\":false,\"max_contacts\":2,\"per_days\":30,\"allow_overlap\":false}"
'

test_expect_success 're-creating a draft rebuilds it; --allow-overlap lets E10 in' '
	crm-campaign create spring -c email -P cross-sell --max-contacts 2 \
		--allow-overlap targets.csv 2>err &&
	test_grep "3 target, 0 control, 8 suppressed" err &&
	test_grep "draft rebuilt" err &&
	test "$(members spring | grep E10)" = "E10|target|" &&
	crm-campaign create -q spring -c email -P cross-sell --max-contacts 2 \
		--per 30d targets.csv &&
	members spring >out &&
	test_cmp expect out &&
	test "$(sql "SELECT count(*) FROM campaigns WHERE name = '\''spring'\''")" = 1
'

test_expect_success 'ids, external ids and emails name contacts, by header' '
	printf "Customer ID,E-Mail,note\n,ann@example.com,x\nE08,,y\n" >mixed.csv &&
	crm-campaign create -q mixed -c email --allow-overlap mixed.csv &&
	test "$(members mixed)" = "$(printf "E01|target|\nE08|target|")" &&
	crm-export -c id,email >out.pipe &&
	crm-campaign create -q fromexport -c email --allow-overlap <out.pipe &&
	test "$(members fromexport | grep -c target)" = 4
'

test_expect_success 'sms: a mobile number needed; mail: street, city and postcode' '
	printf "external_id\nS1\nS2\nS3\nE01\n" | crm-campaign create -q texts -c sms --allow-overlap &&
	# E01 and S1 are London landlines (fixed_line); S3 a US number
	# (fixed_line_or_mobile: the US ranges do not tell).
	test "$(members texts)" = "$(printf "E01|suppressed|invalid_address\nS1|suppressed|invalid_address\nS2|suppressed|no_address\nS3|target|")" &&
	printf "external_id\nM1\nM2\nE02\n" | crm-campaign create -q letters -c mail &&
	test "$(members letters)" = "$(printf "E02|suppressed|no_consent\nM1|target|\nM2|suppressed|no_address")"
'

test_expect_success '--segment takes the members of a saved segment' '
	sql "INSERT INTO segments (name, kind, created_at, updated_at) VALUES
		('\''vip'\'', '\''list'\'', 0, 0);
		INSERT INTO segment_members SELECT s.id, c.id FROM segments s,
		contacts c WHERE s.name = '\''vip'\'' AND c.external_id IN
		('\''E01'\'', '\''E02'\'', '\''E07'\'')" &&
	crm-campaign create seg -c email -s vip --allow-overlap </dev/null 2>err &&
	test_grep "seg: segment vip, 4 candidates: 2 target, 0 control, 2 suppressed" err &&
	test "$(members seg)" = "$(printf "E01|target|\nE02|suppressed|no_consent\nE07|suppressed|merged\nE08|target|")" &&
	test "$(sql "SELECT segment FROM campaigns WHERE name = '\''seg'\''")" = vip
'

test_expect_success 'export: the channel columns, a template, missing fields counted' '
	cat >tpl.txt <<-\EOF &&
	Dear {{first_name}} {{ Last-Name }},
	your {{plan}} plan ({{attr.plan}}){{nosuch}} - {{campaign}}/{{channel}}/{{purpose}}
	EOF
	test_must_fail 3 crm-campaign export -T tpl.txt spring >out.csv 2>err &&
	test_grep "placeholder {{nosuch}} matches no field" err &&
	test ! -s out.csv &&
	sed -i "s/{{nosuch}}//" tpl.txt &&
	crm-campaign export -T tpl.txt spring >out.csv 2>err &&
	cat >expect <<-\EOF &&
	id,external_id,first_name,last_name,email,message
	1,E01,Ann,Lee,ann@example.com,"Dear Ann Lee,
	your gold plan (gold) - spring/email/cross-sell
	"
	8,E08,Hal,Ng,hal@example.com,"Dear Hal Ng,
	your  plan () - spring/email/cross-sell
	"
	EOF
	test_cmp expect out.csv &&
	test_grep "tpl.txt: 2 placeholders rendered empty: plan 1 attr.plan 1" err &&
	test_grep "spring: 2 exported" err &&
	crm-campaign export letters >out.csv &&
	test "$(cat out.csv)" = "$(printf "id,external_id,first_name,last_name,company,street,city,postcode,country\n15,M1,Ola,Vu,,2 Low Rd,Leeds,LS1 1AA,")" &&
	crm-campaign export -f json texts >out.json &&
	test_grep "\"id\":14,\"external_id\":\"S3\",\"first_name\":\"Ned\",\"last_name\":\"Tu\",\"phone\":\"+14155550134\"" out.json
'

test_expect_success 'export --excel-safe; a bad template is refused with its line' '
	crm-campaign export --excel-safe texts >out.csv &&
	test_grep "'\''+14155550134" out.csv &&
	printf "Hi\nDear {{first name}}\n" >bad.txt &&
	test_must_fail 3 crm-campaign export -T bad.txt spring >/dev/null 2>err &&
	test_grep "bad.txt:2: bad placeholder .{{first name}}. (expected {{field}})" err &&
	printf "Dear {{first_name\n" >bad.txt &&
	test_must_fail 3 crm-campaign export -T bad.txt spring >/dev/null 2>err &&
	test_must_fail 1 crm-campaign export -T nosuch.txt spring 2>err &&
	test_grep "nosuch.txt: No such file" err
'

test_expect_success 'export leaves out a target who opted out since' '
	sql "UPDATE contacts SET email_opt_in = 0 WHERE external_id = '\''E08'\''" &&
	crm-campaign export spring >out.csv 2>err &&
	test "$(wc -l <out.csv)" = 2 &&
	test_grep "spring: 1 target left out" err &&
	sql "UPDATE contacts SET email_opt_in = 1 WHERE external_id = '\''E08'\''"
'

test_expect_success 'send: one outbound interaction per target, idempotent' '
	crm-campaign send spring 2>err &&
	test_grep "spring: 2 sent, 0 already sent, 0 not contactable" err &&
	test "$(sql "SELECT c.external_id, i.channel, i.kind, i.direction, i.campaign, CASE WHEN i.ref = '\''campaign:spring:'\'' || c.id THEN 1 ELSE 0 END, i.at
		FROM interactions i JOIN contacts c ON c.id = i.contact_id
		WHERE i.campaign = '\''spring'\'' ORDER BY 1")" = "$(printf "E01|email|campaign|out|spring|1|1793534400\nE08|email|campaign|out|spring|1|1793534400")" &&
	crm-campaign send spring 2>err &&
	test_grep "spring: 0 sent, 2 already sent" err &&
	test "$(sql "SELECT count(*) FROM interactions WHERE campaign = '\''spring'\''")" = 2 &&
	test "$(sql "SELECT count(*) FROM campaign_members WHERE sent_at IS NOT NULL")" = 2 &&
	test "$(sql "SELECT state, sent_at FROM campaigns WHERE name = '\''spring'\''")" = "sent|1793534400" &&
	crm-log show -f csv E01 >out.pipe &&
	test_grep "campaign,out" - <out.pipe &&
	test "$(sql "SELECT count(*) FROM audit WHERE args LIKE '\''crm-campaign send%'\''")" = 2
'

test_expect_success 'send -n writes nothing; the control group is never sent' '
	printf "external_id\nE02\n" | crm-campaign create -q dry -c email --allow-overlap &&
	crm-campaign send -n dry 2>err &&
	test_grep "(dry run: nothing written)" err &&
	test "$(sql "SELECT state FROM campaigns WHERE name = '\''dry'\''")" = draft
'

test_expect_success 'a sent campaign cannot be created again; closing frees its members' '
	test_must_fail 1 crm-campaign create spring -c email targets.csv 2>err &&
	test_grep "campaign .spring. is sent (since 2026-11-01T12:00:00Z) and cannot be created again" err &&
	crm-campaign close other 2>err &&
	test_grep "other: closed (was draft)" err &&
	printf "external_id\nE10\n" | crm-campaign create -q after -c email &&
	test "$(members after)" = "E10|suppressed|other_campaign" &&
	crm-campaign close -q fromexport &&
	printf "external_id\nE10\n" | crm-campaign create -q after -c email &&
	test "$(members after)" = "E10|target|" &&
	test_must_fail 1 crm-campaign send other 2>err &&
	test_grep "campaign .other. is closed" err
'

test_expect_success 'list shows each campaign, its state and counts' '
	crm-campaign list >out.csv &&
	test_grep "^spring,email,cross-sell,sent,0,,2026-11-01T12:00:00Z,2026-11-01T12:00:00Z,2,0,9,2$" out.csv &&
	test_grep "^other,email,,closed,0,,2026-11-01T12:00:00Z,,1,0,0,0$" out.csv &&
	test_grep "^seg,email,,draft,0,vip," out.csv
'

# A few thousand contacts for the holdout.
test_expect_success 'set up 3000 contacts' '
	awk "BEGIN { print \"external_id,email,email_opt_in\";
		for (i = 1; i <= 3000; i++) printf \"H%04d,h%d@example.org,yes\n\", i, i }" >many.csv &&
	crm-add -q many.csv
'

test_expect_success 'holdout: about the share, the same split twice' '
	crm-export -c id,email >out.pipe &&
	grep "@example.org" <out.pipe >ids.csv &&
	{ echo id,email && cat ids.csv; } | crm-campaign create h1 -c email -H 10% 2>err &&
	n=$(sql "SELECT count(*) FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id WHERE k.name = '\''h1'\'' AND grp = '\''control'\''") &&
	test "$n" -ge 240 && test "$n" -le 360 &&
	members h1 >first &&
	{ echo id,email && sort -r ids.csv; } | crm-campaign create -q h1 -c email -H 0.1 &&
	members h1 >second &&
	test_cmp first second &&
	{ echo id,email && cat ids.csv; } | crm-campaign create -q h2 -c email -H 10% --allow-overlap &&
	members h2 >third &&
	! cmp -s first third &&
	n2=$(grep -c control third) &&
	test "$n2" -ge 240 && test "$n2" -le 360
'

test_expect_success 'export never includes the control group' '
	crm-campaign export h1 >out.csv &&
	test "$(($(wc -l <out.csv) - 1))" = "$(grep -c "|target|" first)" &&
	sql "SELECT m.contact_id FROM campaign_members m JOIN campaigns k
		ON k.id = m.campaign_id WHERE k.name = '\''h1'\''
		AND grp = '\''control'\''" >control &&
	cut -d, -f1 out.csv | grep -x -F -f control >leaked;
	test ! -s leaked
'

test_expect_success 'stratified: the exact share in each segment' '
	{ echo id,segment &&
	  sed -n "1,1000p" ids.csv | sed "s/,.*/,A/" &&
	  sed -n "1001,2500p" ids.csv | sed "s/,.*/,B/" &&
	  sed -n "2501,3000p" ids.csv | sed "s/,.*/,C/"; } >strata.csv &&
	crm-campaign create -q st -c email -H 10% --stratify --allow-overlap strata.csv &&
	sql "SELECT count(*) FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id
		WHERE k.name = '\''st'\'' AND grp = '\''control'\''
		GROUP BY m.contact_id <= (SELECT max(id) FROM contacts) - 2000,
		m.contact_id <= (SELECT max(id) FROM contacts) - 500 ORDER BY 1" >out &&
	printf "50\n100\n150\n" >expect &&
	test_cmp expect out
'

# The report, checked by hand.  400 contacts, one stratum, holdout 25%:
# exactly 300 target and 100 control.  Purchases in the 30 days after the
# send: 45 target contacts buy for 20.00 (one of them twice, +10.00), 10
# control contacts for 20.00; purchases before the send, after the window
# or of another kind do not count.
#
#   p1 = 45/300 = 0.15, p2 = 10/100 = 0.1, uplift = 0.05, relative 0.5
#   pooled p = 55/400 = 0.1375
#   z = 0.05 / sqrt(0.1375 * 0.8625 * (1/300 + 1/100))
#     = 0.05 / sqrt(0.00158125) = 0.05 / 0.0397649 = 1.25739
#   smallest expected count 100 * 0.1375 = 13.75 >= 5: the z-test,
#   p-value = 2 (1 - Phi(1.25739)) = 0.208613
#   Newcombe's hybrid score interval, z = 1.959964, z^2 = 3.841459:
#     Wilson 45/300 = (93.841459 -+ z sqrt(3.841459 + 4*45*0.85))
#                     / (2 * 303.841459) = [0.114030, 0.194818]
#     Wilson 10/100 = (23.841459 -+ z sqrt(3.841459 + 4*10*0.9))
#                     / (2 * 103.841459) = [0.055229, 0.174366]
#     low  = 0.05 - sqrt((0.15 - 0.114030)^2 + (0.174366 - 0.1)^2)
#          = 0.05 - 0.082607 = -0.032607
#     high = 0.05 + sqrt((0.194818 - 0.15)^2 + (0.1 - 0.055229)^2)
#          = 0.05 + 0.063349 = 0.113349
#   revenue: target 45 * 20 + 10 = 910.00, per contact 910 / 300 = 3.03;
#            control 10 * 20 = 200.00, per contact 2.00
test_expect_success 'report: rates, uplift, interval, p-value, revenue' '
	{ echo id,segment && sed -n "1,400p" ids.csv | sed "s/,.*/,all/"; } |
		crm-campaign create -q rep -c email -H 25% --stratify --allow-overlap &&
	test "$(sql "SELECT grp, count(*) FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id
		WHERE k.name = '\''rep'\'' GROUP BY grp ORDER BY grp")" = "$(printf "control|100\ntarget|300")" &&
	test_must_fail 1 crm-campaign report rep 2>err &&
	test_grep "campaign .rep. has not been sent" err &&
	CRM_NOW=2026-11-02T00:00:00Z crm-campaign send -q rep &&
	grp() {
		sql "SELECT c.external_id FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id
			JOIN contacts c ON c.id = m.contact_id WHERE k.name = '\''rep'\''
			AND grp = '\''$1'\'' ORDER BY m.contact_id"
	} &&
	grp target >t.ids && grp control >c.ids &&
	{
		echo external_id,at,channel,kind,amount,ref
		head -n 45 t.ids | awk "{ print \$1 \",2026-11-10T10:00Z,web,purchase,20.00,P\" NR }"
		head -n 1 t.ids | awk "{ print \$1 \",2026-11-20T10:00Z,web,purchase,10.00,Q1\" }"
		sed -n 46p t.ids | awk "{ print \$1 \",2026-12-03T10:00Z,web,purchase,99.00,Q2\" }"
		sed -n 47p t.ids | awk "{ print \$1 \",2026-11-05T10:00Z,web,visit,,Q3\" }"
		head -n 10 c.ids | awk "{ print \$1 \",2026-11-15T10:00Z,store,purchase,20.00,R\" NR }"
		sed -n 11p c.ids | awk "{ print \$1 \",2026-11-01T23:00Z,store,purchase,50.00,Q4\" }"
	} >buys.csv &&
	crm-log -q buys.csv &&
	CRM_NOW=2027-01-01 crm-campaign report rep >out.csv 2>err &&
	cat >expect <<-\EOF &&
	group,reason,contacts,sent,responders,response_rate,revenue,revenue_per_contact,uplift,uplift_relative,ci_low,ci_high,z,p_value,interval,test,currency
	target,,300,300,45,0.15,910.00,3.03,0.05,0.5,-0.032607,0.113349,1.25739,0.208613,newcombe,z,
	control,,100,0,10,0.1,200.00,2.00,,,,,,,,,
	suppressed,merged,0,,,,,,,,,,,,,,
	suppressed,erased,0,,,,,,,,,,,,,,
	suppressed,do_not_contact,0,,,,,,,,,,,,,,
	suppressed,no_consent,0,,,,,,,,,,,,,,
	suppressed,no_address,0,,,,,,,,,,,,,,
	suppressed,invalid_address,0,,,,,,,,,,,,,,
	suppressed,other_campaign,0,,,,,,,,,,,,,,
	suppressed,frequency_cap,0,,,,,,,,,,,,,,
	EOF
	test_cmp expect out.csv &&
	test_grep "rep: sent 2026-11-02T00:00:00Z, purchase responses until 2026-12-02T00:00:00Z" err &&
	CRM_NOW=2026-11-20 crm-campaign report -q rep >/dev/null 2>err &&
	test_grep "rep: the window runs until 2026-12-02T00:00:00Z" err &&
	CRM_NOW=2027-01-01 crm-campaign report -w 60d -f json rep >out.json &&
	test_grep "^{\"group\":\"target\",\"reason\":null,\"contacts\":300,\"sent\":300,\"responders\":46," out.json &&
	crm-campaign report -q -k visit rep >out.csv &&
	test_grep "^target,,300,300,1," out.csv
'

# Two currencies: 20 contacts, one stratum, holdout 50%: 10 and 10.  The
# first target buys for EUR 100.00 on Tuesday 2026-11-10, the second for
# USD 50.00 that day, the first control for USD 25.00 on Saturday the
# 14th.  Per currency: target EUR 100.00 (10.00 a contact) and USD 50.00
# (5.00), control EUR 0.00 and USD 25.00 (2.50).  In EUR, at EUR 1 =
# USD 1.25 on the 10th and 1.00 on Friday the 13th (Saturday has none):
# target 100 + 50 / 1.25 = 140.00 (14.00), control 25 / 1 = 25.00.
test_expect_success 'report: revenue per currency, or converted (-C)' '
	{ echo id,segment && sed -n "401,420p" ids.csv | sed "s/,.*/,all/"; } |
		crm-campaign create -q fx -c email -H 50% --stratify --allow-overlap &&
	CRM_NOW=2026-11-02T00:00:00Z crm-campaign send -q fx &&
	sql "SELECT c.external_id || '\'','\'' || grp FROM campaign_members m JOIN campaigns k ON k.id = m.campaign_id
		JOIN contacts c ON c.id = m.contact_id WHERE k.name = '\''fx'\''
		ORDER BY m.contact_id" >fx.ids &&
	t1=$(grep -m1 ",target" fx.ids | cut -d, -f1) &&
	t2=$(grep ",target" fx.ids | sed -n 2p | cut -d, -f1) &&
	c1=$(grep -m1 ",control" fx.ids | cut -d, -f1) &&
	printf "%s\n" external_id,at,channel,kind,amount,currency,ref \
		"$t1,2026-11-10T10:00Z,web,purchase,100.00,EUR,FX1" \
		"$t2,2026-11-10T11:00Z,web,purchase,50.00,USD,FX2" \
		"$c1,2026-11-14T10:00Z,web,purchase,25.00,USD,FX3" >fx.csv &&
	crm-log -q fx.csv &&
	CRM_NOW=2027-01-01 crm-campaign report -q fx >out.csv &&
	cut -d, -f1,3,5,7,8,17 out.csv | sed -n 1,5p >got &&
	cat >expect <<-\EOF &&
	group,contacts,responders,revenue,revenue_per_contact,currency
	target,10,2,100.00,10.00,EUR
	target,10,2,50.00,5.00,USD
	control,10,1,0.00,0.00,EUR
	control,10,1,25.00,2.50,USD
	EOF
	test_cmp expect got &&
	printf "Date,USD,\n2026-11-13,1.00,\n2026-11-10,1.25,\n" >fx-rates.csv &&
	crm-segment -q rates fx-rates.csv &&
	CRM_NOW=2027-01-01 crm-campaign report -q -C eur fx >out.csv &&
	cut -d, -f1,3,5,7,8,17 out.csv | sed -n 1,3p >got &&
	cat >expect <<-\EOF &&
	group,contacts,responders,revenue,revenue_per_contact,currency
	target,10,2,140.00,14.00,EUR
	control,10,1,25.00,2.50,EUR
	EOF
	test_cmp expect got &&
	test_must_fail 3 crm-campaign report -q -C JPY fx 2>err &&
	test_grep "no rate for" err &&
	test_must_fail 2 crm-campaign report -q -C euro fx &&
	# crm-report --currency converts the campaign table the same way.
	CRM_NOW=2027-01-01 crm-report -q --currency EUR --as-of 2026-11-20 \
		-o fx.html &&
	grep "<th scope=\"row\">fx</th>" fx.html >fx.row &&
	test_grep "<td class=\"n\">140.00</td>" fx.row
'

test_expect_success 'report: no control group is said' '
	crm-campaign report spring >out.csv 2>err &&
	test_grep "spring: no control group: the uplift cannot be measured" err &&
	test_grep "^target,,2,2,0,0,0.00,0.00,,,,,,,,,$" out.csv
'

test_expect_success 'bad options are usage errors (exit 2)' '
	test_must_fail 2 crm-campaign create x targets.csv 2>err &&
	test_grep "create: --channel is required" err &&
	test_must_fail 2 crm-campaign create x -c fax targets.csv 2>err &&
	test_grep "channel: .fax. is not email, sms, phone or mail" err &&
	test_must_fail 2 crm-campaign create x -c email -H 150% targets.csv 2>err &&
	test_grep "holdout: bad share .150%." err &&
	test_must_fail 2 crm-campaign create x -c email -H 10 targets.csv &&
	test_must_fail 2 crm-campaign create x -c email -P upsell targets.csv &&
	test_must_fail 2 crm-campaign create x -c email -p 30d targets.csv 2>err &&
	test_grep "per needs --max-contacts" err &&
	test_must_fail 2 crm-campaign create x -c email -m 2 -p 3x targets.csv &&
	test_must_fail 2 crm-campaign create "x y" -c email targets.csv 2>err &&
	test_grep "bad campaign name .x y." err &&
	test_must_fail 2 crm-campaign create x -c email -s nosuch 2>err &&
	test_grep "segment: no segment .nosuch." err &&
	test_must_fail 2 crm-campaign export -T tpl.txt -H 5% spring 2>err &&
	test_grep "export: --holdout does not apply" err &&
	test_must_fail 2 crm-campaign export nosuch 2>err &&
	test_grep "no campaign .nosuch." err &&
	test_must_fail 2 crm-campaign frobnicate x 2>err &&
	test_grep "unknown command .frobnicate." err &&
	test_must_fail 2 crm-campaign 2>err &&
	test_must_fail 2 crm-campaign report -k "Buy!" spring &&
	test_must_fail 2 crm-campaign report -w 0d spring &&
	test_must_fail 2 crm-campaign list extra
'

test_expect_success 'bad input is exit 3 with file and line, and writes nothing' '
	printf "external_id\nE01\nZZ9\nZZ8\n" >unknown.csv &&
	test_must_fail 3 crm-campaign create bad -c email unknown.csv 2>err &&
	test_grep "unknown.csv:3: no contact with external_id .ZZ9. (and 1 more)" err &&
	printf "id\n1\n99999\n2\n" >unknownid.csv &&
	test_must_fail 3 crm-campaign create bad -c email unknownid.csv 2>err &&
	test_grep "unknownid.csv:3: no contact with id 99999$" err &&
	printf "id\n1\nx1\n" >badid.csv &&
	test_must_fail 3 crm-campaign create bad -c email badid.csv 2>err &&
	test_grep "badid.csv:3: invalid id .x1." err &&
	printf "name\nAnn\n" >nokey.csv &&
	test_must_fail 3 crm-campaign create bad -c email nokey.csv 2>err &&
	test_grep "nokey.csv: no id, external_id or email column" err &&
	printf "email\nann@\n" >bademail.csv &&
	test_must_fail 3 crm-campaign create bad -c email bademail.csv 2>err &&
	test_grep "bademail.csv:2: invalid email" err &&
	printf "external_id,email\nX1,shared@example.com\nX2,shared@example.com\n" | crm-add -q &&
	printf "email\nshared@example.com\n" >shared.csv &&
	test_must_fail 3 crm-campaign create bad -c email shared.csv 2>err &&
	test_grep "shared.csv:2: email .shared@example.com. matches several contacts" err &&
	test "$(sql "SELECT count(*) FROM campaigns WHERE name = '\''bad'\''")" = 0 &&
	test_must_fail 1 crm-campaign -d nosuch.db list 2>err &&
	test_grep "no such database" err
'

test_expect_success 'create -n writes nothing but counts' '
	crm-campaign create -n dryrun -c email --allow-overlap targets.csv 2>err &&
	test_grep "dryrun: 11 read, 11 candidates: 4 target" err &&
	test_grep "(dry run: nothing written)" err &&
	test "$(sql "SELECT count(*) FROM campaigns WHERE name = '\''dryrun'\''")" = 0
'

test_expect_success '--help is the usage on stdout' '
	crm-campaign --help >out &&
	test_grep "^usage: crm-campaign create" out &&
	test_grep "crm-campaign report \[-qt\] \[-C currency\] \[-d db\] \[-f format\] \[-k kind\]" out
'

test_done
