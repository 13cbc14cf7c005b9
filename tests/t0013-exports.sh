#!/bin/sh
# Real exports in (issue 15): profiles, delimiters, encodings, maps, dates,
# orders, ambiguous keys, JSON lines, mailable exports.  The files in
# tests/data/exports are written here in each system's export format (see
# tests/data/README for where each header comes from); every value
# checked below is worked out by hand from them.
. "$(dirname "$0")/lib.sh"

X=$DATA/exports

test_expect_success 'HubSpot contacts: recognised, stages and owner mapped, created_at kept' '
	crm-add $X/hubspot-contacts.csv 2>err &&
	test_grep "^crm-add: hubspot contacts export" err &&
	test_grep "2 columns kept as attributes: Lead Status, State/Region" err &&
	test_grep "4 read, 4 inserted" err &&
	test "$(grep -c "kept as attributes" err)" = 1 &&
	test "$(sql "select external_id, stage, coalesce(owner, \"\"), country from contacts order by id")" = "$(printf "1501|lead|In\303\250s Moreau|FR\n1502|prospect|In\303\250s Moreau|US\n1503|customer||ES\n1504|lead||")" &&
	crm-export -c external_id,created_at,imported_at >out &&
	cat >expect <<-EOF &&
	external_id,created_at,imported_at
	1501,2024-03-12T09:14:00Z,2026-11-01T12:00:00Z
	1502,2024-03-15T14:30:00Z,2026-11-01T12:00:00Z
	1503,2023-11-02T08:05:00Z,2026-11-01T12:00:00Z
	1504,2024-05-01T00:00:00Z,2026-11-01T12:00:00Z
	EOF
	test_cmp expect out
'

test_expect_success 'HubSpot: Country/Region gives each phone its region' '
	test "$(sql "select phone from contacts where external_id in (1501, 1502) order by id")" = "$(printf "+33612345678\n+14155550101")"
'

test_expect_success 'a re-import of the same export changes nothing; -q is silent' '
	crm-add -q $X/hubspot-contacts.csv 2>err &&
	test ! -s err &&
	crm-add $X/hubspot-contacts.csv 2>err &&
	test_grep "4 read, 0 inserted, 0 updated, 4 unchanged" err
'

test_expect_success 'Salesforce contact and lead reports: US dates, account, owner' '
	crm-add $X/salesforce-contacts.csv $X/salesforce-leads.csv 2>err &&
	test_grep "salesforce contact report" err &&
	test_grep "salesforce lead report" err &&
	test "$(sql "select external_id, company, owner, stage, date(created_at, \"unixepoch\"), city, postcode from contacts where external_id like \"00%\" order by id")" = "$(printf "0035g00000AbCdEAAV|Brown Holdings|Dana Whit|lead|2024-03-07|London|SW1A 1AA\n0035g00000AbCdFAAV|Klein GmbH|Dana Whit|lead|2023-11-21|Berlin|10115\n00Q5g00000XyZaBEAV|Lee Bakery|Dana Whit|lead|2024-05-08|Austin|78701")" &&
	test "$(sql "select phone from contacts where external_id = \"0035g00000AbCdFAAV\"")" = "+49301234567"
'

test_expect_success 'Shopify customers: consent columns, default address' '
	crm-add $X/shopify-customers.csv 2>err &&
	test_grep "shopify customers export" err &&
	test "$(sql "select external_id, email_opt_in, sms_opt_in, street, city, country, postcode from contacts where external_id like \"71012%\" order by id")" = "$(printf "7101234567890|1|0|1 Rue de Rivoli|Paris|FR|75001\n7101234567891|0|1|2 Baker St|London|GB|NW1 6XE")" &&
	test "$(sql "select json_extract(attrs, \"\$.tags\") from contacts where external_id = \"7101234567890\"")" = "vip, newsletter"
'

test_expect_success 'Stripe customers: the whole name split, Created (UTC) kept' '
	crm-add $X/stripe-customers.csv 2>err &&
	test_grep "stripe customers export" err &&
	test "$(sql "select first_name, last_name, created_at from contacts where external_id like \"cus_%\" order by id")" = "$(printf "Jane|Doe|1701426000\nMar\303\255a Jos\303\251|Garc\303\255a|1707897605")"
'

test_expect_success 'an email of two contacts is refused with their ids, unless --ambiguous' '
	ids=$(sql "select group_concat(id, \", \") from (select id from contacts where email = \"jane.doe@example.com\" order by id)") &&
	test_must_fail 3 crm-add $X/mailchimp-subscribed.csv 2>err &&
	test_grep "jane.doe@example.com. matches 2 contacts (ids $ids); give an external_id, or --ambiguous newest|oldest" err &&
	test_must_fail 3 crm-add -r rej.csv $X/mailchimp-subscribed.csv 2>err &&
	test_grep "1 inserted, 0 updated, 0 unchanged, 1 rejected" err &&
	test_grep "matches 2 contacts (ids $ids)" rej.csv &&
	oldest=$(sql "select id from contacts where email = \"jane.doe@example.com\" order by created_at, id limit 1") &&
	crm-add -q --ambiguous oldest $X/mailchimp-subscribed.csv &&
	test "$(sql "select email_opt_in, country from contacts where id = $oldest")" = "1|FR" &&
	test "$(sql "select email_opt_in, country, created_at from contacts where email = \"new.reader@example.org\"")" = "1|US|1711965900"
'

test_expect_success 'a corrected rejects file goes back in; its reason column is ignored' '
	crm-add --ambiguous newest rej.csv 2>err &&
	test_grep "1 read, 0 inserted, 1 updated" err &&
	! grep -q "kept as attribute.*reason" err &&
	test "$(sql "select count(*) from contacts where json_extract(attrs, \"\$.reason\") is not null")" = 0
'

test_expect_success 'Mailchimp unsubscribed and cleaned: email consent withdrawn' '
	crm-add $X/mailchimp-unsubscribed.csv $X/mailchimp-cleaned.csv 2>err &&
	test_grep "mailchimp audience export (unsubscribed)" err &&
	test_grep "mailchimp audience export (cleaned)" err &&
	test "$(sql "select email, email_opt_in from contacts where email in (\"tom.baker@example.co.uk\", \"old.box@example.com\") order by email")" = "$(printf "old.box@example.com|0\ntom.baker@example.co.uk|0")"
'

test_expect_success 'Shopify orders: lines grouped by order, times with offsets to UTC' '
	crm-log --ambiguous oldest --create-missing $X/shopify-orders.csv 2>err &&
	test_grep "shopify orders export" err &&
	test_grep "5 read, 5 inserted" err &&
	test_grep "1 contact created" err &&
	sql "select ref, order_ref, strftime(\"%Y-%m-%dT%H:%M:%SZ\", at, \"unixepoch\"), coalesce(amount, \"\"), currency, product, quantity, channel, kind from interactions order by id" >out &&
	cat >expect <<-EOF &&
	#1001/1|#1001|2024-05-07T23:00:00Z|105.0|EUR|Matcha 100 g|2.0|web|purchase
	#1001/2|#1001|2024-05-07T23:00:00Z||EUR|Whisk|1.0|web|purchase
	#1002/1|#1002|2024-06-01T10:59:30Z|23.5|GBP|Matcha 50 g|1.0|web|purchase
	#1003/1|#1003|2024-06-02T12:59:00Z|30.0|USD|Matcha 100 g|1.0|web|purchase
	#1003/2|#1003|2024-06-02T12:59:00Z||USD|Bamboo scoop|3.0|web|purchase
	EOF
	test_cmp expect out &&
	crm-report -f text --as-of 2024-06-30 -w 91 >report &&
	test_grep "^  3 in the period" report &&
	test_grep "^  purchases: 3$" report &&
	test_grep "^  revenue: 105.00 EUR$" report &&
	crm-log --ambiguous oldest $X/shopify-orders.csv 2>err &&
	test_grep "5 read, 0 inserted, 0 updated, 5 unchanged" err
'

test_expect_success 'WooCommerce orders: one line per item, item totals' '
	crm-log --ambiguous oldest $X/woocommerce-orders.csv 2>err &&
	test_grep "woocommerce orders export" err &&
	test "$(sql "select ref, amount, product, quantity from interactions where order_ref in (\"812\", \"813\") order by id")" = "$(printf "812/1|18.0|Hojicha 80 g|1.0\n812/2|13.7|Sencha 100 g|1.0\n813/1|12.0|Tea towel|2.0")"
'

test_expect_success 'RFM frequency counts orders, not lines' '
	test_must_fail 3 crm-segment rfm --as-of 2024-07-01 2>err &&
	test_grep "purchases are in EUR and GBP" err &&
	printf "currency,date,rate\nGBP,2024-01-02,0.85\nUSD,2024-01-02,1.05\n" >rates.csv &&
	crm-segment -q rates rates.csv &&
	crm-segment rfm --currency EUR --as-of 2024-07-01 >rfm.csv &&
	# guest: 30.00 USD / 1.05 + 12.00 EUR = 28.57 + 12.00
	test "$(grep -c "" rfm.csv)" -gt 1 &&
	test "$(awk -F, "\$3 == \"jane.doe@example.com\" && \$5 > 0 { print \$5, \$6 }" rfm.csv)" = "2 136.70" &&
	test "$(awk -F, "\$3 == \"guest.buyer@example.net\" && \$5 > 0 { print \$5, \$6 }" rfm.csv)" = "2 40.57"
'

test_expect_success 'Zendesk tickets: statuses and Via channels mapped' '
	crm-log --ambiguous oldest $X/zendesk-tickets.csv 2>err &&
	test_grep "zendesk tickets export" err &&
	test "$(sql "select ref, channel, kind, direction, status, coalesce(strftime(\"%H:%M\", closed_at, \"unixepoch\"), \"\"), subject, category from interactions where kind = \"ticket\" order by ref")" = "$(printf "4711|web|ticket|in|closed|09:45|Where is my order?|question\n4712|email|ticket|in|open||Refund please|incident\n4713|phone|ticket|in|open||Callback|")"
'

test_expect_success 'Stripe payments: status as kind, customer by its Stripe id' '
	crm-log $X/stripe-payments.csv 2>err &&
	test_grep "stripe payments export" err &&
	test "$(sql "select i.ref, i.kind, i.amount, i.currency, c.external_id from interactions i join contacts c on c.id = i.contact_id where i.ref like \"ch_%\" order by i.ref")" = "$(printf "ch_3OaA1b2C3d4E5f6G|purchase|105.0|EUR|cus_PqR1a2B3c4D5e6\nch_3OaA1b2C3d4E5f6H|failed_payment|30.0|EUR|cus_PqR1a2B3c4D5e6")"
'

test_expect_success 'separators sniffed: semicolon, tab in a .txt, pipe, TSV on stdin' '
	printf "external_id;first_name;email\nS1;Sem;sem@example.com\n" >semi.csv &&
	printf "external_id\tfirst_name\temail\nS2;x\tTab\ttab@example.com\n" >tab.txt &&
	printf "external_id|first_name|email\nS3|Pipe|pipe@example.com\n" >pipe.csv &&
	crm-add -q semi.csv tab.txt pipe.csv &&
	printf "external_id\tfirst_name\nS4\tStdin\n" | crm-add -q &&
	test "$(sql "select external_id, first_name from contacts where external_id like \"S%\" order by id")" = "$(printf "S1|Sem\nS2;x|Tab\nS3|Pipe\nS4|Stdin")"
'

test_expect_success '--delimiter forces one; -d with a separator is a usage error' '
	printf "external_id;first_name\nS5;A,B\n" >forced.csv &&
	crm-add -q --delimiter ";" forced.csv &&
	test "$(sql "select first_name from contacts where external_id = \"S5\"")" = "A,B" &&
	test_must_fail 2 crm-add -d ";" semi.csv 2>err &&
	test_grep "for the field separator give --delimiter" err &&
	test ! -e ";"
'

test_expect_success 'a dry run creates no database file' '
	crm-add -n -d dry.db $X/hubspot-contacts.csv 2>err &&
	test_grep "4 inserted.*dry run" err &&
	test ! -e dry.db && test ! -e dry.db-wal &&
	crm-log -n -d dry2.db --create-missing $X/zendesk-tickets.csv 2>err &&
	test ! -e dry2.db
'

test_expect_success 'Windows-1252 detected and converted; --encoding names one' '
	printf "external_id;first_name;company\nW1;Ren\351e;Caf\351 \200 Bar\n" >cp.csv &&
	crm-add cp.csv 2>err &&
	test_grep "cp.csv: not UTF-8, read as CP1252" err &&
	test "$(sql "select first_name, company from contacts where external_id = \"W1\"")" = "$(printf "Ren\303\251e|Caf\303\251 \342\202\254 Bar")" &&
	printf "external_id,first_name\nW2,J\366rg\n" >l1.csv &&
	crm-add -q --encoding latin1 l1.csv &&
	test "$(sql "select first_name from contacts where external_id = \"W2\"")" = "$(printf "J\303\266rg")" &&
	test_must_fail 2 crm-add --encoding klingon l1.csv 2>err &&
	test_grep "unknown encoding" err
'

test_expect_success 'UTF-16 with a byte-order mark (Excel "Unicode Text")' '
	printf "external_id\tfirst_name\nU1\tZo\303\253\n" | iconv -f UTF-8 -t UTF-16 >u16.txt &&
	crm-add -q u16.txt &&
	test "$(sql "select first_name from contacts where external_id = \"U1\"")" = "$(printf "Zo\303\253")"
'

test_expect_success '--no-header with --columns' '
	printf "N1,Nora,nora@example.com\n" >nohead.csv &&
	crm-add -q --no-header --columns external_id,first_name,email nohead.csv &&
	test "$(sql "select first_name from contacts where external_id = \"N1\"")" = Nora &&
	test_must_fail 2 crm-add --no-header nohead.csv 2>err &&
	test_grep "needs --columns" err
'

test_expect_success '--map and --map-value for any other export' '
	printf "Kundennummer;Vorname;E-Mail;Phase;Geburtstag\nK1;Uwe;uwe@example.de;Interessent;24.12.1980\nK2;Ute;ute@example.de;Kunde;01.02.1975\n" >de.csv &&
	crm-add --map "Kundennummer=external_id,Vorname=first_name,Phase=stage,Geburtstag=birth_date" --map-value "stage:Interessent=prospect,Kunde=customer" de.csv 2>err &&
	test_grep "2 inserted" err &&
	test "$(sql "select external_id, stage, birth_date from contacts where external_id like \"K_\" order by id")" = "$(printf "K1|prospect|1980-12-24\nK2|customer|1975-02-01")" &&
	test_must_fail 2 crm-add --map "Nope=email" de.csv 2>err &&
	test_grep "has no column .Nope." err
'

test_expect_success 'decimal commas and day-first dates from a German Excel (crm-log)' '
	printf "E-Mail;Datum;Kanal;Art;Betrag;W\344hrung\nuwe@example.de;31.12.2024 13:45;store;purchase;1.234,56;EUR\nute@example.de;02.01.2025;store;purchase;9,90;EUR\n" >umsatz.csv &&
	cur=$(printf "W\303\244hrung") &&
	crm-log --decimal , --map "Datum=at,Kanal=channel,Art=kind,Betrag=amount,$cur=currency" umsatz.csv 2>err &&
	test_grep "read as CP1252" err &&
	test "$(sql "select strftime(\"%Y-%m-%dT%H:%M\", at, \"unixepoch\"), amount from interactions where channel = \"store\" order by at")" = "$(printf "2024-12-31T13:45|1234.56\n2025-01-02T00:00|9.9")"
'

test_expect_success 'an ambiguous day and month asks for --date-format' '
	printf "email,at,channel,kind\nuwe@example.de,03/04/2025,web,visit\n" >amb.csv &&
	test_must_fail 3 crm-log amb.csv 2>err &&
	test_grep "ambiguous day and month" err &&
	crm-log -q --date-format %d/%m/%Y amb.csv &&
	test "$(sql "select date(at, \"unixepoch\") from interactions where kind = \"visit\"")" = 2025-04-03
'

test_expect_success '--profile names one, a file, or none' '
	test_must_fail 2 crm-add --profile nosuch $X/hubspot-contacts.csv 2>err &&
	test_grep "unknown profile" err &&
	test_must_fail 2 crm-add --profile shopify-orders $X/hubspot-contacts.csv 2>err &&
	test_grep "is for crm-log" err &&
	crm-add -n --profile none $X/hubspot-contacts.csv 2>err;
	test $? = 3 && test_grep "invalid stage .Marketing Qualified Lead." err &&
	cat >my.profile <<-EOF &&
	# a shop of our own
	says   our shop export
	for    crm-add
	detect Kundennummer, Phase
	column Kundennummer = external_id
	column Vorname = first_name
	column Phase = stage
	column Geburtstag = birth_date
	value  stage: Interessent = prospect
	value  stage: Kunde = customer
	EOF
	crm-add -n --profile ./my.profile de.csv 2>err &&
	test_grep "our shop export" err &&
	mkdir profs && cp my.profile profs/ &&
	CRM_PROFILES=$PWD/profs crm-add -n de.csv 2>err &&
	test_grep "our shop export" err
'

test_expect_success 'JSON lines: crm-export -f json reads back in (a round trip)' '
	crm-export -f json >all.jsonl &&
	crm-add -q -d rt.db all.jsonl &&
	crm-export -c external_id,first_name,last_name,email,phone,stage,country,email_opt_in,attrs,created_at >a.csv &&
	crm-export -d rt.db -c external_id,first_name,last_name,email,phone,stage,country,email_opt_in,attrs,created_at >b.csv &&
	test_cmp a.csv b.csv &&
	printf "{\"email\":\"js@example.com\",\"first_name\":\"J\\\\u00e9r\\\\u00f4me\",\"stage\":null}\n\n{\"first_name\":\"Lin\",\"email\":\"lin@example.com\"}\n" | crm-add -q &&
	test "$(sql "select first_name, stage from contacts where email in (\"js@example.com\", \"lin@example.com\") order by id")" = "$(printf "J\303\251r\303\264me|lead\nLin|lead")"
'

test_expect_success 'crm-export --consent: only contacts with the address, each address once' '
	crm-export --consent email -c id,email >mail.csv &&
	test "$(sed 1d mail.csv | cut -d, -f2 | grep -c "^$")" = 0 &&
	test "$(sed 1d mail.csv | cut -d, -f2 | sort | uniq -d | wc -l)" = 0 &&
	test "$(grep -c "jane.doe@example.com" mail.csv)" = 1 &&
	printf "external_id,email,email_opt_in\nM1,dup@example.com,yes\nM2,DUP@example.com,yes\nM3,,yes\nM4,out@example.com,yes\nM5,out@example.com,no\n" >m.csv &&
	crm-add -q m.csv &&
	crm-export --consent email -c external_id,email >mail.csv &&
	test "$(grep "^M" mail.csv)" = "M1,dup@example.com"
'

test_done
