#!/bin/sh
# crm-export: formats, columns, filters, round trip.
. "$(dirname "$0")/lib.sh"

cat >contacts.csv <<'CSV'
external_id,first_name,last_name,email,phone,company,stage,owner,email_opt_in,sms_opt_in,note
C1,Ann,Lee,ann@example.com,+44 20 7946 0958,"Lee, Ltd",customer,kim,yes,no,"=HYPERLINK(""x"")"
C2,Bob,Ray,bob@example.org,+1 415 555 0134,,lead,kim,no,yes,
C3,Cy,Day,cy@example.net,,"Tab	Co",prospect,lu,yes,,"two
lines"
CSV

test_expect_success 'set up' '
	crm-add -q contacts.csv
'

test_expect_success 'round trip: export, import elsewhere, export again' '
	crm-export >first.csv &&
	crm-add -q -d copy.db first.csv &&
	crm-export -d copy.db >second.csv &&
	test_cmp first.csv second.csv
'

test_expect_success 'CSV with quoting' '
	crm-export -c external_id,company,attr.note >out &&
	cat >expect <<-\EOF &&
	external_id,company,attr.note
	C1,"Lee, Ltd","=HYPERLINK(""x"")"
	C2,,
	C3,Tab Co,"two
	lines"
	EOF
	test_cmp expect out
'

test_expect_success 'TSV escapes tabs and newlines' '
	crm-export -f tsv -c external_id,attr.note >out &&
	printf "external_id\tattr.note\nC1\t=HYPERLINK(\"x\")\nC2\t\nC3\ttwo\\\\nlines\n" >expect &&
	test_cmp expect out
'

test_expect_success 'JSON lines with types' '
	crm-export -f json -c id,external_id,email_opt_in,sms_opt_in,attrs -S customer >out &&
	echo "{\"id\":1,\"external_id\":\"C1\",\"email_opt_in\":true,\"sms_opt_in\":false,\"attrs\":{\"note\":\"=HYPERLINK(\\\"x\\\")\"}}" >expect &&
	test_cmp expect out
'

test_expect_success '--excel-safe neutralises formulas' '
	crm-export --excel-safe -c external_id,phone,attr.note -S customer >out &&
	cat >expect <<-\EOF &&
	external_id,phone,attr.note
	C1,"'"'"'+442079460958","'"'"'=HYPERLINK(""x"")"
	EOF
	test_cmp expect out
'

test_expect_success 'filters: stage, owner, consent, since' '
	crm-export -c external_id -O kim >out &&
	printf "external_id\nC1\nC2\n" >expect && test_cmp expect out &&
	crm-export -c external_id --consent sms >out &&
	printf "external_id\nC2\n" >expect && test_cmp expect out &&
	crm-export -c external_id --consent email -S prospect >out &&
	printf "external_id\nC3\n" >expect && test_cmp expect out &&
	crm-export -c EXTERNAL_ID -S Customer >out &&
	printf "external_id\nC1\n" >expect && test_cmp expect out &&
	test_must_fail 2 crm-export -S vip 2>err &&
	test_grep "unknown stage .vip." err &&
	crm-export -c external_id --since 2026-11-02 >out &&
	printf "external_id\n" >expect && test_cmp expect out
'

test_expect_success 'merged contacts are left out unless --all' '
	sql "update contacts set merged_into = 1 where external_id = '\''C2'\''" &&
	crm-export -c external_id >out &&
	printf "external_id\nC1\nC3\n" >expect && test_cmp expect out &&
	crm-export -a -c external_id,merged_into >out &&
	printf "external_id,merged_into\nC1,\nC2,1\nC3,\n" >expect && test_cmp expect out
'

test_expect_success 'bad column, bad channel, bad format: exit 2' '
	test_must_fail 2 crm-export -c id,bogus 2>err &&
	test_grep "unknown column .bogus." err &&
	test_must_fail 2 crm-export --consent fax 2>err &&
	test_grep "unknown consent channel .fax." err &&
	test_must_fail 2 crm-export -f xml 2>err &&
	test_grep "unknown format .xml." err &&
	test_must_fail 2 crm-export --since yesterday 2>err &&
	test_grep "since: invalid date" err
'

test_expect_success 'a missing database is an error, not created' '
	test_must_fail 1 crm-export -d none.db 2>err &&
	test_grep "none.db: no such database" err &&
	test ! -e none.db
'

if test -w /dev/full; then
	test_expect_success 'a full disk is an error' '
		test_must_fail 1 crm-export >/dev/full 2>err &&
		test_grep "write error" err
	'
else
	test_skip 'a full disk is an error' 'no writable /dev/full'
fi

test_done
