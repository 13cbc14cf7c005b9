#!/bin/sh
# crm-add: import, upsert, consent, bad input, rejects.
. "$(dirname "$0")/lib.sh"

cat >contacts.csv <<'CSV'
external_id,first_name,last_name,email,phone,country,stage,owner,email_opt_in,tier
C1,Ann,Lee,Ann.Lee@Example.COM,+44 20 7946 0958,GB,customer,kim,yes,gold
C2,Bob,Ray,bob@example.org,(415) 555-0134,US,lead,kim,no,
C3,Zoë,Müller,zoe@example.de,030 1234567,DE,prospect,lu,1,silver
CSV

test_expect_success 'import three contacts' '
	crm-add contacts.csv 2>err &&
	test_grep "3 read, 3 inserted, 0 updated, 0 unchanged, 0 rejected" err &&
	test "$(sql "select count(*) from contacts")" = 3
'

test_expect_sqlite 'database is created mode 0600' '
	test "$(stat -c %a crm.db)" = 600
'

test_expect_success 'a database in a linked directory opens; a linked database file does not' '
	mkdir real &&
	ln -s real linkdir &&
	printf "external_id\nL1\n" | crm-add -q -d linkdir/l.db &&
	test "$(stat -c %a real/l.db)" = 600 &&
	crm-export -d linkdir/l.db -c external_id >out &&
	test "$(tail -1 out)" = L1 &&
	ln -s real/l.db linked.db &&
	test_must_fail 1 crm-export -d linked.db 2>err &&
	test_grep "linked.db: a symbolic link" err &&
	ln -s real/new.db dangling.db &&
	printf "external_id\nL2\n" >l2.csv &&
	test_must_fail 1 crm-add -d dangling.db l2.csv 2>err &&
	test_grep "dangling.db: a symbolic link" err &&
	test ! -e real/new.db
'

test_expect_success 'a small import stays small; a large one, or a pipe still written, gets the page cache block' '
	printf "external_id\nS1\nS2\n" >small.csv &&
	/usr/bin/time -f %M -o rss crm-add -q -d small.db small.csv &&
	{ grep -q fsanitize "$TOP/.build-flags" || test "$(cat rss)" -lt 40000; } &&
	awk "BEGIN { print \"external_id\"; for (i = 0; i < 120000; i++) printf \"B%07d\n\", i }" >big.csv &&
	/usr/bin/time -f %M -o rss crm-add -q -d big.db big.csv &&
	test "$(cat rss)" -gt 65536 &&
	{ sleep 1; printf "external_id\nS3\n"; } | /usr/bin/time -f %M -o rss crm-add -q -d small.db &&
	test "$(cat rss)" -gt 65536 &&
	printf "external_id\nS4\n" | { sleep 1; /usr/bin/time -f %M -o rss crm-add -q -d small.db; } &&
	{ grep -q fsanitize "$TOP/.build-flags" || test "$(cat rss)" -lt 40000; } &&
	crm-export -d small.db -c external_id >out &&
	test "$(tr "\n" " " <out)" = "external_id S1 S2 S3 S4 "
'

test_expect_success 'values are normalised' '
	crm-export -c external_id,email,phone,country,stage,attr.tier >out &&
	cat >expect <<-EOF &&
	external_id,email,phone,country,stage,attr.tier
	C1,ann.lee@example.com,+442079460958,GB,customer,gold
	C2,bob@example.org,+14155550134,US,lead,
	C3,zoe@example.de,+49301234567,DE,prospect,silver
	EOF
	test_cmp expect out
'

test_expect_success 're-import changes nothing' '
	CRM_NOW=2026-11-02T00:00:00Z crm-add contacts.csv 2>err &&
	test_grep "3 read, 0 inserted, 0 updated, 3 unchanged, 0 rejected" err &&
	test "$(sql "select count(*) from contacts where updated_at > created_at")" = 0 &&
	test "$(sql "select count(*) from consent_events")" = 3
'

test_expect_success 'an update changes only what the file gives' '
	printf "external_id,city,phone\nC1,London,\n" >upd.csv &&
	CRM_NOW=2026-11-02T00:00:00Z crm-add upd.csv 2>err &&
	test_grep "1 updated" err &&
	test "$(sql "select city, phone, email from contacts where external_id = '\''C1'\''")" = "London|+442079460958|ann.lee@example.com"
'

test_expect_success 'attributes: a changed value updates, an equal one does not' '
	printf "external_id,tier,since\nC1,gold,2019\nC3,platinum,\n" >attr.csv &&
	crm-add attr.csv 2>err &&
	test_grep "0 inserted, 2 updated, 0 unchanged" err &&
	crm-add attr.csv 2>err &&
	test_grep "0 inserted, 0 updated, 2 unchanged" err &&
	test "$(sql "select attrs from contacts where external_id in ('\''C1'\'', '\''C3'\'') order by id")" = "$(printf "{\"tier\":\"gold\",\"since\":2019}\n{\"tier\":\"platinum\"}")"
'

test_expect_success 'same email, different external ids: two contacts' '
	printf "external_id,email\nD1,same@example.com\nD2,same@example.com\n" >same.csv &&
	crm-add same.csv &&
	test "$(sql "select count(*) from contacts where email = '\''same@example.com'\''")" = 2
'

test_expect_success 'no external id and an email matching two contacts is an error' '
	printf "email,city\nsame@example.com,Paris\n" >amb.csv &&
	test_must_fail 3 crm-add amb.csv 2>err &&
	test_grep "amb.csv:2: email .same@example.com. matches 2 contacts (ids 4, 5)" err
'

test_expect_success 'no external id: match on email' '
	printf "email,city\nBOB@example.org,Boston\n" >byemail.csv &&
	crm-add byemail.csv 2>err &&
	test_grep "1 updated" err &&
	test "$(sql "select city from contacts where external_id = '\''C2'\''")" = Boston
'

test_expect_success 'a lead known by email is adopted by its external id' '
	printf "email,first_name\nlead@example.com,Lea\n" >lead.csv &&
	crm-add lead.csv &&
	printf "external_id,email\nE9,lead@example.com\n" >erp.csv &&
	crm-add erp.csv 2>err &&
	test_grep "0 inserted, 1 updated" err &&
	test "$(sql "select external_id, first_name from contacts where email = '\''lead@example.com'\''")" = "E9|Lea"
'

test_expect_success 'bad email aborts the batch, naming file, line and value' '
	n=$(sql "select count(*) from contacts") &&
	printf "external_id,email\nF1,f1@example.com\nF2,bob@\n" >bad.csv &&
	test_must_fail 3 crm-add bad.csv 2>err &&
	test_grep "^crm-add: bad.csv:3: invalid email .bob@." err &&
	test "$(sql "select count(*) from contacts")" = "$n"
'

test_expect_success '--rejects keeps good rows and writes bad ones with a reason' '
	printf "external_id,email,stage\nG1,g1@example.com,lead\nG2,g2@example.com,boss\nG3,g3@example.com,\n" >mixed.csv &&
	test_must_fail 3 crm-add --rejects rej.csv mixed.csv 2>err &&
	test_grep "3 read, 2 inserted, 0 updated, 0 unchanged, 1 rejected" err &&
	cat >expect <<-EOF &&
	external_id,email,stage,reason
	G2,g2@example.com,boss,"mixed.csv:3: invalid stage '\''boss'\'' (lead, prospect, customer or former)"
	EOF
	test_cmp expect rej.csv &&
	test "$(stat -c %a rej.csv)" = 600 &&
	test "$(sql "select count(*) from contacts where external_id in ('\''G1'\'','\''G3'\'')")" = 2
'

test_expect_success '--rejects: a clean run leaves no rejects file, nor a failed one' '
	echo stale >rej.csv &&
	crm-add --rejects rej.csv contacts.csv &&
	test ! -e rej.csv &&
	printf "external_id,email\nR1,r1@example.com\nR2,bad@\n" >r1.csv &&
	printf "id,email\n9,bad2@\n" >r2.csv &&
	test_must_fail 2 crm-add --rejects rej.csv r1.csv r2.csv 2>err &&
	test_grep "header differs" err &&
	test ! -e rej.csv &&
	test -z "$(ls | grep "rej.csv.tmp")" &&
	test "$(sql "select count(*) from contacts where external_id = '\''R1'\''")" = 0
'

test_expect_success '--rejects with -q still says that records were rejected' '
	test_must_fail 3 crm-add -q --rejects rej.csv r1.csv 2>err &&
	test_grep "1 record rejected, written to rej.csv" err
'

test_expect_success '--dry-run writes nothing' '
	printf "external_id,email\nH1,h1@example.com\n" >dry.csv &&
	crm-add -n dry.csv 2>err &&
	test_grep "1 inserted.*dry run" err &&
	test "$(sql "select count(*) from contacts where external_id = '\''H1'\''")" = 0
'

test_expect_success 'an import never turns an opt-out back in' '
	printf "external_id,email_opt_in,do_not_contact\nC2,yes,no\n" >optin.csv &&
	sql "update contacts set do_not_contact = 1 where external_id = '\''C2'\''" &&
	crm-add optin.csv 2>err &&
	test_grep "kept 2 opt-outs" err &&
	test "$(sql "select email_opt_in, do_not_contact from contacts where external_id = '\''C2'\''")" = "0|1"
'

test_expect_success '--allow-opt-in does, and records consent events' '
	crm-add --allow-opt-in optin.csv 2>err &&
	test "$(sql "select email_opt_in, do_not_contact from contacts where external_id = '\''C2'\''")" = "1|0" &&
	test "$(sql "select channel || granted from consent_events e join contacts c on c.id = e.contact_id where external_id = '\''C2'\'' order by e.id")" = "$(printf "email0\nemail1\nall1")"
'

test_expect_success 'an opt-out is always taken' '
	printf "external_id,sms_opt_in,do_not_contact\nC1,n,y\n" >optout.csv &&
	crm-add optout.csv &&
	test "$(sql "select sms_opt_in, do_not_contact from contacts where external_id = '\''C1'\''")" = "0|1"
'

test_expect_success 'quoting: embedded quotes, commas, newlines, CRLF, BOM' '
	printf "\357\273\277external_id,company,street\r\nQ1,\"Smith, Jones & \"\"Co\"\"\",\"1 High St\nFlat 2\"\r\nQ2,,\"\"\r\n" >quoted.csv &&
	crm-add quoted.csv &&
	crm-export -f json -c external_id,company,street >out &&
	test_grep "\"Q1\",\"company\":\"Smith, Jones & \\\\\"Co\\\\\"\",\"street\":\"1 High St\\\\nFlat 2\"" out &&
	test_grep "\"Q2\",\"company\":null,\"street\":null" out
'

test_expect_success 'unterminated quote is an error with its line' '
	printf "external_id,company\nU1,ok\nU2,\"never closed\nU3,x\n" >unterm.csv &&
	test_must_fail 3 crm-add unterm.csv 2>err &&
	test_grep "unterm.csv:3: unterminated quoted field" err &&
	test "$(sql "select count(*) from contacts where external_id like '\''U%'\''")" = 0
'

test_expect_success 'text after a closing quote is an error' '
	printf "external_id,company\nV1,\"a\"b\n" >badq.csv &&
	test_must_fail 3 crm-add badq.csv 2>err &&
	test_grep "badq.csv:2: malformed quoting" err
'

test_expect_success 'NUL byte and invalid UTF-8 are errors with their line' '
	printf "external_id,company\nW1,a\nW2,b\000c\n" >nul.csv &&
	test_must_fail 3 crm-add nul.csv 2>err &&
	test_grep "nul.csv:3: NUL byte" err &&
	printf "external_id,company\nW1,a\nW2,b\n\nW3,caf\351\n" >latin1.csv &&
	test_must_fail 3 crm-add --encoding utf-8 latin1.csv 2>err &&
	test_grep "latin1.csv:5: invalid UTF-8 in field 2" err
'

test_expect_success 'a record with the wrong number of fields is an error' '
	printf "external_id,company\nX1,a,extra\n" >ragged.csv &&
	test_must_fail 3 crm-add ragged.csv 2>err &&
	test_grep "ragged.csv:2: expected 2 fields as in the header, found 3" err
'

test_expect_success 'a header naming a column twice is an error' '
	printf "email,E-Mail\na@example.com,b@example.com\n" >twice.csv &&
	test_must_fail 3 crm-add twice.csv 2>err &&
	test_grep "column .email. given twice" err
'

test_expect_success 'bad dates, yes/no values and phones are refused' '
	printf "external_id,birth_date\nY1,1981-02-29\n" >date.csv &&
	test_must_fail 3 crm-add date.csv 2>err &&
	test_grep "date.csv:2: invalid date .1981-02-29." err &&
	printf "external_id,email_opt_in\nY2,maybe\n" >yn.csv &&
	test_must_fail 3 crm-add yn.csv 2>err &&
	test_grep "yn.csv:2: email_opt_in: invalid yes/no value .maybe." err &&
	printf "external_id,phone\nY3,call me\n" >ph.csv &&
	test_must_fail 3 crm-add ph.csv 2>err &&
	test_grep "ph.csv:2: invalid phone .call me." err
'

test_expect_success 'national phones need a region; --region gives one' '
	printf "external_id,phone\nZ1,020 7946 0958\n" >nat.csv &&
	crm-add nat.csv &&
	test "$(sql "select phone from contacts where external_id = '\''Z1'\''")" = 02079460958 &&
	crm-add --region GB nat.csv &&
	test "$(sql "select phone from contacts where external_id = '\''Z1'\''")" = +442079460958 &&
	test_must_fail 2 crm-add --region XX nat.csv 2>err &&
	test_grep "unknown phone region .XX." err
'

test_expect_success 'TSV from standard input, with escapes' '
	printf "external_id\tstreet\nT1\tTab\\\\tCo\n" | crm-add -t &&
	test "$(sql "select street from contacts where external_id = '\''T1'\''")" = "$(printf "Tab\tCo")"
'

test_expect_success 'a merged contact resolves to its survivor' '
	sql "update contacts set merged_into = (select id from contacts where external_id = '\''C3'\'') where external_id = '\''G1'\''" &&
	printf "external_id,city\nG1,Berlin\n" >m.csv &&
	crm-add m.csv &&
	test "$(sql "select city from contacts where external_id = '\''C3'\''")" = Berlin &&
	test -z "$(sql "select city from contacts where external_id = '\''G1'\''")"
'

test_expect_success 'a record for a merged-away contact only fills gaps in the survivor' '
	printf "external_id,city,company\nG1,Paris,Acme\n" >m2.csv &&
	crm-add m2.csv &&
	test "$(sql "select city, company from contacts where external_id = '\''C3'\''")" = "Berlin|Acme"
'

test_expect_success 'an erased contact is not brought back' '
	sql "update contacts set erased_at = 1, email = NULL where external_id = '\''D1'\''" &&
	printf "external_id,email\nD1,back@example.com\n" >erased.csv &&
	test_must_fail 3 crm-add erased.csv 2>err &&
	test_grep "erased.csv:2: contact 4 was erased" err
'

test_expect_success '--key email: an external_id another contact has is refused' '
	printf "external_id,email\nC1,bob@example.org\n" >steal.csv &&
	test_must_fail 3 crm-add --key email steal.csv 2>err &&
	test_grep "steal.csv:2: email .bob@example.org. belongs to contact 2 with external_id .C2., not .C1." err &&
	printf "external_id,email\nC1,lead2@example.com\n" >steal2.csv &&
	printf "email\nlead2@example.com\n" | crm-add &&
	test_must_fail 3 crm-add --key email steal2.csv 2>err &&
	test_grep "external_id .C1. belongs to contact 1, not to contact" err
'

test_expect_success '--key external_id requires one' '
	printf "external_id,email\n,k@example.com\n" >nokey.csv &&
	test_must_fail 3 crm-add --key external_id nokey.csv 2>err &&
	test_grep "nokey.csv:2: no external_id" err &&
	test_must_fail 2 crm-add --key phone nokey.csv
'

test_expect_success 'a record with neither external id nor email is refused' '
	printf "external_id,email,company\n,,Acme\n" >anon.csv &&
	test_must_fail 3 crm-add anon.csv 2>err &&
	test_grep "anon.csv:2: neither external_id nor email" err
'

test_expect_success 'a foreign SQLite file is refused' '
	sqlite3 other.db "create table t(x)" &&
	test_must_fail 1 crm-add -d other.db contacts.csv 2>err &&
	test_grep "other.db: not a crm database" err
'

test_expect_sqlite 'a database from a newer crm is refused' '
	cp crm.db newer.db &&
	sqlite3 newer.db "pragma user_version = 999" &&
	test_must_fail 1 crm-add -d newer.db contacts.csv 2>err &&
	test_grep "newer.db: schema version 999 is newer" err
'

# A re-import skips a record whose checksum the contact keeps (row_hash);
# everything else takes the full path, so the outcome is the same.
test_expect_success 're-import: an unchanged record is recognised by its checksum' '
	rm -f rh.db* &&
	crm-add -q -d rh.db contacts.csv &&
	test "$(sqlite3 rh.db "select count(*) from contacts where length(row_hash) = 16")" = 3 &&
	crm-add -d rh.db contacts.csv 2>err &&
	test_grep "3 read, 0 inserted, 0 updated, 3 unchanged" err
'

test_expect_success 're-import: a contact changed since is brought back to the file' '
	sqlite3 rh.db "update contacts set city = '\''Leeds'\'', owner = '\''x'\'' where external_id = '\''C1'\''" &&
	test "$(sqlite3 rh.db "select row_hash is null from contacts where external_id = '\''C1'\''")" = 1 &&
	crm-add -d rh.db contacts.csv 2>err &&
	test_grep "3 read, 0 inserted, 1 updated, 2 unchanged" err &&
	test "$(sqlite3 rh.db "select owner from contacts where external_id = '\''C1'\''")" = kim &&
	crm-add -d rh.db contacts.csv 2>err &&
	test_grep "3 read, 0 inserted, 0 updated, 3 unchanged" err
'

test_expect_success 're-import: other options or columns mean another checksum' '
	printf "external_id,phone\nR1,0800 123 456\n" >r1.csv &&
	crm-add -q -d rh.db -R GB r1.csv &&
	test "$(sqlite3 rh.db "select phone from contacts where external_id = '\''R1'\''")" = +44800123456 &&
	crm-add -d rh.db -R FR r1.csv 2>err &&
	test_grep "1 read, 0 inserted, 1 updated, 0 unchanged" err &&
	test "$(sqlite3 rh.db "select phone from contacts where external_id = '\''R1'\''")" = +33800123456 &&
	h1=$(sqlite3 rh.db "select hex(row_hash) from contacts where external_id = '\''R1'\''") &&
	printf "external_id,phone,tier\nR1,0800 123 456,\n" >r2.csv &&
	crm-add -d rh.db -R FR r2.csv 2>err &&
	test_grep "1 read, 0 inserted, 0 updated, 1 unchanged" err &&
	h2=$(sqlite3 rh.db "select hex(row_hash) from contacts where external_id = '\''R1'\''") &&
	test ${#h1} = 32 && test ${#h2} = 32 && test "$h1" != "$h2"
'

test_expect_success 're-import: a kept opt-out is reported every time' '
	printf "external_id,email_opt_in\nK1,no\n" >k0.csv &&
	printf "external_id,email_opt_in\nK1,yes\n" >k1.csv &&
	crm-add -q -d rh.db k0.csv &&
	crm-add -d rh.db k1.csv 2>err &&
	test_grep "kept 1 opt-out" err &&
	crm-add -d rh.db k1.csv 2>err &&
	test_grep "kept 1 opt-out" err &&
	test "$(sqlite3 rh.db "select email_opt_in from contacts where external_id = '\''K1'\''")" = 0
'

test_expect_success 'a file that is not a database is refused' '
	echo "hello" >text.db &&
	test_must_fail 1 crm-add -d text.db contacts.csv 2>err &&
	test_grep "text.db" err
'

test_expect_success 'usage errors exit 2; --help and --version exit 0' '
	test_must_fail 2 crm-add --bogus 2>err &&
	test_grep "^usage: crm-add" err &&
	crm-add --help >out &&
	test_grep "^usage: crm-add \[-HnqtV\]" out &&
	crm-add -V >out &&
	test_grep "^crm-add " out
'

test_expect_success 'a missing input file fails with exit 1 and writes nothing' '
	n=$(sql "select count(*) from audit") &&
	test_must_fail 1 crm-add nosuch.csv 2>err &&
	test_grep "nosuch.csv: No such file" err &&
	test "$(sql "select count(*) from audit")" = "$n"
'

test_expect_success 'every write run is audited' '
	crm-add -q m.csv &&
	test "$(sql "select program, counts from audit order by id desc limit 1")" = "crm-add|{\"read\":1,\"inserted\":0,\"updated\":0,\"unchanged\":1,\"rejected\":0,\"erased\":0}"
'

test_expect_success 'overlapping runs wait for each other; nothing lost' '
	rm -f par.db &&
	for i in 1 2 3 4 5 6; do
		awk -v p=$i "BEGIN { print \"external_id,email\"; for (j = 0; j < 300; j++) printf \"P%d-%d,p%d.%d@example.com\\n\", p, j, p, j }" >par$i.csv
	done &&
	for i in 1 2 3 4 5 6; do
		crm-add -q -d par.db par$i.csv &
	done &&
	fails=0 &&
	for i in 1 2 3 4 5 6; do wait %$i 2>/dev/null || fails=$((fails + 1)); done &&
	wait &&
	test $fails = 0 &&
	test "$(sqlite3 par.db "select count(*) from contacts")" = 1800
'

test_done
