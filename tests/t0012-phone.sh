#!/bin/sh
# Phones and countries: libphonenumber's rules, iso-codes' names, the
# phone type and SMS, --renormalise.  The numbers are libphonenumber's
# documented example numbers (the <exampleNumber> of each region in its
# resources/PhoneNumberMetadata.xml, github.com/google/libphonenumber) and
# the rows of issue 27.
. "$(dirname "$0")/lib.sh"

cat >africa.csv <<'CSV'
external_id,first_name,phone,country,sms_opt_in
N1,Ade,0803 123 4567,Nigeria,yes
N2,Kofi,024 123 4567,Ghana,yes
N3,Wanjiru,0712 345678,Kenya,yes
N4,Thabo,010 123 4567,Südafrika,yes
N5,Amaka,01 804 0123,NGA,yes
N6,Awa,01 23 45 6789,Côte d'Ivoire,yes
CSV

test_expect_success 'national numbers take the region of the country, by any name' '
	crm-add africa.csv 2>err &&
	test_grep "6 read, 6 inserted, 0 updated, 0 unchanged, 0 rejected" err &&
	crm-export -c external_id,phone,phone_type,country >out &&
	cat >expect <<-\EOF &&
	external_id,phone,phone_type,country
	N1,+2348031234567,mobile,NG
	N2,+233241234567,mobile,GH
	N3,+254712345678,mobile,KE
	N4,+27101234567,fixed_line,ZA
	N5,+23418040123,fixed_line,NG
	N6,+2250123456789,mobile,CI
	EOF
	test_cmp expect out
'

test_expect_success 'SMS consent needs a mobile: a fixed line is left out' '
	crm-export --consent sms -c external_id >out &&
	printf "external_id\nN1\nN2\nN3\nN6\n" >expect &&
	test_cmp expect out
'

test_expect_success 'impossible numbers are bad input (exit 3) with the reason' '
	cat >bad.csv <<-\EOF &&
	external_id,phone,country
	N7,+44 20 7946 095,GB
	N8,+234 803 123 45,NG
	N9,0803 123 456 789 012,NG
	N10,+999 1234 5678,
	EOF
	test_must_fail 3 crm-add -r rej.csv bad.csv 2>err &&
	test_grep "4 read, 0 inserted, 0 updated, 0 unchanged, 4 rejected" err &&
	test_grep "N7,.*invalid phone .+44 20 7946 095.: no GB number of 9 digits begins 207" rej.csv &&
	test_grep "N8,.*invalid phone .+234 803 123 45.: no NG number of 8 digits begins 803" rej.csv &&
	test_grep "N9,.*too long for NG" rej.csv &&
	test_grep "N10,.*unknown country calling code" rej.csv &&
	test "$(sql "select count(*) from contacts")" = 6
'

test_expect_success 'the region: --region, the country column, the number itself' '
	cat >regions.csv <<-\EOF &&
	external_id,phone,country
	R1,01 804 0123,
	R2,030 123456,DE
	R3,+81 90-1234-5678,
	R4,009 44 7400 123456,
	R5,2348021234567,
	EOF
	crm-add -q -d r.db -R NG regions.csv 2>err &&
	crm-export -d r.db -c external_id,phone,phone_type >out &&
	test_grep "^R1,+23418040123,fixed_line$" out &&
	test_grep "^R2,+4930123456,fixed_line$" out &&
	test_grep "^R3,+819012345678,mobile$" out &&
	test_grep "^R4,+447400123456,mobile$" out &&
	test_grep "^R5,+2348021234567,mobile$" out &&
	test_must_fail 2 crm-add -d r.db -R XX regions.csv 2>err &&
	test_grep "unknown phone region .XX." err
'

test_expect_success 'extensions are kept apart; a new number brings its own' '
	printf "external_id,phone,country\nE1,0121 234 5678 ext. 123,UK\n" >e1.csv &&
	crm-add -q -d e.db e1.csv &&
	test "$(sqlite3 e.db "select phone || \"|\" || phone_ext || \"|\" || phone_type from contacts")" = "+441212345678|123|fixed_line" &&
	printf "external_id,phone,country\nE1,07400 123456,UK\n" >e2.csv &&
	crm-add -q -d e.db e2.csv &&
	test "$(sqlite3 e.db "select phone || \"|\" || coalesce(phone_ext, \"-\") || \"|\" || phone_type from contacts")" = "+447400123456|-|mobile" &&
	printf "external_id,phone,extension\nE2,+1 201 555 0123,42\n" >e3.csv &&
	crm-add -q -d e.db e3.csv &&
	test "$(sqlite3 e.db "select phone_ext from contacts where external_id = \"E2\"")" = 42
'

test_expect_success 'an unknown country is reported once per value and column, not stored' '
	cat >u.csv <<-\EOF &&
	external_id,Country
	U1,Atlantis
	U2,Deutschland
	U3,Atlantis
	U4,Narnia
	EOF
	crm-add -d u.db u.csv 2>err &&
	test_grep "u.csv:2: unknown country .Atlantis. in column Country (2 records): not stored" err &&
	test_grep "u.csv:5: unknown country .Narnia. in column Country (1 record): not stored" err &&
	test "$(grep -c Atlantis err)" = 1 &&
	test "$(sqlite3 u.db "select external_id || \"=\" || coalesce(country, \"-\") from contacts order by id" | tr "\n" " ")" = "U1=- U2=DE U3=- U4=- "
'

test_expect_success 'country names in several languages' '
	cat >names.csv <<-\EOF &&
	external_id,country
	L1,Deutschland
	L2,Allemagne
	L3,Alemania
	L4,UK
	L5,USA
	L6,Royaume-Uni
	L7,Côte d'\''Ivoire
	L8,Ivory Coast
	L9,日本
	L10,Estados Unidos
	L11,gha
	L12,  kenya  
	EOF
	crm-add -q -d names.db names.csv &&
	crm-export -d names.db -c external_id,country >out &&
	cat >expect <<-\EOF &&
	external_id,country
	L1,DE
	L2,DE
	L3,DE
	L4,GB
	L5,US
	L6,GB
	L7,CI
	L8,CI
	L9,JP
	L10,US
	L11,GH
	L12,KE
	EOF
	test_cmp expect out
'

test_expect_success '--renormalise brings stored contacts to the rules, in one transaction' '
	sql "UPDATE contacts SET phone = '\''08031234567'\'', phone_type = NULL,
		country = '\''Nigeria'\'' WHERE external_id = '\''N1'\'';
		UPDATE contacts SET phone = '\''+44207946095'\'', country = '\''GB'\''
		WHERE external_id = '\''N2'\'';
		UPDATE contacts SET country = '\''Narnia'\'' WHERE external_id = '\''N3'\''" &&
	crm-add --renormalise >out 2>err &&
	cat >expect <<-\EOF &&
	id,column,old,new,note
	1,country,Nigeria,NG,
	1,phone,08031234567,+2348031234567,
	1,phone_type,,mobile,
	2,phone,+44207946095,+44207946095,invalid phone '\''+44207946095'\'': no GB number of 9 digits begins 207
	2,phone_type,mobile,,
	3,country,Narnia,Narnia,unknown country: kept as it was
	EOF
	test_cmp expect out &&
	test_grep "6 contacts, 2 changed (1 phone, 2 types, 0 extensions, 1 country); kept 1 invalid phone, 1 unknown country" err &&
	crm-add --renormalise -q >out &&
	test "$(grep -c "^1," out)" = 0 &&
	test "$(sql "select phone || phone_type || country from contacts where id = 1")" = "+2348031234567mobileNG"
'

test_expect_success '--renormalise -n writes nothing; bad usage exits 2' '
	sql "UPDATE contacts SET country = '\''Ghana'\'' WHERE id = 2" &&
	crm-add --renormalise -n -q >out &&
	test_grep "^2,country,Ghana,GH," out &&
	test "$(sql "select country from contacts where id = 2")" = Ghana &&
	test_must_fail 2 crm-add --renormalise africa.csv
'

test_expect_success 'the report counts as reachable by SMS only mobiles' '
	# Six contacts opted in to SMS: N1, N3 and N6 have mobiles, N4 and
	# N5 fixed lines, N2 a number that is invalid now (no type).
	crm-report -f text -o report.txt &&
	test_grep "reachable:.* sms 50" report.txt
'

test_done
