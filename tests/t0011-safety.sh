#!/bin/sh
# Data safety (issue 14): no output path is the database, writers decide
# inside their write transaction, Unicode e-mail keys, erasure in the
# audit, strict amounts, old dates, modes, read-only readers, messages.
. "$(dirname "$0")/lib.sh"

cat >good.csv <<'CSV'
external_id,first_name,last_name,email
G1,Ann,Lee,ann@example.com
G2,Bob,Ray,bob@example.com
CSV

cat >bad.csv <<'CSV'
external_id,first_name,email
B1,Cy,cy@example.com
B2,Di,not-an-email
CSV

# intact: the database is still a crm database holding G1 and G2 (and,
# on SQLite, a sound file).
intact() {
	{ [ -n "${CRM_TEST_PGHOST:-}" ] ||
	  test "$(sql "PRAGMA integrity_check")" = ok; } &&
	test "$(sql "SELECT external_id FROM contacts
		WHERE external_id LIKE 'G%' ORDER BY 1")" = "$(printf "G1\nG2")"
}

# --- 1. an output that is the database -------------------------------

test_expect_success 'set up' '
	crm-add -q good.csv && intact
'

test_expect_sqlite 'crm-add --rejects naming the database: exit 2, both paths named' '
	test_must_fail 2 crm-add -r "$CRM_DB" good.csv 2>err &&
	test_grep "rejects $CRM_DB: that is the database $CRM_DB" err &&
	test_must_fail 2 crm-add -r "$CRM_DB" bad.csv 2>err &&
	intact
'

test_expect_sqlite 'another spelling, a hard link, a symbolic link, the -wal and -shm' '
	ln crm.db hard.db && ln -s crm.db soft.db && mkdir sub &&
	for out in ./crm.db sub/../crm.db hard.db soft.db crm.db-wal \
	    ./crm.db-shm crm.db-journal; do
		test_must_fail 2 crm-add -r "$out" bad.csv 2>err &&
		test_grep "that is the database" err || return 1
	done &&
	test_must_fail 2 crm-log -r ./crm.db-wal bad.csv 2>err &&
	test_grep "write-ahead log $CRM_DB-wal" err &&
	test_must_fail 2 crm-ticket -r ./crm.db bad.csv 2>err &&
	test_grep "that is the database" err &&
	test_must_fail 2 crm-task -r hard.db bad.csv 2>err &&
	test_grep "that is the database" err &&
	intact
'

test_expect_sqlite 'crm-report -o and -s, crm-campaign -S' '
	test_must_fail 2 crm-report -o ./crm.db 2>err &&
	test_grep "output ./crm.db: that is the database" err &&
	test_must_fail 2 crm-report -s hard.db 2>err &&
	test_grep "state hard.db: that is the database" err &&
	test_must_fail 2 crm-campaign create c1 --channel email \
	    -S ./crm.db good.csv 2>err &&
	test_grep "suppressed ./crm.db: that is the database" err &&
	test "$(sql "SELECT count(*) FROM campaigns")" = 0 &&
	intact
'

test_expect_sqlite 'standard output appended to the database' '
	test_must_fail 2 crm-export >>crm.db 2>err &&
	test_grep "standard output: that is the database" err &&
	intact
'

test_expect_success 'a new database named as its own rejects file' '
	test_must_fail 2 crm-add -d new.db -r ./new.db good.csv 2>err &&
	test_grep "that is the database new.db" err &&
	! test -e new.db
'

test_expect_success 'other outputs still work' '
	crm-add -q -r rej.csv bad.csv; test $? = 3 &&
	test_grep not-an-email rej.csv &&
	crm-report -q -f text -o report.txt -s report.state &&
	test -s report.txt && test -s report.state
'

# --- 2. writers decide inside their write transaction ----------------

cat >old.csv <<'CSV'
external_id,at,channel,kind,ref
G1,2020-01-05,store,purchase,OLD1
G1,2020-02-05,store,purchase,OLD2
G2,2026-10-05,store,purchase,NEW1
CSV

# hold_write SECONDS SQL: run SQL in a write transaction, as a crm writer
# would (BEGIN IMMEDIATE on SQLite, the writers' advisory lock on
# PostgreSQL), holding it SECONDS before it commits; touches "locked"
# once it holds the lock.  Background it.
hold_write() {
	if [ -n "${CRM_TEST_PGHOST:-}" ]; then
		printf "%s\n" "BEGIN;" "SELECT pg_advisory_xact_lock(1668443441);" \
		    "$2" "\\! touch locked" "SELECT pg_sleep($1);" "COMMIT;" |
		psql -X -q -v ON_ERROR_STOP=1 -d "$CRM_DB" >/dev/null
	else
		sqlite3 -batch "$CRM_DB" "BEGIN IMMEDIATE; $2" \
		    ".shell touch locked" ".shell sleep $1" "COMMIT;" >/dev/null
	fi
}

# hold_purge SECONDS: as crm-forget --before 2026-01-01 would.
hold_purge() {
	hold_write "$1" "DELETE FROM interactions WHERE at < 1767225600;
		INSERT INTO retention (id, before, mode, set_at)
		VALUES (1, 1767225600, 'purge', 1767225600);"
}

test_expect_success 'crm-log waiting for the lock honours the purge committed meanwhile' '
	crm-log -q old.csv &&
	test "$(sql "SELECT count(*) FROM interactions")" = 3 &&
	rm -f locked && { hold_purge 2 & } &&
	while ! test -e locked; do sleep 0.1; done &&
	crm-log old.csv 2>err &&
	wait &&
	test "$(sql "SELECT min(ref) || max(ref) FROM interactions")" = NEW1NEW1
'

test_expect_success 'crm-add waiting for the lock adopts a lead committed meanwhile' '
	rm -f locked &&
	{ hold_write 2 "INSERT INTO contacts (email, created_at, updated_at)
		VALUES ('\''lead@example.com'\'', 0, 0);" & } &&
	while ! test -e locked; do sleep 0.1; done &&
	printf "external_id,email\nL1,lead@example.com\n" >lead.csv &&
	crm-add -q lead.csv &&
	wait &&
	test "$(sql "SELECT count(*) FROM contacts WHERE email = '\''lead@example.com'\''")" = 1 &&
	test "$(sql "SELECT external_id FROM contacts WHERE email = '\''lead@example.com'\''")" = L1
'

# --- 6. interactions before 1970 -------------------------------------

test_expect_success 'interactions before 1970 are stored, not dropped as unchanged' '
	crm-add -q -d old.db good.csv &&
	printf "external_id,at,channel,kind,ref\nG1,1969-07-20T20:17:40Z,other,note,MOON\nG1,1900-01-01,other,note,Y1900\n" >moon.csv &&
	crm-log -d old.db moon.csv 2>err &&
	test_grep "2 read, 2 inserted, 0 updated, 0 unchanged" err &&
	test "$(sqlite3 old.db "SELECT group_concat(at, \" \") FROM
		(SELECT at FROM interactions ORDER BY at)")" = "-2208988800 -14182940" &&
	crm-log -d old.db show G1 >show.csv &&
	test_grep "^1969-07-20T20:17:40Z,other,note" show.csv
'

# --- 5. malformed amounts --------------------------------------------

test_expect_success 'malformed amounts are errors with file:line:value, exit 3' '
	for a in "1,234,5" "1.2.3" "1..2" "1,,234" "1,234.5.6"; do
		printf "external_id,at,channel,kind,amount\nG1,2026-03-01,store,purchase,\"%s\"\n" "$a" >amt.csv &&
		test_must_fail 3 crm-log -d old.db amt.csv 2>err &&
		test_grep "^crm-log: amt.csv:2: invalid amount '\''$a'\''" err || return 1
	done &&
	test "$(sqlite3 old.db "SELECT count(*) FROM interactions")" = 2
'

test_expect_success 'well-formed grouping still reads' '
	printf "external_id,at,channel,kind,amount,ref\nG1,2026-03-01,store,purchase,\"1,234,567.89\",A1\nG1,2026-03-02,store,purchase,\"1.234,5\",A2\n" >amt.csv &&
	crm-log -q -d old.db amt.csv &&
	test "$(sqlite3 old.db "SELECT group_concat(amount, \" \") FROM
		(SELECT amount FROM interactions WHERE ref LIKE '\''A%'\'' ORDER BY ref)")" = "1234567.89 1234.5"
'

# --- 9. the uplift's interval and test at small counts ---------------

test_expect_success 'campaign report: 5 of 275 against 0 of 25, Newcombe and Fisher' '
	awk "BEGIN { print \"external_id,email,email_opt_in\";
		for (i = 1; i <= 300; i++) printf \"K%03d,k%03d@example.com,yes\n\", i, i }" >k.csv &&
	crm-add -q -d camp.db k.csv &&
	{ echo external_id,segment; sed "1d; s/,.*/,all/" k.csv; } >kt.csv &&
	crm-campaign create -q -d camp.db small -c email -H 0.0833334 --stratify kt.csv &&
	test "$(sqlite3 camp.db "SELECT count(*) FROM campaign_members WHERE grp = '\''control'\''")" = 25 &&
	CRM_NOW=2026-11-02 crm-campaign send -q -d camp.db small &&
	sqlite3 camp.db "SELECT c.external_id FROM campaign_members m JOIN contacts c
		ON c.id = m.contact_id WHERE grp = '\''target'\'' ORDER BY c.id LIMIT 5" >buyers &&
	{ echo external_id,at,channel,kind,amount,ref;
	  awk "{ print \$1 \",2026-11-05,web,purchase,10.00,S\" NR }" buyers; } >buys.csv &&
	crm-log -q -d camp.db buys.csv &&
	CRM_NOW=2027-01-01 crm-campaign report -q -d camp.db small >rep.csv &&
	sed -n 2p rep.csv >target.csv &&
	IFS=, read -r g r n s resp rate rev rpc up rel lo hi z p iv tst <target.csv &&
	test "$n,$resp,$iv,$tst,$p" = "275,5,newcombe,fisher,1" &&
	awk -v lo="$lo" -v hi="$hi" "BEGIN { exit !(lo < 0 && hi > 0) }"
'

# --- 3. Unicode email keys -------------------------------------------

# U+00C9 is E acute, U+00E9 e acute, U+0301 the combining acute accent.
EU=$(printf '\303\211')	# E acute
EL=$(printf '\303\251')	# e acute
EC=$(printf 'E\314\201')	# E + combining acute

test_expect_success 'every form of an address is one contact' '
	printf "external_id,email\nV1,${EU}LODIE@EXAMPLE.COM\n" >u1.csv &&
	crm-add -q -d uni.db u1.csv &&
	test "$(sqlite3 uni.db "SELECT email FROM contacts")" = "${EL}lodie@example.com" &&
	printf "email,first_name\n${EC}lodie@example.com,Elodie\n${EL}LODIE@example.com,Elodie\n" >u2.csv &&
	crm-add -d uni.db u2.csv 2>err &&
	test_grep "2 read, 0 inserted, 1 updated, 1 unchanged" err &&
	test "$(sqlite3 uni.db "SELECT count(*) FROM contacts")" = 1
'

test_expect_success 'after crm-forget no other form comes back' '
	crm-forget -q -d uni.db "${EL}lodie@example.com" &&
	printf "external_id,email\nV2,${EC}LODIE@EXAMPLE.COM\nV3,${EU}lodie@Example.com\n" >u3.csv &&
	crm-add -d uni.db u3.csv 2>err &&
	test_grep "0 inserted.*skipped 2 records of erased people" err &&
	printf "email,at,channel,kind\n${EC}lodie@example.com,2026-10-01,web,visit\n" >u4.csv &&
	crm-log -d uni.db --create-missing u4.csv 2>err &&
	test_grep "skipped 1 record of erased people" err &&
	test "$(sqlite3 uni.db "SELECT count(*) FROM contacts WHERE erased_at IS NULL")" = 0
'

test_expect_success 'zero-width and bidirectional controls in an address are refused' '
	for c in "\342\200\213" "\342\200\215" "\342\200\256" "\342\200\216" \
	    "\342\201\246" "\357\273\277"; do
		printf "external_id,email\nW1,ann${c}@example.com\n" >w.csv &&
		test_must_fail 3 crm-add -d uni.db w.csv 2>err &&
		test_grep "w.csv:2: invalid email .*invisible or control character" err ||
		return 1
	done
'

test_expect_success 'the migration re-keys stored addresses and merges nothing' '
	sqlite3 s5.db <"$DATA/schema5-emails.sql" &&
	crm-export -d s5.db -c external_id,email >s5.csv &&
	printf "external_id,email\nU1,${EL}lodie@example.com\nU2,${EL}lodie@example.com\nU3,ann@example.com\nU4,strasse@example.de\n" >expect &&
	test_cmp expect s5.csv &&
	test "$(sqlite3 s5.db "SELECT counts FROM audit WHERE program = '\''crm'\''")" = \
	    "{\"rekeyed\":3,\"collisions\":[[1,2]]}" &&
	printf "email,first_name\n${EU}LODIE@EXAMPLE.COM,X\n" >amb.csv &&
	test_must_fail 3 crm-add -d s5.db amb.csv 2>err &&
	test_grep "matches 2 contacts (ids 1, 2); give an external_id" err
'

# A1: the spelling erased before the upgrade; A2: upper case, whose key
# before Unicode keys was the same; A3, A4: lower case and decomposed, which
# crm before Unicode keys did not match either (the list holds only hashes).
test_expect_success 'people erased before the migration stay erased' '
	printf "external_id,email\nA1,\303\205sa@example.se\nA2,\303\205SA@EXAMPLE.SE\nA3,\303\245sa@example.se\nA4,A\314\212sa@example.se\nZ1,ZO\303\213@EXAMPLE.COM\n" >a.csv &&
	cp s5.db s5b.db &&
	crm-add -d s5.db a.csv 2>err &&
	test_grep "2 inserted.*skipped 3 records of erased people" err &&
	crm-forget -d s5b.db "$(printf "\303\205SA@EXAMPLE.SE")" 2>err &&
	test_grep "1 already erased" err &&
	crm-add -d s5b.db a.csv 2>err &&
	test_grep "0 inserted.*skipped 5 records of erased people" err
'

# --- 10. messages ----------------------------------------------------

test_expect_success 'a field over the limit names its column' '
	awk "BEGIN { printf \"external_id,email,note\nL2,l2@example.com,\";
		for (i = 0; i < 1100000; i++) printf \"x\"; print \"\" }" >big.csv &&
	test_must_fail 3 crm-add -d msg.db big.csv 2>err &&
	test_grep "big.csv:2: field 3 (note) is longer than 1048576 bytes" err
'

test_expect_success 'a write error names the file and errno, never the temporary name' '
	crm-add -q -d msg.db good.csv &&
	test_must_fail 1 crm-report -d msg.db -o /nonexistent/dir/r.html 2>err &&
	test_grep "^crm-report: /nonexistent/dir/r.html: No such file or directory$" err &&
	test_must_fail 1 crm-report -d msg.db -o /dev/full 2>err &&
	test_grep "^crm-report: /dev/full: write error: No space left on device$" err &&
	test_must_fail 1 crm-report -d msg.db -f text -o /dev/full 2>err &&
	test_grep "^crm-report: /dev/full: .*No space left on device$" err
'

test_expect_success '-d with an empty path is a usage error' '
	for p in crm-add crm-log crm-export crm-report crm-forget; do
		test_must_fail 2 $p -d "" </dev/null 2>err &&
		test_grep "^$p: --db: an empty path" err || return 1
	done
'

test_expect_success 'a negative schema version is not called newer' '
	cp msg.db neg.db && sqlite3 neg.db "PRAGMA user_version = -1" &&
	test_must_fail 1 crm-export -d neg.db 2>err &&
	test_grep "schema version -1 is not one crm writes" err &&
	! grep -q newer err
'

test_expect_success 'an attribute key with a double quote exports' '
	printf "external_id,\"we\"\"ird\"\nQ1,val\n" >q.csv &&
	crm-add -q -d msg.db q.csv &&
	crm-export -d msg.db -c "external_id,attr.we\"ird" >out.csv &&
	printf "external_id,\"attr.we\"\"ird\"\nG1,\nG2,\nQ1,val\n" >expect &&
	test_cmp expect out.csv
'

test_expect_success 'a missing input file: exit 1 in every program' '
	test_must_fail 1 crm-add -d msg.db nofile.csv &&
	test_must_fail 1 crm-log -d msg.db nofile.csv &&
	test_must_fail 1 crm-forget -d msg.db -r nofile.csv &&
	test_must_fail 1 crm-campaign -d msg.db create x -c email nofile.csv &&
	test_must_fail 1 crm-dedupe -d msg.db merge nofile.csv &&
	test_must_fail 1 crm-dedupe --input nofile.csv &&
	test_must_fail 1 crm-churn fit -m bgnbd --summaries nofile.csv &&
	test_must_fail 1 crm-segment -d msg.db rfm --map nofile.csv
'

# --- 4. erasure and the audit ----------------------------------------

test_expect_success 'erasure scrubs every value of the person from the audit, lists the rules' '
	printf "external_id,first_name,last_name,email,phone,street,country\nZQX9917,Quentin,Vorpalstein,qv@example.com,+442079460999,9 Jabber Lane,GB\nK2,Ann,Lee,ann@example.com,,,\n" >v.csv &&
	crm-add -q -d v.db v.csv &&
	crm-segment -q -d v.db save vorp -w "last_name = '\''Vorpalstein'\''" &&
	crm-segment -q -d v.db save zq -w "external_id = '\''ZQX9917'\'' or street = '\''9 Jabber Lane'\''" &&
	crm-segment -q -d v.db save anns -w "first_name = '\''Ann'\''" &&
	crm-segment -q -d v.db save quentinx -w "first_name = '\''Quentinx'\''" &&
	crm-forget -q -d v.db qv@example.com 2>err &&
	test_grep "segment vorp: its rule names an erased person" err &&
	test_grep "segment zq: its rule names an erased person" err &&
	! grep -q "segment anns" err && ! grep -q "segment quentinx" err &&
	sqlite3 v.db "SELECT args FROM audit" >audit &&
	! grep -i -e vorpalstein -e zqx9917 -e "jabber lane" -e qv@example -e 2079460999 audit &&
	test_grep "save vorp -w last_name = '\''\[erased\]'\''" audit &&
	test_grep "first_name = '\''Ann'\''" audit &&
	test_grep "first_name = '\''Quentinx'\''" audit &&
	test "$(sqlite3 v.db "SELECT rule FROM segments WHERE name = '\''vorp'\''")" = "last_name = '\''Vorpalstein'\''"
'

# --- 7. modes --------------------------------------------------------

test_expect_success '-wal and -shm are 0600 on a database restored 0644, with a warning' '
	crm-add -q -d src.db good.csv &&
	(umask 022 && sqlite3 src.db ".backup bk.db") &&
	test "$(stat -c %a bk.db)" = 644 &&
	rm -f fifo && mkfifo fifo &&
	{ (umask 022 && exec crm-add -d bk.db fifo 2>bk.err) & } &&
	exec 7>fifo &&
	sleep 1 &&
	stat -c "%n %a" bk.db-wal bk.db-shm >modes &&
	printf "external_id,email\nG9,g9@example.com\n" >&7 && exec 7>&- &&
	wait &&
	printf "bk.db-wal 600\nbk.db-shm 600\n" >expect &&
	test_cmp expect modes &&
	test_grep "warning: bk.db is readable by others (mode 0644); chmod 600 it" bk.err &&
	crm-add -q -d src.db good.csv 2>err && ! test -s err
'

# --- 8. a read-only database in a read-only directory ----------------

# as_reader CMD...: run CMD as a user without write access (nobody when
# the tests run as root, who may write anywhere).
as_reader() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	else
		"$@"
	fi
}

test_expect_success 'readers work on a read-only database in a read-only directory' '
	if [ "$(id -u)" = 0 ] && ! setpriv --reuid=nobody --regid=nogroup \
	    --clear-groups true 2>/dev/null; then
		echo "# skipped: cannot drop root privileges"; exit 0
	fi &&
	mkdir -p rodir && crm-add -q -d rodir/ro.db good.csv &&
	printf "external_id,at,channel,kind,ref\nG1,2026-10-01,web,visit,RO1\n" >ro.csv &&
	crm-log -q -d rodir/ro.db ro.csv &&
	! test -e rodir/ro.db-wal &&
	chmod 444 rodir/ro.db && chmod 555 rodir &&
	as_reader crm-export -q -d rodir/ro.db -c external_id >out.csv 2>err &&
	printf "external_id\nG1\nG2\n" >expect && test_cmp expect out.csv &&
	as_reader crm-log -q -d rodir/ro.db show G1 >show.csv 2>err &&
	test_grep "^2026-10-01T00:00:00Z,web,visit" show.csv &&
	as_reader crm-report -q -f text -d rodir/ro.db >report.txt 2>err &&
	test -s report.txt &&
	{ as_reader crm-add -q -d rodir/ro.db good.csv 2>err; test $? = 1; } &&
	test_grep "readonly database" err &&
	! test -e rodir/ro.db-wal && ! test -e rodir/ro.db-shm &&
	chmod 755 rodir && chmod 600 rodir/ro.db
'

# --- 11. the log after a failure -------------------------------------

test_expect_success 'a failed import leaves no log behind' '
	crm-add -q -d fail.db good.csv &&
	test_must_fail 3 crm-add -d fail.db bad.csv 2>err &&
	! test -e fail.db-wal && ! test -e fail.db-shm
'

test_expect_success 'an import that fills the disk empties its log again' '
	if ! unshare -m --propagation private true 2>/dev/null; then
		echo "# skipped: no private mount namespace"; exit 0
	fi &&
	awk "BEGIN { print \"external_id,first_name,last_name,email,note\";
		for (i = 0; i < 30000; i++)
		printf \"X%d,First%d,Last%d,u%d@example.com,a longer note to make the rows bigger %d\n\", i, i, i, i, i }" >full.csv &&
	mkdir -p small &&
	cat >full.sh <<-\EOF &&
	mount -t tmpfs -o size=3m tmpfs small || exit 77
	crm-add -q -d small/f.db good.csv || exit 1
	crm-add -q -d small/f.db full.csv 2>full.err
	echo "status $?"
	ls small
	df -k small | awk "NR == 2 { print (\$4 > 2500 ? \"space back\" : \"disk full\") }"
	EOF
	unshare -m --propagation private sh full.sh >full.out; rc=$? &&
	if [ $rc = 77 ]; then echo "# skipped: cannot mount"; exit 0; fi &&
	printf "status 1\nf.db\nspace back\n" >expect &&
	test_cmp expect full.out
'

test_done
