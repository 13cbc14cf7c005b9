#!/bin/sh
# crm-forget (erasure, the erased list, replay) and crm-export --subject.
. "$(dirname "$0")/lib.sh"

cat >contacts.csv <<'CSV'
external_id,first_name,last_name,email,phone,country,email_opt_in,sms_opt_in,plan
C1,Zebulon,Quxworthy,zeb@quux.example,020 7946 0958,GB,yes,no,gold
C2,Ann,Lee,ann@example.com,+1 415 555 0134,US,no,,silver
C3,Zeb,Quxworthy,zq@old.example,07400 900123,GB,,,
C4,Ann,Lee-Twin,twin@example.com,,US,,,
CSV

cat >log.csv <<'CSV'
external_id,at,channel,kind,amount,product,note,ref
C1,2026-10-01,store,purchase,£19.99,Widget,Zebulon loved it,O1
C1,2026-10-02,email,email,,,,
C3,2026-10-02,phone,call,,,Quxworthy called,
C2,2026-10-03,web,visit,,,,
CSV

# The personal data of C1 and C3 (one person: C3 was merged into C1).
cat >secrets <<'EOF'
zebulon
quxworthy
zeb@quux.example
zq@old.example
2079460958
7400900123
EOF

# no_trace FILE...: none of the secrets in any of the files.
no_trace() {
	for f in "$@"; do
		[ -e "$f" ] || continue
		if grep -a -i -F -f secrets "$f" >/dev/null; then
			echo "personal data left in $f:" >&2
			grep -a -i -o -F -f secrets "$f" | sort | uniq -c >&2
			return 1
		fi
	done
}

db_ok() {
	test "$(sql "PRAGMA integrity_check")" = ok &&
	test -z "$(sql "PRAGMA foreign_key_check")"
}

# json FILE PATH: a value from a JSON document.
json() {
	sqlite3 :memory: "SELECT json_extract(CAST(readfile('$1') AS TEXT), '$2')"
}

test_expect_success 'set up: contacts, history, segments, campaigns, scores, a merge' '
	crm-add -q -R GB contacts.csv &&
	crm-log -q log.csv &&
	printf "external_id,email_opt_in\nC1,no\n" | crm-add -q &&
	sql "INSERT INTO segments (name, kind, created_at, updated_at)
		VALUES ('\''vip'\'', '\''list'\'', 0, 0);
	     INSERT INTO segment_members VALUES (1, 1), (1, 2), (1, 3);
	     INSERT INTO campaigns (name, channel, created_at)
		VALUES ('\''winback'\'', '\''email'\'', 0);
	     INSERT INTO campaign_members VALUES (1, 1, '\''target'\'', NULL, 0),
		(1, 2, '\''control'\'', NULL, NULL);
	     INSERT INTO models (kind, params, fitted_at)
		VALUES ('\''bgnbd'\'', '\''{\"r\":0.2}'\'', 0);
	     INSERT INTO scores (contact_id, model_id, p_alive, scored_at)
		VALUES (1, 1, 0.5, 0), (2, 1, 0.9, 0), (3, 1, 0.1, 0);
	     UPDATE contacts SET merged_into = 1 WHERE id = 3;
	     INSERT INTO merges (at, survivor_id, merged_id, score, before)
		VALUES (0, 1, 3, 0.9, '\''{\"email\":\"zq@old.example\"}'\'');
	     INSERT INTO audit (at, program, args)
		VALUES (0, '\''crm-log'\'', '\''crm-log -q zeb@quux.example.csv'\'')" &&
	db_ok
'

test_expect_success 'crm-export --subject: the person, merged records, consent, every table' '
	crm-export --subject zeb@quux.example >ada.json &&
	test "$(wc -l <ada.json)" = 1 &&
	test "$(json ada.json "\$.contact.external_id")" = C1 &&
	test "$(json ada.json "\$.contact.attrs.plan")" = gold &&
	test "$(json ada.json "\$.contact.created_at")" = 2026-11-01T12:00:00Z &&
	test "$(json ada.json "\$.merged_contacts[0].external_id")" = C3 &&
	test "$(json ada.json "\$.consent_events[#-1].granted")" = 0 &&
	test "$(json ada.json "\$.consent")" = "[{\"channel\":\"email\",\"purpose\":\"marketing\",\"granted\":false,\"at\":\"2026-11-01T12:00:00Z\",\"source\":\"<stdin>\"},{\"channel\":\"sms\",\"purpose\":\"marketing\",\"granted\":false,\"at\":\"2026-11-01T12:00:00Z\",\"source\":\"contacts.csv\"}]" &&
	test "$(json ada.json "\$.interactions[0].note")" = "Zebulon loved it" &&
	test "$(json ada.json "\$.interactions[2].note")" = "Quxworthy called" &&
	test "$(json ada.json "\$.segment_members[0].segment.name")" = vip &&
	test "$(json ada.json "\$.campaign_members[0].campaign.name")" = winback &&
	test "$(json ada.json "\$.scores[1].model.params.r")" = 0.2 &&
	test "$(json ada.json "\$.merges[0].before.email")" = zq@old.example
'

test_expect_success 'crm-export --subject: keys by id, merged record and phone name the same person' '
	crm-export -s C3 >c3.json &&
	crm-export -s "#1" >id.json &&
	CRM_REGION=GB crm-export -s "020 7946 0958" >phone.json &&
	test_cmp ada.json c3.json &&
	test_cmp ada.json id.json &&
	test_cmp ada.json phone.json
'

test_expect_success 'crm-export --subject: errors' '
	test_must_fail 3 crm-export -s nobody@example.com 2>err &&
	test_grep "no contact" err &&
	test_must_fail 2 crm-export -s C1 -c email 2>err &&
	test_grep "no columns, filters or format" err &&
	test_must_fail 2 crm-export -s C1 -f csv &&
	crm-export -s C1 -f json >/dev/null
'

test_expect_success 'usage errors exit 2; --help is the SYNOPSIS' '
	test_must_fail 2 crm-forget &&
	test_must_fail 2 crm-forget -l C1 &&
	test_must_fail 2 crm-forget -r -l &&
	test_must_fail 2 crm-forget --bogus C1 &&
	crm-forget --help >out &&
	sed "/^\$/,\$d; s/^usage: //; s/^  *//" out | tr -s " \n" "  " >got &&
	mandoc -T ascii "$TOP/man/crm-forget.1" | sed "s/.\x08//g" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		sed "s/^  *//" | tr -s " \n" "  " >want &&
	test_cmp want got
'

test_expect_success 'a key that names nobody, or several, erases nothing (exit 3)' '
	sql .dump >before.sql &&
	test_must_fail 3 crm-forget C1 nobody@example.com 2>err &&
	test_grep "no contact .nobody@example.com." err &&
	printf "external_id,email\nC9,ann@example.com\n" | crm-add -q &&
	test_must_fail 3 crm-forget ann@example.com 2>err &&
	test_grep "matches 2 contacts" err &&
	sql "DELETE FROM contacts WHERE external_id = '\''C9'\''; DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)" &&
	sql .dump >after.sql &&
	test_cmp before.sql after.sql
'

test_expect_success '--dry-run counts and writes nothing' '
	crm-forget -n zq@old.example 2>err &&
	test_grep "1 erased (2 records, 12 rows), 0 already erased (dry run" err &&
	sql .dump >after.sql &&
	test_cmp before.sql after.sql
'

test_expect_success 'a key of a merged record erases the whole person' '
	sql "SELECT count(*) FROM erased_subjects" >n && test "$(cat n)" = 0 &&
	crm-forget C3 2>err &&
	test_grep "1 erased (2 records, 12 rows), 0 already erased" err &&
	db_ok
'

test_expect_success 'nothing of them is left in the database, -wal or -shm' '
	no_trace "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm" &&
	test ! -s "$CRM_DB-wal"
'

test_expect_success 'tombstones: ids and erased_at only, every reference gone' '
	test "$(sql "SELECT id, external_id, first_name, email, phone, attrs,
		email_opt_in, do_not_contact, merged_into, stage, erased_at = created_at
		FROM contacts WHERE erased_at IS NOT NULL")" = "$(printf "1|||||||1||lead|1\n3|||||||1||lead|1")" &&
	for t in interactions consent_events segment_members campaign_members scores; do
		test "$(sql "SELECT count(*) FROM $t WHERE contact_id IN (1, 3)")" = 0 || return 1
	done &&
	test "$(sql "SELECT count(*) FROM merges")" = 0 &&
	test "$(sql "SELECT count(*) FROM interactions")" = 1 &&
	test "$(sql "SELECT group_concat(contact_id) FROM scores")" = 2 &&
	test "$(sql "SELECT external_id, email FROM contacts WHERE id = 2")" = "C2|ann@example.com"
'

test_expect_success 'the audit keeps a tag, not the key, and lost the email' '
	sql "SELECT args FROM audit WHERE program = '\''crm-forget'\''" >args &&
	grep -E "^crm-forget key:[0-9a-f]{16}$" args &&
	test "$(sql "SELECT args FROM audit WHERE args LIKE '\''%erased%'\''")" = "crm-log -q [erased].csv" &&
	test "$(sql "SELECT json_extract(counts, '\''\$.deleted.interactions'\'') FROM audit WHERE program = '\''crm-forget'\''")" = 3
'

test_expect_success 'the erased list: a salt and hashes, nothing readable' '
	crm-forget -l >list.csv &&
	test "$(head -1 list.csv)" = hash,erased_at &&
	test "$(grep -c "^salt:[0-9a-f]\{64\}," list.csv)" = 1 &&
	test "$(grep -c "^[0-9a-f]\{64\},2026-11-01T12:00:00Z$" list.csv)" = 6 &&
	no_trace list.csv
'

test_expect_success 'erased contacts stay erased: keys are "already erased", other programs refuse them' '
	crm-forget C1 zeb@quux.example "#3" "+44 7400 900123" 2>err &&
	test_grep "0 erased (0 records, 0 rows), 4 already erased" err &&
	test_must_fail 3 crm-export -s "#1" 2>err &&
	test_grep "contact 1 was erased" err &&
	test_must_fail 3 crm-log show "#3" 2>err &&
	test_grep "was erased" err &&
	no_trace "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm"
'

test_expect_success 'an email another contact keeps is named, not listed' '
	printf "external_id,first_name,email\nS1,Sam,shared@example.com\nS2,Sue,shared@example.com\n" |
		crm-add -q &&
	crm-forget S1 2>err &&
	test_grep "contact #6 still has an email or phone of an erased contact" err &&
	test "$(sql "SELECT email FROM contacts WHERE external_id = '\''S2'\''")" = shared@example.com &&
	crm-forget -r 2>err &&
	test "$(sql "SELECT count(*) FROM contacts WHERE external_id = '\''S2'\''")" = 1
'

test_expect_success 'replay: a backup restored after the erasure is erased again' '
	rm -f "$TRASH"/old.db* &&
	CRM_DB=$TRASH/old.db crm-add -q -R GB contacts.csv &&
	CRM_DB=$TRASH/old.db crm-log -q log.csv &&
	sqlite3 old.db "UPDATE contacts SET merged_into = 1 WHERE id = 3" &&
	crm-forget -l >erased.csv &&
	crm-forget -d old.db -r erased.csv 2>err &&
	test_grep "1 erased (2 records, 5 rows), 0 already erased, 8 listed" err &&
	no_trace old.db old.db-wal old.db-shm &&
	test "$(sqlite3 old.db "SELECT count(*) FROM erased_subjects")" = 8 &&
	test "$(sqlite3 old.db "SELECT group_concat(external_id) FROM contacts")" = C2,C4 &&
	crm-forget -d old.db -r erased.csv 2>err &&
	test_grep "0 erased (0 records, 0 rows), 0 already erased, 0 listed" err
'

test_expect_success 'imports leave out the records of erased people' '
	sql "SELECT count(*) FROM contacts" >n-before &&
	crm-add -R GB contacts.csv 2>err &&
	test_grep "4 read, 0 inserted, 0 updated, 2 unchanged, 0 rejected; skipped 2 records of erased people" err &&
	printf "email\nzq@old.example\n" | crm-add 2>err &&
	test_grep "1 read, 0 inserted, 0 updated, 0 unchanged, 0 rejected; skipped 1 record of erased" err &&
	crm-log log.csv 2>err &&
	test_grep "4 read, 0 inserted, 0 updated, 1 unchanged, 0 rejected; skipped 3 records of erased" err &&
	printf "phone,at,channel,kind\n+442079460958,2026-11-01,phone,call\n" |
		crm-log -R GB --create-missing 2>err &&
	test_grep "1 read, 0 inserted, 0 updated, 0 unchanged, 0 rejected; skipped 1 record of erased" err &&
	sql "SELECT count(*) FROM contacts" >n-after &&
	test_cmp n-before n-after &&
	test "$(sql "SELECT json_extract(counts, '\''$.erased'\'') FROM audit WHERE program = '\''crm-log'\'' ORDER BY id DESC LIMIT 1")" = 1 &&
	no_trace "$CRM_DB" "$CRM_DB-wal"
'

test_expect_success 'replay without a file finds a person an import brought back' '
	crm-add -q -R GB --allow-erased contacts.csv 2>err &&
	test "$(sql "SELECT count(*) FROM contacts WHERE external_id = '\''C1'\''")" = 1 &&
	crm-forget -r 2>err &&
	test_grep "2 erased" err &&
	no_trace "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm" &&
	db_ok
'

test_expect_success 'a bad list is bad data, nothing added' '
	printf "hash\nnot-a-hash\n" >bad.csv &&
	test_must_fail 3 crm-forget -r bad.csv 2>err &&
	test_grep "bad.csv:2: not an erased-subject hash" err &&
	printf "id\n1\n" >bad.csv &&
	test_must_fail 3 crm-forget -r bad.csv 2>err &&
	test_grep "no hash column" err
'

test_expect_success 'a reader holding old pages: exit 1, and a re-run completes the wipe' '
	printf "external_id,first_name,last_name,email\nR1,Rumpel,Stiltskin,rumpel@example.com\n" |
		crm-add -q &&
	rm -f reader.started &&
	{ (printf "BEGIN;\nSELECT count(*) FROM contacts;\n.shell touch reader.started\n"
	   sleep 3; echo COMMIT) | sqlite3 "$CRM_DB" >/dev/null & } &&
	i=0 && while [ ! -f reader.started ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done &&
	CRM_BUSY_TIMEOUT=1 test_must_fail 1 crm-forget R1 2>err &&
	test_grep "another program is reading the database" err &&
	wait &&
	crm-forget R1 2>err &&
	test_grep "1 already erased" err &&
	! grep -a -i rumpel "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm"
'

test_expect_success '--vacuum rebuilds the file' '
	printf "external_id,first_name,email\nV1,Vacuumed,vac@example.com\n" |
		crm-add -q &&
	crm-forget V1 --vacuum -q &&
	! grep -a -i vacuumed "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm" &&
	db_ok &&
	sql "SELECT args FROM audit ORDER BY id DESC LIMIT 1" >args &&
	grep -E "^crm-forget --vacuum -q key:[0-9a-f]{16}$" args
'

# Retention, on a database of its own.  CRM_NOW is 2026-11-01T12:00:00Z,
# so --retain 1y means before 2025-11-01T12:00:00Z.
CRM_DB=$TRASH/ret.db

cat >people.csv <<'CSV'
external_id,first_name,email
P1,Ann,ann@example.com
P2,Bob,bob@example.org
CSV

# Old rows: their subjects, notes and refs are the secrets here.
cat >old.csv <<'CSV'
external_id,at,channel,kind,direction,amount,currency,product,category,quantity,subject,note,status,closed_at,ref
P1,2024-03-01T10:00:00Z,store,purchase,in,19.99,EUR,Widget,Tools,2,Xyzzy order,Ophelia paid cash,,,ORD-OLD-4711
P2,2024-03-01T10:00:00Z,store,purchase,in,19.99,EUR,Widget,Tools,2,,,,,
P1,2025-06-01T09:00:00Z,phone,ticket,in,,,,,,Xyzzy broken,Ophelia was upset,closed,2025-06-02T09:00:00Z,
P2,2025-10-30T08:00:00Z,email,email,out,,,,,,,Ophelia newsletter,,,
CSV

cat >recent.csv <<'CSV'
external_id,at,channel,kind,amount,currency,product,note
P1,2026-10-01,web,purchase,5,EUR,Gadget,keep this note
CSV

printf 'xyzzy\nophelia\nord-old-4711\n' >ret-secrets

# no_old FILE...: none of the old rows' text in the files.
no_old() {
	for f in "$@"; do
		[ -e "$f" ] || continue
		if grep -a -i -F -f ret-secrets "$f" >/dev/null; then
			echo "old text left in $f:" >&2
			grep -a -i -o -F -f ret-secrets "$f" | sort | uniq -c >&2
			return 1
		fi
	done
}

# stats: crm-log stats without the contacts column, for comparison.
stats() {
	crm-log stats --as-of 2026-11-01 -w 1000 -f csv >out.pipe &&
	cut -d, -f1-6,8- <out.pipe
}

test_expect_success 'retention: set up a history over three years' '
	crm-add -q people.csv &&
	crm-log -q old.csv recent.csv &&
	test "$(sql "SELECT count(*) FROM interactions")" = 5 &&
	cat "$CRM_DB" "$CRM_DB-wal" | grep -a -q Ophelia &&
	stats >stats.before &&
	test "$(wc -l <stats.before)" = 5
'

test_expect_success 'retention: usage errors exit 2 and write nothing' '
	sql .dump >before.sql &&
	test_must_fail 2 crm-forget -k 0d 2>err &&
	test_grep "bad period .0d." err &&
	test_must_fail 2 crm-forget --retain 3x &&
	test_must_fail 2 crm-forget -b 2026-13-01 2>err &&
	test_grep "invalid date" err &&
	test_must_fail 2 crm-forget -b 2026-11-02 2>err &&
	test_grep "horizon 2026-11-02T00:00:00Z is in the future" err &&
	test_must_fail 2 crm-forget -k 1y -b 2025-01-01 &&
	test_must_fail 2 crm-forget -a &&
	test_must_fail 2 crm-forget -k 1y P1 &&
	test_must_fail 2 crm-forget -k 1y -l &&
	test_must_fail 2 crm-forget -k 1y -r &&
	sql .dump >after.sql &&
	test_cmp before.sql after.sql
'

test_expect_success 'retention: a dry run counts and writes nothing' '
	crm-forget -n -k 1y 2>err &&
	test_grep "^crm-forget: 4 interactions before 2025-11-01T12:00:00Z purged (dry run: nothing written)$" err &&
	crm-forget --dry-run --anonymise --retain 1y 2>err &&
	test_grep "^crm-forget: 4 interactions before 2025-11-01T12:00:00Z anonymised (dry run" err &&
	sql .dump >after.sql &&
	test_cmp before.sql after.sql
'

test_expect_success 'retention: all or nothing when a statement fails' '
	sql "CREATE TRIGGER no_delete BEFORE DELETE ON interactions
		BEGIN INSERT INTO no_such_table VALUES (1); END" &&
	sql .dump >before.sql &&
	test_must_fail 1 crm-forget -a -k 1y 2>err &&
	test_grep "no such table: main.no_such_table" err &&
	sql .dump >after.sql &&
	test_cmp before.sql after.sql &&
	sql "DROP TRIGGER no_delete"
'

test_expect_success 'retention: anonymise keeps the statistics and nothing personal' '
	max=$(sql "SELECT max(id) FROM interactions") &&
	crm-forget -a -k 1y 2>err &&
	test_grep "^crm-forget: 4 interactions before 2025-11-01T12:00:00Z anonymised$" err &&
	db_ok &&
	p=$(sql "SELECT id FROM contacts WHERE attrs = '\''{\"crm\":\"anonymised interactions\"}'\''") &&
	test "$(sql "SELECT first_name, email, do_not_contact, erased_at IS NOT NULL
		FROM contacts WHERE id = $p")" = "||1|1" &&
	sql "SELECT id > $max, contact_id = $p, datetime(at, '\''unixepoch'\''), channel,
		kind, direction, amount, currency, product, category, quantity,
		subject, note, status, closed_at IS NOT NULL, ref, source,
		created_at = updated_at, length(chash)
		FROM interactions ORDER BY at, id" >rows &&
	cat >expect <<-\EOF &&
	1|1|2024-03-01 10:00:00|store|purchase|in|19.99|EUR|Widget|Tools|2.0||||0|||1|16
	1|1|2024-03-01 10:00:00|store|purchase|in|19.99|EUR|Widget|Tools|2.0||||0|||1|16
	1|1|2025-06-01 09:00:00|phone|ticket|in||||||||closed|1|||1|16
	1|1|2025-10-30 08:00:00|email|email|out|||||||||0|||1|16
	0|0|2026-10-01 00:00:00|web|purchase||5.0|EUR|Gadget||||keep this note||0||recent.csv|1|16
	EOF
	test_cmp expect rows &&
	test "$(sql "SELECT count(DISTINCT chash) FROM interactions")" = 5 &&
	stats >stats.after &&
	test_cmp stats.before stats.after
'

test_expect_success 'retention: the old text is gone from the database and -wal' '
	no_old "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm" &&
	test ! -s "$CRM_DB-wal" &&
	grep -a -q "keep this note" "$CRM_DB"
'

test_expect_success 'retention: the audit records the run, the placeholder stays out' '
	sql "SELECT program, args, counts FROM audit ORDER BY id DESC LIMIT 1" >got &&
	echo "crm-forget|crm-forget -a -k 1y|{\"mode\":\"anonymise\",\"before\":1761998400,\"purged\":0,\"anonymised\":4}" >expect &&
	test_cmp expect got &&
	crm-export -c external_id >got &&
	printf "external_id\nP1\nP2\n" >expect &&
	test_cmp expect got &&
	crm-export -a -c id,attrs -f json >got &&
	test "$(sed -n 3p got)" = "{\"id\":3,\"attrs\":{\"crm\":\"anonymised interactions\"}}" &&
	crm-log show P1 -f csv >got &&
	test "$(wc -l <got)" = 2 &&
	test_grep "keep this note" got
'

test_expect_success 'retention: the placeholder has no preferred channel' '
	test "$(sql "SELECT count(*) FROM interactions WHERE direction = '\''in'\''
		AND contact_id = 3")" = 3 &&
	crm-log stats --preferred -f csv >got &&
	printf "id,external_id,email,preferred_channel,inbound,inbound_total\n" >expect &&
	test_cmp expect got
'

test_expect_success 'retention: running again changes nothing but the audit' '
	sql "SELECT * FROM interactions ORDER BY id" >before &&
	crm-forget -a -k 1y 2>err &&
	test_grep "^crm-forget: 0 interactions before" err &&
	sql "SELECT * FROM interactions ORDER BY id" >after &&
	test_cmp before after &&
	test "$(sql "SELECT count(*) FROM contacts")" = 3
'

test_expect_success 'retention: a re-import leaves the anonymised past alone' '
	crm-log old.csv recent.csv 2>err &&
	test_grep "5 read, 0 inserted, 0 updated, 5 unchanged, 0 rejected" err &&
	sql "SELECT * FROM interactions ORDER BY id" >after &&
	test_cmp before after &&
	no_old "$CRM_DB" "$CRM_DB-wal" &&
	printf "external_id,at,channel,kind\nP2,2025-01-01,web,visit\nP2,2026-01-01,web,visit\n" |
		crm-log 2>err &&
	test_grep "2 read, 1 inserted, 0 updated, 1 unchanged" err
'

test_expect_success 'retention: purge deletes what is older, anonymised or not' '
	crm-forget --before 2025-01-01 2>err &&
	test_grep "^crm-forget: 2 interactions before 2025-01-01T00:00:00Z purged$" err &&
	test "$(sql "SELECT count(*) FROM interactions WHERE at < 1735689600")" = 0 &&
	test "$(sql "SELECT count(*) FROM interactions")" = 4 &&
	test ! -s "$CRM_DB-wal" &&
	db_ok &&
	test "$(sql "SELECT json_extract(counts, '\''$.purged'\'') FROM audit ORDER BY id DESC LIMIT 1")" = 2
'

test_expect_success 'retention: an earlier horizon does not let old records back in' '
	crm-forget -q -b 2024-01-01 &&
	crm-log -q old.csv &&
	test "$(sql "SELECT count(*) FROM interactions")" = 4
'

test_expect_success 'retention: purge removes a note from the database and -wal' '
	printf "external_id,at,channel,kind,note\nP1,2026-06-01,chat,chat,Ophelia chatted\n" |
		crm-log -q &&
	cat "$CRM_DB" "$CRM_DB-wal" | grep -a -q Ophelia &&
	crm-forget -q -k 90d &&
	no_old "$CRM_DB" "$CRM_DB-wal" "$CRM_DB-shm" &&
	test "$(sql "SELECT count(*) FROM interactions")" = 1
'

test_expect_success 'retention: a database of schema 4 carries its horizon over from the audit' '
	h=$(sql "SELECT before FROM retention") &&
	test "$h" = "$(sql "SELECT max(json_extract(counts, '\''$.before'\'')) FROM audit WHERE program = '\''crm-forget'\''")" &&
	test "$(sql "SELECT mode FROM retention")" = purge &&
	v=$(sql "PRAGMA user_version") &&
	sqlite3 s4.db <"$DATA/schema5-emails.sql" &&
	sqlite3 s4.db "DROP TABLE retention; PRAGMA user_version = 4;
		INSERT INTO audit (at, program, args, counts) VALUES (1,
		'\''crm-forget'\'', '\''crm-forget -k 2y'\'',
		'\''{\"mode\":\"purge\",\"before\":1700000000,\"purged\":0,\"anonymised\":0}'\'')" &&
	printf "external_id,at,channel,kind\nU3,2020-01-01,web,visit\nU3,2026-01-01,web,visit\n" >s4.csv &&
	crm-log -q -d s4.db s4.csv &&
	test "$(sqlite3 s4.db "SELECT before || mode FROM retention")" = "1700000000purge" &&
	test "$(sqlite3 s4.db "PRAGMA user_version")" = "$v" &&
	test "$(sqlite3 s4.db "SELECT count(*) FROM interactions")" = 1
'

test_expect_success 'retention: pruning the audit log does not let old records back in' '
	h=$(sql "SELECT before FROM retention") &&
	sql "DELETE FROM audit WHERE program = '\''crm-forget'\''" &&
	crm-log -q old.csv recent.csv &&
	test "$(sql "SELECT count(*) FROM interactions WHERE at < $(sql "SELECT before FROM retention")")" = 0 &&
	crm-forget -q -b 2020-01-01 &&
	test "$(sql "SELECT before FROM retention")" = "$h"
'

test_expect_success 'retention: waits for a concurrent writer, then runs' '
	rm -f locked &&
	{ (printf "BEGIN IMMEDIATE;\n.shell touch locked\n"
	   sleep 2; echo COMMIT) | sqlite3 "$CRM_DB" >/dev/null & } &&
	i=0 && while [ ! -f locked ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done &&
	crm-forget -k 1d 2>err &&
	wait &&
	test_grep "^crm-forget: 1 interaction before 2026-10-31T12:00:00Z purged$" err &&
	test "$(sql "SELECT count(*) FROM interactions")" = 0
'

test_done
