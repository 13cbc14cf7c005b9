#!/bin/sh
# crm-report: valid HTML and SVG, the other programs' numbers, empty
# sections, escaping, the state file, the text summary, the screenshot.
. "$(dirname "$0")/lib.sh"

# html_table ID FILE: the rows of table ID as TSV, tags, commas and
# percent signs stripped, entities decoded.
html_table() {
	sed -n "/<table id=\"$1\">/,/<\/table>/p" "$2" | grep '^<tr>' |
		sed -e 's/<\/t[dh]>/	/g' -e 's/<[^>]*>//g' -e 's/,//g' \
		    -e 's/%//g' -e 's/	*$//' -e "s/&#39;/'/g" -e 's/&quot;/"/g' \
		    -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
}

# html_ok FILE: the page parses as HTML (libxml2 knows no HTML5 tags, so
# "Tag ... invalid" is the one complaint allowed), the whole page is
# well-formed XML, and so is every <svg> taken out on its own.
html_ok() {
	if ! command -v xmllint >/dev/null 2>&1; then
		echo "# xmllint missing (libxml2-utils): HTML not checked"
		return 0
	fi
	xmllint --html --noout "$1" 2>"$1.err" || return 1
	if grep "error" "$1.err" | grep -v "Tag [a-z]* invalid" | grep .; then
		return 1
	fi
	xmllint --noout "$1" || return 1
	rm -f svg.*.svg
	awk '/^<svg /{ n++; f = 1 } f { print > ("svg." n ".svg") }
		/^<\/svg>/{ f = 0; close("svg." n ".svg") }' "$1"
	for s in svg.*.svg; do
		[ -e "$s" ] || break
		xmllint --noout "$s" || return 1
	done
}

# Six contacts and eight purchases (tests/data, as in t0005-segment.sh),
# a hostile name, tickets and a campaign.
cat >more.csv <<'CSV'
external_id,first_name,last_name,email,owner,email_opt_in
X<1>&,<script>alert(1)</script>,"O'Brien & ""Sons""",x@example.com,<b>boss</b>,yes
CSV
cat >tickets.csv <<'CSV'
external_id,at,channel,kind,status,closed_at,ref
A,2026-10-01T09:00Z,email,ticket,closed,2026-10-01T13:00Z,T1
A,2026-10-20T09:00Z,email,ticket,closed,2026-10-21T09:00Z,T2
B,2026-10-25T09:00Z,phone,ticket,open,,T3
B,2026-05-01T09:00Z,phone,ticket,open,,T4
X<1>&,2026-10-30T10:00Z,web,purchase,,,P1
CSV

test_expect_success 'an empty database: every section says it has no data' '
	: >empty.db &&
	crm-report -d empty.db --as-of 2026-11-01 >empty.html 2>err &&
	test_grep "5 of 5 sections without data" err &&
	html_ok empty.html &&
	test_grep "No contacts in the database" empty.html &&
	test_grep "No interactions from 2026-08-03 to 2026-11-01" empty.html &&
	test_grep "No purchases up to 2026-11-01" empty.html &&
	test_grep "No scores" empty.html &&
	test_grep "No campaign was sent" empty.html &&
	! grep -q "<svg" empty.html &&
	crm-report -q -d empty.db -f text --as-of 2026-11-01 >empty.txt &&
	test_grep "No contacts in the database" empty.txt &&
	test_grep "No scores" empty.txt
'

test_expect_success 'set up: contacts, purchases, tickets, scores, a campaign' '
	crm-add -q "$DATA/segment-contacts.csv" more.csv &&
	crm-log -q "$DATA/segment-purchases.csv" tickets.csv &&
	sql "INSERT INTO models (kind, params, fitted_at, calibration_end,
		unit) VALUES ('\''bgnbd'\'', '\''{}'\'', 1790000000, 1789000000,
		'\''week'\'')" &&
	sql "INSERT INTO scores (contact_id, model_id, p_alive,
		expected_purchases, horizon_days, expected_spend, clv,
		scored_at) SELECT id, 1, CASE external_id WHEN '\''D'\'' THEN 0.1
		WHEN '\''X<1>&'\'' THEN 0.2 WHEN '\''F'\'' THEN 0.3 ELSE 0.9 END,
		id * 0.5, 365, 10, id * 10.0, 1790000000 FROM contacts
		WHERE external_id <> '\''C'\''" &&
	printf "external_id\nA\nB\nD\nE\nF\nX<1>&\n" >targets.csv &&
	CRM_NOW=2026-10-15T12:00:00Z crm-campaign create -q -c email -H 0 \
		spring targets.csv &&
	CRM_NOW=2026-10-15T12:00:00Z crm-campaign send -q spring
'

test_expect_success 'the page is valid HTML, the page and every chart valid XML' '
	crm-report --as-of 2026-11-01 >r.html 2>err &&
	test_grep "0 of 5 sections without data" err &&
	html_ok r.html &&
	test $(grep -c "^<svg " r.html) -ge 12 &&
	test "$(grep "^<svg " r.html | grep -vc "role=\"img\"")" = 0 &&
	! grep -qi "<script\|javascript:\|src=\|url(\|href=\"[a-z]*:" r.html
'

test_expect_success 'names from the database are escaped' '
	! grep -q "<script>alert" r.html &&
	! grep -q "<b>boss" r.html &&
	test_grep "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien &amp; &quot;Sons&quot;" r.html &&
	test_grep "<td>X&lt;1&gt;&amp;</td><td>&lt;b&gt;boss&lt;/b&gt;</td>" r.html &&
	test_grep "&lt;b&gt;boss&lt;/b&gt;" r.html
'

test_expect_success 'segments and deciles equal crm-segment profit' '
	crm-segment profit --by rfm --as-of 2026-11-01 -f tsv >out.pipe &&
	<out.pipe tail -n +2 | cut -f1-7 >want &&
	html_table t-segments r.html | cut -f1,2,4-8 >got &&
	test_cmp want got &&
	crm-segment profit --by decile --as-of 2026-11-01 -f tsv >out.pipe &&
	<out.pipe tail -n +2 | cut -f1,2,5-7 >want &&
	html_table t-deciles r.html >got &&
	test_cmp want got &&
	crm-segment profit --by stage --as-of 2026-11-01 -f tsv >out.pipe &&
	<out.pipe tail -n +2 | cut -f1,2 | sort >want &&
	html_table t-stages r.html | cut -f1,2 | sort >got &&
	test_cmp want got &&
	crm-segment profit --by owner --as-of 2026-11-01 -f tsv >out.pipe &&
	<out.pipe tail -n +2 | cut -f1,2 | sed "s/^	/(none)	/" | sort >want &&
	html_table t-owners r.html | cut -f1,2 | sort >got &&
	test_cmp want got
'

test_expect_success 'data quality and consent count what SQL counts' '
	html_table t-quality r.html | cut -f2 | head -4 | tr "\n" " " >got &&
	sql "SELECT count(*) FILTER (WHERE email IS NULL),
		count(*) FILTER (WHERE phone IS NULL),
		count(*) FILTER (WHERE email IS NULL AND phone IS NULL),
		count(*) FILTER (WHERE do_not_contact = 1) FROM contacts
		WHERE merged_into IS NULL AND erased_at IS NULL" |
		tr "|\n" "  " >want &&
	test_cmp want got &&
	html_table t-consent r.html | head -1 >got &&
	sql "SELECT '\''email'\'', count(*) FILTER (WHERE email_opt_in = 1),
		count(*) FILTER (WHERE email_opt_in = 0),
		count(*) FILTER (WHERE email_opt_in IS NULL),
		count(*) FILTER (WHERE email_opt_in = 1 AND do_not_contact = 0
		AND email IS NOT NULL) FROM contacts
		WHERE merged_into IS NULL AND erased_at IS NULL" |
		tr "|" "	" >want0 &&
	awk -F"	" -v OFS="	" "{ print \$0, sprintf(\"%.1f\", 100 * \$5 / 7) }" want0 >want &&
	test_cmp want got
'

test_expect_success 'channel and ticket statistics equal crm-log stats' '
	crm-log stats --as-of 2026-11-02 -w 91 -f tsv >out.pipe &&
	tail -n +2 <out.pipe |
		cut -f2- | sed "s/	*$//" >want &&
	html_table t-stats r.html >got &&
	test_cmp want got &&
	crm-log stats --tickets --as-of 2026-11-02 -w 91 -f tsv >out.pipe &&
	<out.pipe tail -n +2 | sed "s/	*$//" >want &&
	html_table t-tickets r.html >got &&
	test_cmp want got &&
	test_grep "The same numbers as crm-log stats --as-of 2026-11-02 -w 91" r.html &&
	test_grep "<tr><th scope=\"row\">phone</th><td class=\"n\">2</td></tr>" r.html
'

test_expect_success 'campaigns equal crm-campaign report' '
	crm-campaign report -f tsv spring >rep 2>/dev/null &&
	awk -F"	" "\$1 == \"target\" { print \$3 \"	\" \$5 }" rep >want &&
	html_table t-campaigns r.html | cut -f4,5 >got &&
	test_cmp want got &&
	awk -F"	" "\$1 == \"suppressed\" { printf \"%s%s\", s, \$3; s = \"	\" }
		END { print \"\" }" rep >want &&
	html_table t-suppressed r.html | cut -f2- >got &&
	test_cmp want got
'

test_expect_success 'churn: the P(alive) bands and the customers at risk' '
	html_table t-palive r.html | cut -f1,2 | grep -v "	0$" >got &&
	printf "0.1-0.2\t1\n0.2-0.3\t1\n0.3-0.4\t1\n0.9-1\t3\n" >want &&
	test_cmp want got &&
	html_table t-risk r.html | cut -f1,3,5,6,9 >got &&
	crm-segment rfm --as-of 2026-11-01 -f tsv >out.pipe &&
	<out.pipe awk -F"	" -v OFS="	" "
		\$2 == \"D\" { print \$2, \$11, \$6, \"0.100\" }
		\$2 == \"F\" { print \$2, \$11, \$6, \"0.300\" }
		\$2 == \"X<1>&\" { print \$2, \$11, \$6, \"0.200\" }" |
		sort -t"	" -k3,3nr | awk "{ print NR \"	\" \$0 }" >want &&
	test_cmp want got
'

test_expect_success 'the text summary has the same numbers' '
	crm-report -q -f text --as-of 2026-11-01 >r.txt &&
	sed -n "/^SEGMENTS/,/top 10%/p" r.txt | sed "1,2d;\$d" |
		awk "{ n = substr(\$0, 3, 22); sub(/ +\$/, \"\", n);
		print n \"	\" \$(NF - 3) \"	\" \$(NF - 1) }" |
		tr -d , >got &&
	crm-segment profit --by rfm --as-of 2026-11-01 -f tsv >out.pipe &&
	tail -n +2 <out.pipe |
		cut -f1,2,5 >want &&
	test_cmp want got &&
	# New: C (no history), E and X<1>& (first interaction in the
	# period); A, B, D and F bought before 2026-08-03 (their history
	# came in with crm-log), so they are not new though added today.
	test_grep "^  7 contacts, 3 new in the period" r.txt &&
	test_grep "tickets: 3 opened in the period, 1 of them still open" r.txt &&
	test_grep "open tickets at the end: 2" r.txt &&
	test_grep "^  spring (email, sent 2026-10-15)" r.txt &&
	test_grep "^    X<1>&  *<script>alert(1)</script> O.Br  *0.00  0.20$" r.txt &&
	awk "length > 78 { print; bad = 1 } END { exit bad }" r.txt
'

test_expect_success 'the state file: first run, a later day, the same day again' '
	crm-report -q -s state --as-of 2026-10-01 >/dev/null &&
	test_grep "^crm-report-state 1 2026-10-01 -$" state &&
	test "$(stat -c %a state)" = 600 &&
	crm-report -q -s state --as-of 2026-11-01 >m1.html &&
	test_grep "Since the report for 2026-10-01" m1.html &&
	head -1 state | grep -q "^crm-report-state 1 2026-11-01 2026-10-01$" &&
	html_ok m1.html &&
	crm-report -q -s state --as-of 2026-11-01 >m2.html &&
	html_table t-flows m1.html >want &&
	html_table t-flows m2.html >got &&
	test_cmp want got &&
	test -s got &&
	cp state before &&
	crm-report -q -s state --as-of 2026-09-01 >m3.html &&
	test_grep "for a later day (2026-11-01)" m3.html &&
	test_cmp before state
'

test_expect_success 'a state file that is not one is refused, exit 3' '
	echo "hello" >bad.state &&
	test_must_fail 3 crm-report -q -s bad.state >/dev/null 2>err &&
	test_grep "not a crm-report state file" err &&
	test "$(cat bad.state)" = hello
'

test_expect_success '-o writes the file whole, mode 0600; failures leave it alone' '
	crm-report -q --as-of 2026-11-01 -o out.html &&
	test "$(stat -c %a out.html)" = 600 &&
	test_cmp r.html out.html &&
	test_must_fail 1 crm-report -q -o nodir/out.html 2>err &&
	test_grep "nodir/out.html" err &&
	test_must_fail 1 crm-report -q -d missing.db -o out.html 2>err &&
	test_cmp r.html out.html &&
	test ! -e missing.db
'

test_expect_success '-o to something not a regular file writes to it, never replaces it' '
	mkfifo pipe &&
	{ timeout 60 cat pipe >piped & } &&
	timeout 60 crm-report -q --as-of 2026-11-01 -o pipe &&
	wait &&
	test -p pipe &&
	test_cmp r.html piped &&
	: >linked.txt &&
	ln -s linked.txt link &&
	crm-report -q --as-of 2026-11-01 -f text -o link &&
	test -L link &&
	test_cmp r.txt linked.txt
'

test_expect_success 'periods: --since, months for long periods' '
	crm-report -q --since 2026-10-05 --as-of 2026-11-01 -f text >out.pipe &&
	<out.pipe head -1 >got &&
	echo "CRM report for 2026-11-01: 2026-10-05 to 2026-11-01 (28 days)" >want &&
	test_cmp want got &&
	crm-report -q --since 2025-11-01 --as-of 2026-11-01 >y.html &&
	html_ok y.html &&
	test_grep "Interactions per month by channel" y.html &&
	html_table t-volume y.html | cut -f1 | head -2 | tr "\n" " " >got &&
	test "$(cat got)" = "2025-11 2025-12 "
'

test_expect_success 'usage errors exit 2; --help is the SYNOPSIS' '
	test_must_fail 2 crm-report --format csv 2>/dev/null &&
	test_must_fail 2 crm-report --as-of yesterday 2>/dev/null &&
	test_must_fail 2 crm-report --since 2026-11-02 --as-of 2026-11-01 2>err &&
	test_grep "starts after it ends" err &&
	test_must_fail 2 crm-report -n 0 2>/dev/null &&
	test_must_fail 2 crm-report -t 2>/dev/null &&
	test_must_fail 2 crm-report extra 2>/dev/null &&
	crm-report --help >out &&
	sed "/^\$/,\$d; s/^usage: //; s/^  *//" out | tr -s " \n" "  " >got &&
	mandoc -T ascii "$TOP/man/crm-report.1" | sed "s/.\x08//g" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		sed "s/^  *//" | tr -s " \n" "  " >want &&
	test_cmp want got
'

test_expect_success 'the examples of the man page' '
	mkdir ex && cd ex &&
	export CRM_DB=$PWD/crm.db &&
	crm-add -q "$DATA/segment-contacts.csv" &&
	crm-log -q "$DATA/segment-purchases.csv" &&
	crm-report --as-of 2026-11-01 -o report.html 2>err &&
	echo "crm-report: as of 2026-11-01: 6 contacts, 4 interactions in 91 days, 2 of 5 sections without data" >want &&
	test_cmp want err &&
	crm-report -q -f text --as-of 2026-11-01 >out.pipe &&
	grep Champions <out.pipe >got &&
	echo "  Champions                         1    16.7%           170.00   20.0%" >want &&
	test_cmp want got &&
	crm-segment profit --by rfm --as-of 2026-11-01 >out.pipe &&
	grep Champions <out.pipe >got &&
	echo "Champions,1,1,3,170.00,0.2000,0.7882,56.67,170.00,,,,,," >want &&
	test_cmp want got
'

test_expect_success 'a screenshot with headless Chromium, where installed' '
	"$TOP/scripts/report-screenshot" --height 1200 r.html r.png >out &&
	if command -v chromium >/dev/null 2>&1; then
		test_grep "report-screenshot: .*r.png" out &&
		test "$(head -c 4 r.png | tail -c 3)" = PNG
	else
		test_grep skipped out
	fi
'

test_done
