#!/bin/sh
# crm-dedupe: households, people living together kept apart, linking.
. "$(dirname "$0")/lib.sh"

# Contacts 1-3 are one household (the Lees: one address written three
# ways, one landline, their own names, birth dates and emails), 4-5 a
# household of two family names, 6 lives alone, 7 has no address; 300
# generated contacts follow so that the model has data to learn from.
test_expect_success 'set up: two households among 300 others' '
	cat >hh.csv <<-\EOF &&
	external_id,first_name,last_name,email,phone,street,city,postcode,country,birth_date
	H1,Ann,Lee,ann.lee@example.org,+44 118 496 0001,12 Acacia Avenue,Reading,RG1 4AB,GB,1970-03-01
	H2,Tom,Lee,tom.lee@example.org,+44 118 496 0001,12 acacia ave.,Reading,RG1 4AB,GB,1968-11-20
	H3,Zoe,Lee,zoe@example.com,+44 118 496 0001,12 Acacia Avenue,Reading,rg14ab,GB,1999-06-05
	H4,Raj,Patel,raj@example.com,+44 1865 000 222,4 Mill Lane,Oxford,OX1 2JD,GB,1980-01-01
	H5,Sara,Jones,sara@example.com,+44 1865 000 222,4 Mill Lane,Oxford,OX1 2JD,GB,1982-02-02
	H6,Lone,Wolf,lone@example.com,,9 High Street,Leeds,LS1 1AA,GB,1975-05-05
	H7,No,Address,none@example.com,,,,,GB,
	EOF
	"$TOP/scripts/gen-data" --seed 4 contacts 300 --dup-rate 0 >bg.csv &&
	crm-add -q hh.csv bg.csv &&
	test "$(sql "select count(*) from contacts")" = 307
'

test_expect_success 'households: one id per address, the lowest contact id' '
	crm-dedupe households >out.csv 2>err &&
	cut -d, -f1-4 out.csv >got &&
	cat >expect <<-\EOF &&
	household_id,id,size,name
	1,1,3,Ann Lee
	1,2,3,Tom Lee
	1,3,3,Zoe Lee
	4,4,2,Raj Patel
	4,5,2,Sara Jones
	EOF
	test_cmp expect got &&
	test_grep "^crm-dedupe: 2 households of two or more, 5 people in them" err
'

test_expect_success 'households: --key surname, --all, stable when people move in' '
	crm-dedupe -q households -k address,surname >all &&
	cut -d, -f1,2 all >got &&
	printf "household_id,id\n1,1\n1,2\n1,3\n" >expect &&
	test_cmp expect got &&
	crm-dedupe -q households -a >all.csv &&
	test "$(wc -l <all.csv)" = 308 &&
	grep -q "^6,6,1,Lone Wolf," all.csv &&
	grep -q "^7,7,1,No Address,,," all.csv &&
	printf "external_id,first_name,last_name,street,postcode\nH8,Max,Lee,12 Acacia Av,RG1 4AB\nH9,Mia,Wolf,9 High St,LS1 1AA\n" >new.csv &&
	crm-add -q new.csv &&
	crm-dedupe -q households >all &&
	cut -d, -f1-3 all >got &&
	cat >expect <<-\EOF &&
	household_id,id,size
	1,1,4
	1,2,4
	1,3,4
	4,4,2
	4,5,2
	6,6,2
	1,308,4
	6,309,2
	EOF
	test_cmp expect got &&
	test_must_fail 2 crm-dedupe households -k street 2>err &&
	test_grep "not address, surname or phone" err
'

test_expect_success 'find: no household member is a duplicate' '
	crm-dedupe -q >pairs.csv &&
	awk -F, "NR > 1 && (\$1 <= 9 || \$2 <= 9)" pairs.csv >got &&
	! test -s got
'

test_expect_success 'link FILE: leads against the database, nothing imported' '
	cat >leads.csv <<-\EOF &&
	lead,first_name,last_name,email,phone,street,postcode
	L1,Anne,Lee,ann.lee@example.org,0118 496 0001,12 Acacia Ave,RG1 4AB
	L2,Mark,Lee,mark.lee@example.net,0118 496 0001,12 Acacia Avenue,RG1 4AB
	L3,Sara,Jones,sara@example.com,,,
	L4,Nobody,Knows,nobody@example.net,,1 Nowhere Road,ZZ9 9ZZ
	EOF
	n=$(sql "select count(*) from contacts") &&
	crm-dedupe link -I lead leads.csv >out.csv 2>err &&
	cut -d, -f1,8 out.csv >got &&
	printf "lead,matched_id\nL1,1\nL2,\nL3,5\nL4,\n" >expect &&
	test_cmp expect got &&
	head -1 out.csv >got &&
	echo "lead,first_name,last_name,email,phone,street,postcode,matched_id,probability,score" >expect &&
	test_cmp expect got &&
	test_grep ", 2 linked$" err &&
	test "$(sql "select count(*) from contacts")" = "$n"
'

test_expect_success 'link A B: a file against another, each with its id column' '
	crm-dedupe -q link -I lead,external_id leads.csv hh.csv >out.csv &&
	cut -d, -f1,8 out.csv >got &&
	printf "lead,matched_id\nL1,H1\nL2,\nL3,H5\nL4,\n" >expect &&
	test_cmp expect got &&
	test_must_fail 2 crm-dedupe link 2>err &&
	test_must_fail 2 crm-dedupe link a.csv b.csv c.csv 2>err
'

test_expect_success 'merge and unmerge carry a table they do not know' '
	sql "CREATE TABLE notes_x (id INTEGER PRIMARY KEY, contact_id INTEGER REFERENCES contacts(id), body TEXT); INSERT INTO notes_x (contact_id, body) VALUES (2, '\''call back'\''), (1, '\''hello'\'')" &&
	printf "id_a,id_b\n1,2\n" >pair.csv &&
	crm-dedupe -q merge pair.csv >merged.csv &&
	test "$(sql "select group_concat(contact_id) from notes_x order by id")" = "1,1" &&
	crm-dedupe -q unmerge 2 >undone.csv &&
	test "$(sql "select group_concat(contact_id) from notes_x order by id")" = "2,1"
'

test_expect_success 'crm-campaign --per-household: one letter per household' '
	sql "UPDATE contacts SET mail_opt_in = 1" &&
	printf "id\n1\n2\n3\n4\n5\n6\n7\n" >targets.csv &&
	crm-campaign create -c mail --per-household letters targets.csv 2>err &&
	test_grep "3 target, 0 control, 4 suppressed (no_address 1, household 3)" err &&
	sql "SELECT contact_id, grp, reason FROM campaign_members ORDER BY contact_id" >got &&
	cat >expect <<-\EOF &&
	1|target|
	2|suppressed|household
	3|suppressed|household
	4|target|
	5|suppressed|household
	6|target|
	7|suppressed|no_address
	EOF
	test_cmp expect got
'

test_done
