#!/bin/sh
# crm-report, what changed (issue 26): the headline figures against the
# previous period and a year earlier, the summary built by rules, and the
# first screen of the page at 1280 and 390 pixels wide.
. "$(dirname "$0")/lib.sh"

# Five contacts, their created_at from the file; October 2026 is the
# period (31 days), 2026-08-31..2026-09-30 the previous one and
# 2025-10-01..2025-10-31 a year earlier (A's 2025-06-01 is the earliest
# record, so both are there).
cat >c.csv <<'CSV'
external_id,email,created_at
A,a@example.com,2025-06-01
B,b@example.com,2025-09-15
C,c@example.com,2026-09-10
D,d@example.com,2026-10-05
E,e@example.com,2026-10-20
CSV
cat >i.csv <<'CSV'
external_id,at,channel,kind,direction,amount,currency,status,closed_at,ref
B,2025-10-03T10:00Z,web,purchase,,90,EUR,,,Y1
A,2026-09-05T10:00Z,web,purchase,,200,EUR,,,P1
C,2026-09-12T10:00Z,web,purchase,,40,EUR,,,P2
B,2026-09-20T10:00Z,phone,ticket,in,,,open,,T1
A,2026-10-02T10:00Z,web,purchase,,100,EUR,,,N1
D,2026-10-06T10:00Z,store,purchase,,30,EUR,,,N2
B,2026-10-10T10:00Z,web,purchase,,50,EUR,,,N3
A,2026-10-12T10:00Z,email,ticket,in,,,closed,2026-10-13T10:00Z,T2
A,2026-10-15T10:00Z,email,email,in,,,,,E1
CSV

# By hand, period / previous / a year earlier:
#   contacts at the end      5 / 3 (A B C) / 2 (A B)
#   new contacts             2 (D E) / 1 (C) / 0
#   interactions             5 (N1-3, T2, E1) / 3 (P1, P2, T1) / 1 (Y1)
#   purchases                3 / 2 / 1
#   revenue EUR              180 / 240 / 90
#   open tickets at the end  1 (T1) / 1 (T1) / 0
#   campaigns sent           0 / 0 / 0
cat >want <<'EOF'
  contacts                           5  up 2 (+66.7%)       up 3 (+150.0%)
  new contacts                       2  up 1 (+100.0%)      up 2 (from none)
  interactions                       5  up 2 (+66.7%)       up 4 (+400.0%)
  purchases                          3  up 1 (+50.0%)       up 2 (+200.0%)
  revenue in EUR                180.00  down 60.00 (-25.0%) up 90.00 (+100.0%)
  open tickets at the end            1  unchanged           up 1 (from none)
  campaigns sent                     0  unchanged           unchanged
EOF

test_expect_success 'headline figures against the previous period and a year earlier' '
	crm-add -q c.csv && crm-log -q i.csv &&
	crm-report -q --since 2026-10-01 --as-of 2026-10-31 -f text >r.txt &&
	test_grep "^  previous period: 2026-08-31 to 2026-09-30$" r.txt &&
	test_grep "^  a year earlier : 2025-10-01 to 2025-10-31$" r.txt &&
	sed -n "/^  contacts  /,/^  campaigns sent/p" r.txt >got &&
	test_cmp want got &&
	! awk "length > 78" r.txt | grep .
'

# The relative changes on the previous period: new contacts +100%,
# interactions +66.7%, purchases +50%, revenue -25%: new contacts lead.
test_expect_success 'the summary: the largest move, overdue tasks' '
	crm-task add -q -O Kim "Call back" 2026-10-20 >id &&
	crm-report -q --since 2026-10-01 --as-of 2026-10-31 -f text >r.txt &&
	sed -n "/^SUMMARY/,/^$/p" r.txt >sum &&
	test_grep "^  - New contacts up 1 (+100.0%) on the previous period: 2 against 1\.$" sum &&
	test_grep "^  - 1 overdue task: Kim 1\.$" sum
'

# Segment moves and churn risk come from the state file: their numbers
# must be those of the movement table of the same page.
test_expect_success 'segment moves and churn risk agree with the movement table' '
	crm-report -q --since 2026-09-01 --as-of 2026-09-30 -s st -f text \
	    >/dev/null &&
	crm-report -q --since 2026-10-01 --as-of 2026-10-31 -s st -o r.html &&
	crm-report -q --since 2026-10-01 --as-of 2026-10-31 -s st -f text \
	    >r.txt &&
	sed -n "/<table id=\"t-movement\">/,/<\/table>/p" r.html |
	    grep "^<tr><th" |
	    sed -e "s/<\/t[dh]>/	/g" -e "s/<[^>]*>//g" -e "s/&#39;/'\''/g" \
	    >moves &&
	awk -F "	" "\$2 != \$3 { c = \$4 + 0; a = c < 0 ? -c : c;
	    if (a > best) { best = a; name = \$1; ch = \$4 } }
	    END { print name \" \" ch }" moves >biggest &&
	test_grep "Largest segment moves since 2026-09-30: $(cat biggest)" r.html &&
	awk -F "	" "/^(At Risk|Can.t Lose Them|About to Sleep)	/ {
	    b += \$2; n += \$3 } END { d = n - b;
	    print (d > 0 ? \"up\" : d < 0 ? \"down\" : \"unchanged\") \": \" n }" \
	    moves >risk &&
	test_grep "Churn risk $(cat risk) contacts in At Risk" r.html
'

test_expect_success 'the page: summary lines link to their sections, cards carry changes' '
	sed -n "/<section id=\"summary\">/,/<\/section>/p" r.html >sum.html &&
	grep -o "href=\"#[a-z-]*\"" sum.html | sed "s/href=\"#\(.*\)\"/\1/" |
	    sort -u >hrefs &&
	test -s hrefs &&
	while read id; do
		grep -q "id=\"$id\"" r.html || { echo "no #$id" >&2; exit 1; }
	done <hrefs &&
	test_grep "<b>180.00</b><span>revenue in EUR in the period</span><small class=\"down\">down 60.00 (-25.0%) on the previous</small><small class=\"up\">up 90.00 (+100.0%) on a year earlier</small>" r.html
'

# A shop whose records start inside the period has nothing to compare
# with: no change is made up.
test_expect_success 'no comparison before the data' '
	sed -e "/^[AB],2025/d" -e "s/^\([AB]\),.*,2025-.*/\1,\1@example.com,2026-10-01/" \
	    c.csv >c2.csv &&
	grep -v "^[ABC],2026-09\|^B,2025" i.csv >i2.csv &&
	crm-add -q -d new.db c2.csv && crm-log -q -d new.db i2.csv &&
	crm-report -q -d new.db --since 2026-10-01 --as-of 2026-10-31 \
	    -f text >n.txt &&
	test_grep "previous period: 2026-08-31 to 2026-09-30 (before the data: no comparison)" n.txt &&
	! grep -q "on the previous" n.txt &&
	crm-report -q -d new.db --since 2026-10-01 --as-of 2026-10-31 >n.html &&
	! grep -q "<small" n.html
'

# The morning mail: a MIME message that Python's email package reads
# back into the same text and HTML as -f text and -f html write.
test_expect_success '-f mail: multipart/alternative, text and HTML' '
	crm-report -q --as-of 2026-10-31 -f mail --to "Kim <kim@example.com>" \
	    --from "crm <crm@example.com>" --subject "Rapport für Oktober" \
	    -o m.eml &&
	crm-report -q --as-of 2026-10-31 -f text >m.txt &&
	crm-report -q --as-of 2026-10-31 -f html >m.html &&
	! awk "length > 998" m.eml | grep . &&
	python3 - <<-\EOF
	import email, email.policy, sys
	m = email.message_from_bytes(open("m.eml", "rb").read(),
	    policy=email.policy.default)
	assert not m.defects, m.defects
	assert m["To"] == "Kim <kim@example.com>", m["To"]
	assert m["From"] == "crm <crm@example.com>", m["From"]
	assert m["Subject"] == "Rapport f\u00fcr Oktober", m["Subject"]
	assert m.get_content_type() == "multipart/alternative"
	parts = list(m.iter_parts())
	assert [p.get_content_type() for p in parts] == ["text/plain",
	    "text/html"], parts
	assert all(not p.defects for p in parts)
	assert parts[0].get_content() == open("m.txt").read()
	html = parts[1].get_content()
	assert html == open("m.html").read()
	assert "<svg" in html
	open("part.html", "w").write(html)
	EOF
'

test_expect_success '-f mail: header options only with it, one line each' '
	test_must_fail 2 crm-report --to kim@example.com 2>err &&
	test_grep "are for -f mail" err &&
	test_must_fail 2 crm-report -f mail --to "kim@example.com
Bcc: all@example.com" 2>err &&
	test_grep "is not one line" err &&
	crm-report -q --as-of 2026-10-31 -f mail >m2.eml &&
	test_grep "^Subject: CRM report for 2026-10-31$" m2.eml &&
	! grep -q "^To:" m2.eml
'

# The whale curve (issue 24), from crm-segment profit's per-contact
# rows: five customers in EUR, phone calls costing 50 each (a cost file
# as crm-segment profit reads it).  Profit = revenue - calls x 50:
#   A 400, B 200, C 100, D 50 - 2 x 50 = -50, E 10 - 3 x 50 = -140;
#   all 510; the three profitable (60%) bring 700 = 137.3% of it, the
#   two others (40%) lose 190 = 37.3% of it.
# The curve after the top k twentieths, floor(5k/20) customers: 20% one
# (400, 78.4%), 40% two (600, 117.6%), 60% three (700, 137.3%), 80%
# four (650, 127.5%), 100% all (510, 100.0%).  F never bought.
test_expect_success 'the whale curve: cumulative profit, its sentence' '
	cat >wc.csv <<-\EOF &&
	external_id,email
	A,a@example.com
	B,b@example.com
	C,c@example.com
	D,d@example.com
	E,e@example.com
	F,f@example.com
	EOF
	cat >wi.csv <<-\EOF &&
	external_id,at,channel,kind,direction,amount,currency,ref
	A,2026-10-02T10:00Z,web,purchase,,400,EUR,W1
	B,2026-10-03T10:00Z,web,purchase,,200,EUR,W2
	C,2026-10-04T10:00Z,web,purchase,,100,EUR,W3
	D,2026-10-05T10:00Z,web,purchase,,50,EUR,W4
	E,2026-10-06T10:00Z,web,purchase,,10,EUR,W5
	D,2026-10-07T10:00Z,phone,call,in,,,W6
	D,2026-10-08T10:00Z,phone,call,in,,,W7
	E,2026-10-07T10:00Z,phone,call,in,,,W8
	E,2026-10-08T10:00Z,phone,call,in,,,W9
	E,2026-10-09T10:00Z,phone,call,in,,,W10
	F,2026-10-09T10:00Z,phone,call,in,,,W11
	EOF
	printf "what,key,cost,currency\nchannel,phone,50.00,EUR\n" >wcost.csv &&
	crm-add -q -d w.db wc.csv && crm-log -q -d w.db wi.csv &&
	crm-report -q -d w.db --as-of 2026-10-31 --costs wcost.csv -o w.html &&
	test_grep "<p>The top 60% of customers bring 137% of the profit, the bottom 40% lose 37% of it.</p>" w.html &&
	sed -n "/<table id=\"t-whale\">/,/<\/table>/p" w.html >wt &&
	test_grep "<tr><th scope=\"row\">20%</th><td class=\"n\">1</td><td class=\"n\">400.00</td><td class=\"n\">78.4%</td></tr>" wt &&
	test_grep "<tr><th scope=\"row\">40%</th><td class=\"n\">2</td><td class=\"n\">600.00</td><td class=\"n\">117.6%</td></tr>" wt &&
	test_grep "<tr><th scope=\"row\">60%</th><td class=\"n\">3</td><td class=\"n\">700.00</td><td class=\"n\">137.3%</td></tr>" wt &&
	test_grep "<tr><th scope=\"row\">80%</th><td class=\"n\">4</td><td class=\"n\">650.00</td><td class=\"n\">127.5%</td></tr>" wt &&
	test_grep "<tr><th scope=\"row\">100%</th><td class=\"n\">5</td><td class=\"n\">510.00</td><td class=\"n\">100.0%</td></tr>" wt &&
	xmllint --noout w.html &&
	crm-report -q -d w.db --as-of 2026-10-31 --costs wcost.csv -f text >w.txt &&
	tr "\n" " " <w.txt | sed "s/   */ /g" >w1 &&
	test_grep "The top 60% of customers bring 137% of the profit, the bottom 40% lose 37% of it." w1 &&
	crm-segment profit -d w.db --as-of 2026-10-31 --costs wcost.csv >wp.csv &&
	test_grep ",E,e@example.com,.*,-140.00$" wp.csv
'

test_expect_success 'the whale curve without costs is of revenue, and says so' '
	crm-report -q -d w.db --as-of 2026-10-31 -o w2.html &&
	test_grep "Cumulative revenue by customer (the whale curve)" w2.html &&
	test_grep "none costs more than they bring (no costs are known: the curve is of revenue)" w2.html
'

# Segment colours are pinned by name (the man page's list): two
# reports whose movement charts hold different sets of segments give
# each segment the colour of the list, whatever its rank.
cat >seg-colours <<'EOF'
Champions #009E73
Loyal #0072B2
Potential Loyalist #56B4E9
New #44AA99
Promising #999933
Need Attention #F0E442
About to Sleep #E69F00
At Risk #D55E00
Can&#39;t Lose Them #882255
Hibernating #CC79A7
Lost #000000
No purchases #BBBBBB
EOF
test_expect_success 'segment colours pinned by name across two reports' '
	crm-report -q -d w.db -s wst --as-of 2026-10-03 -o /dev/null &&
	crm-report -q -d w.db -s wst --as-of 2026-10-31 -o w3.html &&
	for f in r.html w3.html; do
		sed -n "/<h3 id=\"movement\">/,/<\/svg>/p" $f |
		    awk "/text-anchor=\"end\">/ { sub(/.*\">/, \"\");
			sub(/<\/text>.*/, \"\"); name = \$0; next }
			/^<rect/ && name != \"\" { sub(/.*fill=\"/, \"\");
			sub(/\".*/, \"\"); print name \" \" \$0 }
			{ name = \"\" }" >$f.cols || exit 1
	done &&
	test -s r.html.cols && test -s w3.html.cols &&
	! cmp -s r.html.cols w3.html.cols &&
	cat r.html.cols w3.html.cols | sort -u >cols &&
	while read line; do
		grep -qx "$line" seg-colours ||
		    { echo "not pinned: $line" >&2; exit 1; }
	done <cols
'

# Looked at, not only parsed: Chromium lays the page out in frames 1280
# and 390 pixels wide (a phone); nothing may be wider than the frame,
# and at 1280 the summary and the cards end within the first 800 pixels.
browser=
for b in chromium chromium-browser; do
	command -v "$b" >/dev/null 2>&1 && { browser=$b; break; }
done
if [ -z "$browser" ]; then
	test_skip 'the first screen at 1280 and 390 pixels' 'chromium is not installed (scripts/deps installs it)'
else
test_expect_success 'the first screen at 1280 and 390 pixels' '
	cat >frame.html <<-EOF &&
	<!DOCTYPE html><html><body style="margin:0">
	<iframe id="w" src="r.html" style="width:1280px;height:800px;border:0"></iframe>
	<iframe id="p" src="r.html" style="width:390px;height:844px;border:0"></iframe>
	<script>
	var left = 2, out = [];
	function measure(f) {
		var d = f.contentWindow.document, e = d.documentElement;
		var k = d.querySelector(".kpis").getBoundingClientRect();
		out.push(f.id + " scroll=" + e.scrollWidth + " client=" +
		    e.clientWidth + " cards=" + Math.round(k.bottom));
		if (--left == 0)
			document.body.setAttribute("data-m", out.sort().join(";"));
	}
	document.getElementById("w").onload = function () { measure(this); };
	document.getElementById("p").onload = function () { measure(this); };
	</script></body></html>
	EOF
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
	    --hide-scrollbars --allow-file-access-from-files \
	    --user-data-dir="$TRASH/profile" --window-size=1700,900 \
	    --virtual-time-budget=5000 --dump-dom "file://$TRASH/frame.html" \
	    >dom 2>/dev/null &&
	grep -o "data-m=\"[^\"]*\"" dom >m &&
	cat m &&
	sed "s/.*\"p scroll=\([0-9]*\) client=\([0-9]*\) cards=[0-9]*;w scroll=\([0-9]*\) client=\([0-9]*\) cards=\([0-9]*\)\"/\1 \2 \3 \4 \5/" m >nums &&
	read ps pc ws wc cards <nums &&
	test "$pc" = 390 && test "$ps" -le "$pc" &&
	test "$wc" = 1280 && test "$ws" -le "$wc" &&
	test "$cards" -le 800 &&
	"$TOP/scripts/report-screenshot" --height 1200 part.html part.png &&
	test -s part.png
'
fi

test_done
