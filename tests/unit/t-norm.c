/* Unit tests for libcrm/norm: emails, phones, names, dates. */
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "tap.h"

static struct crm_buf b = CRM_BUF_INIT(4096);
static struct crm_error err;

static void
email(const char *in, const char *want)
{
	int rc = crm_norm_email(in, &b, &err);

	if (want == NULL)
		ok(rc < 0 && err.code == CRM_EDATA, "email '%s' refused (%s)",
		    in, err.msg);
	else
		is_str(rc == 0 ? crm_buf_str(&b) : err.msg, want, in);
}

static void
phone(const char *in, const char *region, const char *want, int want164)
{
	int e164 = -1, rc = crm_norm_phone(in, region, &b, &e164, &err);

	if (want == NULL) {
		ok(rc < 0, "phone '%s' refused (%s)", in, err.msg);
		return;
	}
	is_str(rc == 0 ? crm_buf_str(&b) : err.msg, want, in);
	ok(e164 == want164, "phone '%s' e164=%d", in, want164);
}

static void
dt(const char *in, long long want)
{
	int64_t t = 0;
	int rc = crm_norm_datetime(in, &t, &err);

	if (want == -1)
		ok(rc < 0, "date-time '%s' refused (%s)", in, err.msg);
	else
		ok(rc == 0 && t == want, "date-time '%s' = %lld (got %lld)",
		    in, want, (long long)t);
}

/* want_cur NULL: the amount must be refused (CRM_EDATA). */
static void
amount(const char *in, double want, const char *want_cur)
{
	char cur[4];
	double v = -1;
	int rc = crm_norm_amount(in, &v, cur, &err);

	if (want_cur == NULL)
		ok(rc < 0 && err.code == CRM_EDATA, "amount '%s' refused (%s)",
		    in, rc < 0 ? err.msg : "accepted");
	else
		ok(rc == 0 && v == want && strcmp(cur, want_cur) == 0,
		    "amount '%s' = %g %s (got %g %s)", in, want, want_cur, v,
		    rc == 0 ? cur : err.msg);
}

int
main(void)
{
	char d[11], ts[21];
	int64_t days;
	int v;

	email("  Ann.Lee@Example.COM ", "ann.lee@example.com");
	email("o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk");
	email("jörg@bücher.de", "jörg@bücher.de");
	email("bob@", NULL);
	email("@example.com", NULL);
	email("a@@example.com", NULL);
	/*
	 * Issue 14: one key for every form of the same address.  U+00C9
	 * (C3 89) and U+00E9 (C3 A9) are E and e with acute; "E" + U+0301
	 * (CC 81) is the decomposed form; NFC and case folding make all
	 * of them U+00E9.
	 */
	email("\xc3\x89LODIE@EXAMPLE.COM", "\xc3\xa9lodie@example.com");
	email("\xc3\x89lodie@example.com", "\xc3\xa9lodie@example.com");
	email("E\xcc\x81lodie@example.com", "\xc3\xa9lodie@example.com");
	email("e\xcc\x81LODIE@Example.Com", "\xc3\xa9lodie@example.com");
	/* Full folding: sharp s is "ss"; Greek final sigma is sigma. */
	email("STRA\xc3\x9f" "E@example.com", "strasse@example.com");
	email("\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91@example.gr",
	    "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1@example.gr");
	/* An IDN domain folds too, and stays in Unicode. */
	email("J\xc3\x96RG@B\xc3\x9c" "CHER.DE", "j\xc3\xb6rg@b\xc3\xbc" "cher.de");
	/* Invisible characters are refused: zero-width space U+200B,
	 * zero-width joiner U+200D, right-to-left override U+202E,
	 * left-to-right mark U+200E, first strong isolate U+2068, BOM
	 * U+FEFF, soft hyphen U+00AD, no-break space U+00A0, a C1 control
	 * U+0085 and private use U+E000. */
	email("ann\xe2\x80\x8b@example.com", NULL);
	email("an\xe2\x80\x8dn@example.com", NULL);
	email("\xe2\x80\xae" "moc.elpmaxe@nna", NULL);
	email("ann@exa\xe2\x80\x8emple.com", NULL);
	email("ann@\xe2\x81\xa8" "example.com", NULL);
	email("\xef\xbb\xbf" "ann@example.com", NULL);
	email("an\xc2\xadn@example.com", NULL);
	email("ann\xc2\xa0@example.com", NULL);
	email("ann\xc2\x85@example.com", NULL);
	email("ann\xee\x80\x80@example.com", NULL);
	email("ann\xff@example.com", NULL);
	/* The key before Unicode keys, for the erased list's old hashes. */
	ok(crm_norm_email_legacy(" \xc3\x89LODIE@EXAMPLE.COM ", &b, &err) == 0 &&
	    strcmp(crm_buf_str(&b), "\xc3\x89lodie@example.com") == 0,
	    "legacy key: ASCII lower-cased only");
	{
		char *k = crm_norm_email_rekey("E\xcc\x81lodie@example.com");

		is_str(k, "\xc3\xa9lodie@example.com", "rekey a stored address");
		free(k);
		k = crm_norm_email_rekey("odd\xe2\x80\x8b@example.com");
		is_str(k, "odd\xe2\x80\x8b@example.com",
		    "rekey keeps what it would refuse");
		free(k);
	}
	email("a@b@example.com", NULL);
	email("a..b@example.com", NULL);
	email(".a@example.com", NULL);
	email("a@example", NULL);
	email("a@-example.com", NULL);
	email("a@example-.com", NULL);
	email("a b@example.com", NULL);
	email("a@example.123", NULL);
	email("", NULL);

	phone("+44 20 7946 0958", NULL, "+442079460958", 1);
	phone("+44 (0)20 7946 0958", NULL, "+442079460958", 1);
	phone("0044 20 7946 0958", NULL, "+442079460958", 1);
	phone("020 7946 0958", "GB", "+442079460958", 1);
	phone("020 7946 0958", NULL, "02079460958", 0);
	phone("(415) 555-0134", "US", "+14155550134", 1);
	phone("1-415-555-0134", "US", "+14155550134", 1);
	phone("011 44 20 7946 0958", "US", "+442079460958", 1);
	phone("06 1234 5678", "IT", "+390612345678", 1);
	phone("030 1234567", "DE", "+49301234567", 1);
	phone("555-0134", "US", NULL, 0);
	phone("call me", NULL, NULL, 0);
	phone("+0 123 456 789", NULL, NULL, 0);
	phone("+1234567890123456", NULL, NULL, 0);
	phone("12", NULL, NULL, 0);
	ok(crm_norm_phone("0207", "ZZ", &b, &v, &err) < 0 &&
	    err.code == CRM_EUSAGE, "unknown region is a usage error");

	is_str(crm_norm_country(" gb "), "GB", "country gb");
	is_str(crm_norm_country("United Kingdom"), "GB", "country name");
	is_str(crm_norm_country("UK"), "GB", "country UK");
	is_str(crm_norm_country("Deutschland"), "DE", "country Deutschland");
	ok(crm_norm_country("Atlantis") == NULL, "unknown country");
	{
		/*
		 * Names in several languages, as iso-codes translates them
		 * (its iso_3166-1 catalogues), codes, and the few names ISO
		 * does not use.  Worked out by hand from ISO 3166-1.
		 */
		static const char *const t[][2] = {
			{ "Nigeria", "NG" }, { "NIGERIA", "NG" },
			{ "Niger", "NE" }, { "Ghana", "GH" }, { "Kenya", "KE" },
			{ "nga", "NG" }, { "GHA", "GH" }, { "ken", "KE" },
			{ "Deutschland", "DE" }, { "Allemagne", "DE" },
			{ "Alemania", "DE" }, { "Germania", "DE" },
			{ "Côte d'Ivoire", "CI" }, { "cote divoire", "CI" },
			{ "Ivory Coast", "CI" }, { "Elfenbenskusten", "CI" },
			{ "UK", "GB" }, { "U.K.", "GB" }, { "England", "GB" },
			{ "Royaume-Uni", "GB" }, { "Reino Unido", "GB" },
			{ "Vereinigtes Königreich", "GB" },
			{ "USA", "US" }, { "U.S.A.", "US" },
			{ "United States of America", "US" },
			{ "Estados Unidos", "US" }, { "États-Unis", "US" },
			{ "Japon", "JP" }, { "日本", "JP" }, { "Japan", "JP" },
			{ "Brasil", "BR" }, { "Brésil", "BR" },
			{ "Sudáfrica", "ZA" }, { "Südafrika", "ZA" },
			{ "Indien", "IN" }, { "Inde", "IN" },
			{ "中国", "CN" }, { "Chine", "CN" },
			{ "Nederland", "NL" }, { "Holland", "NL" },
			{ "Österreich", "AT" }, { "Schweiz", "CH" },
			{ "Suisse", "CH" }, { "España", "ES" },
			{ "South Korea", "KR" }, { "Russia", "RU" },
			{ "Российская Федерация", "RU" },
			{ "Bolivia, Plurinational State of", "BO" },
			{ "Bolivia", "BO" },
		};
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			if (t[i][1] == NULL)
				continue;
			is_str(crm_norm_country(t[i][0]), t[i][1], t[i][0]);
		}
		ok(crm_norm_country("Congo, The Democratic Republic of the") !=
		    NULL && strcmp(crm_norm_country("Congo, The Democratic"
		    " Republic of the"), "CD") == 0, "country DR Congo");
		ok(crm_norm_country("Virgin Islands") == NULL,
		    "ambiguous: British or U.S. Virgin Islands");
		ok(crm_norm_country("") == NULL && crm_norm_country("  ") ==
		    NULL, "blank country");
	}

	crm_norm_name("  José \t  María  ", &b, &err);
	is_str(crm_buf_str(&b), "José María", "name trimmed, spaces collapsed");
	crm_norm_name("Jose\xcc\x81", &b, &err);	/* e + combining acute */
	is_str(crm_buf_str(&b), "Jos\xc3\xa9", "name NFC");
	ok(crm_norm_name("caf\xe9", &b, &err) < 0, "name with invalid UTF-8");
	crm_buf_reset(&b);
	crm_norm_fold("  José  MÜLLER-Lüdenscheidt", &b, &err);
	is_str(crm_buf_str(&b), "jose muller ludenscheidt", "fold");
	crm_buf_reset(&b);
	crm_norm_fold("O'Brien, Zoë", &b, &err);
	is_str(crm_buf_str(&b), "obrien zoe", "fold apostrophe and diaeresis");
	crm_buf_reset(&b);
	crm_norm_fold("ﬁnn Straße", &b, &err);
	is_str(crm_buf_str(&b), "finn strasse", "fold ligature and sharp s");

	ok(crm_norm_date("2024-02-29", d, &err) == 0, "leap day");
	is_str(d, "2024-02-29", "date kept");
	ok(crm_norm_date("19800131", d, &err) == 0, "basic format");
	is_str(d, "1980-01-31", "basic format written extended");
	ok(crm_norm_date("2023-02-29", d, &err) < 0, "no leap day in 2023");
	ok(crm_norm_date("1900-02-29", d, &err) < 0, "no leap day in 1900");
	ok(crm_norm_date("2000-02-29", d, &err) == 0, "leap day in 2000");
	ok(crm_norm_date("2024-13-01", d, &err) < 0, "month 13");
	ok(crm_norm_date("2024-04-31", d, &err) < 0, "April 31");
	ok(crm_norm_date("2024-4-1", d, &err) < 0, "unpadded");
	ok(crm_norm_date("2024-01-01T00:00", d, &err) < 0,
	    "date-time is not a date");

	dt("1970-01-01", 0);
	dt("2026-11-01", 1793491200);
	dt("2026-11-01T12:00:00Z", 1793534400);
	dt("2026-11-01 12:00:00z", 1793534400);
	dt("2026-11-01T13:00:00+01:00", 1793534400);
	dt("2026-11-01T07:30-0430", 1793534400);
	dt("2026-11-01T14+02", -1);
	dt("2026-11-01T14:00+02", 1793534400);
	dt("2026-11-01T12:00:00.123456Z", 1793534400);
	dt("2026-11-01T12:00:00", 1793534400);
	dt("2016-12-31T23:59:60Z", 1483228799);
	dt("1970-01-01T01:00:00+01:00", 0);
	dt("2026-11-01T24:00:00Z", -1);
	dt("2026-11-01T12:60Z", -1);
	dt("2026-11-01T12:00+15:00", -1);
	dt("2026-11-01T12:00+01:60", -1);
	dt("2026-11-01T12:00 +01:00", -1);
	dt("2026-11-01T12:00:00.Z", -1);
	dt("2026-11-01X12:00", -1);
	dt("yesterday", -1);

	crm_format_time(1793534400, ts);
	is_str(ts, "2026-11-01T12:00:00Z", "format time");
	crm_format_time(-1, ts);
	is_str(ts, "1969-12-31T23:59:59Z", "format negative time");
	crm_format_time(0, ts);
	is_str(ts, "1970-01-01T00:00:00Z", "format the epoch");
	crm_format_time(253402300799, ts);
	is_str(ts, "9999-12-31T23:59:59Z", "format the last second of 9999");
	crm_format_time(253402300800, ts);
	is_str(ts, "0000-01-01T00:00:00Z", "year 10000 wraps to four digits");
	crm_format_time(-62198755200, ts);
	is_str(ts, "-001-01-01T00:00:00Z", "a year before 0 keeps its sign");
	crm_format_date(951782400, d);
	is_str(d, "2000-02-29", "format date");
	ok(crm_days_from_civil(2000, 3, 1) - crm_days_from_civil(2000, 2, 28)
	    == 2, "days across a leap day");

	ok(crm_norm_bool(" Yes ", &v, &err) == 0 && v == 1, "yes");
	ok(crm_norm_bool("F", &v, &err) == 0 && v == 0, "F");
	ok(crm_norm_bool("", &v, &err) == 0 && v == -1, "empty");
	ok(crm_norm_bool("maybe", &v, &err) < 0, "maybe refused");

	ok(crm_norm_days("90d", &days, &err) == 0 && days == 90, "90d");
	ok(crm_norm_days("2w", &days, &err) == 0 && days == 14, "2w");
	ok(crm_norm_days("1y", &days, &err) == 0 && days == 365, "1y");
	ok(crm_norm_days("30", &days, &err) == 0 && days == 30, "30");
	ok(crm_norm_days("3x", &days, &err) < 0, "3x refused");
	ok(crm_norm_days("d", &days, &err) < 0, "d refused");

	/* crm-log(1)'s table of examples. */
	amount("\xe2\x82\xac" "1.234,50", 1234.5, "EUR");
	amount("19.99 GBP", 19.99, "GBP");
	amount("-$5", -5, "USD");
	amount("CHF 1'234.50", 1234.5, "CHF");
	amount("12,5", 12.5, "");
	amount("1,234", 1234, "");
	amount("1,234,567", 1234567, "");
	amount("1.234", 1.234, "");
	amount("1.234.567", 1234567, "");
	amount("1 234,50", 1234.5, "");
	amount("1,234,567.89", 1234567.89, "");
	amount("0.5", 0.5, "");
	/* Issue 14: each of these was silently rescaled. */
	amount("1,234,5", 0, NULL);
	amount("1.2.3", 0, NULL);
	amount("1..2", 0, NULL);
	amount("1,,234", 0, NULL);
	amount("1,234.5.6", 0, NULL);
	/* Grouping in threes, one separator throughout. */
	amount("1234,567", 0, NULL);
	amount("1,23,456", 0, NULL);
	amount("1,234 567", 0, NULL);
	amount("1.234,5,6", 0, NULL);
	amount(",5", 0.5, "");
	amount("5,", 0, NULL);
	amount("1,234.", 0, NULL);

	ok(crm_utf8_valid("\xc3\xa9", 2), "valid 2-byte");
	ok(!crm_utf8_valid("\xc0\xaf", 2), "overlong refused");
	ok(!crm_utf8_valid("\xed\xa0\x80", 3), "surrogate refused");
	ok(!crm_utf8_valid("\xe2\x82", 2), "truncated refused");
	ok(crm_utf8_valid("\xf0\x9f\x98\x80", 4), "4-byte emoji");

	crm_buf_release(&b);
	return tap_done();
}
