/*
 * t-rate - exchange rates: the ECB layout, lookups on days without a
 * rate, conversion through the base, currency decimals.  Figures worked
 * out by hand in the comments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "norm.h"
#include "rate.h"
#include "tap.h"

static char dir[] = "/tmp/t-rate.XXXXXX";

/* A UTC time on day ymd at noon. */
static int64_t
at(int y, int m, int d)
{
	return crm_days_from_civil(y, m, d) * 86400 + 43200;
}

int
main(void)
{
	struct crm_rate_import imp = { NULL, 0, 0, 0 };
	struct crm_error err;
	struct crm_rates *r;
	struct crm_db *db;
	char path[300], csv[300], cmd[300];
	double v = 0;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	snprintf(csv, sizeof(csv), "%s/eurofxref.csv", dir);
	if ((f = fopen(csv, "w")) == NULL)
		return 1;
	/* Newest first, a separator at the end of each line, N/A. */
	fputs("Date,USD,JPY,CYP,GBP,\n"
	    "2026-03-06,1.2000,150.00,N/A,0.85000,\n"
	    "2026-03-02,1.2500,160.00,N/A,0.80000,\n", f);
	fclose(f);
	db = crm_db_open(path, CRM_DB_CREATE, &err);
	ok(db != NULL, "database");
	ok(crm_rate_import(db, csv, &imp, &err) == 0 && imp.read == 6 &&
	    imp.changed == 6, "ECB layout: 6 rates");
	ok(crm_rate_import(db, csv, &imp, &err) == 0 && imp.read == 6 &&
	    imp.changed == 0, "again: nothing changes");
	r = crm_rates_load(db, &err);
	ok(r != NULL && crm_rates_count(r) == 6, "loaded");

	/* 125 USD on Tuesday 3 March: Monday's 1.25: 100 EUR. */
	ok(crm_rate_convert(r, 125, "USD", "EUR", at(2026, 3, 3), &v,
	    &err) == 0, "USD to EUR");
	is_num(v, 100, 1e-9, "at the day before's rate");
	/* Saturday 7 March: Friday's 150 JPY. */
	crm_rate_convert(r, 15000, "JPY", "EUR", at(2026, 3, 7), &v, &err);
	is_num(v, 100, 1e-9, "a weekend takes Friday's rate");
	/* EUR to JPY on the 6th: 70 * 150 = 10500. */
	crm_rate_convert(r, 70, "EUR", "JPY", at(2026, 3, 6), &v, &err);
	is_num(v, 10500, 1e-9, "from the base");
	/* Cross: 17 GBP on the 6th: 17 / 0.85 * 1.2 = 24 USD. */
	crm_rate_convert(r, 17, "GBP", "USD", at(2026, 3, 6), &v, &err);
	is_num(v, 24, 1e-9, "cross rate through the base");
	ok(crm_rate_convert(r, 1, "USD", "EUR", at(2026, 3, 1), &v,
	    &err) == -1 && err.code == CRM_EDATA &&
	    strstr(err.msg, "as early as 2026-03-01") != NULL,
	    "before the first rate: %s", err.msg);
	ok(crm_rate_convert(r, 1, "CHF", "EUR", at(2026, 3, 3), &v,
	    &err) == -1 && strstr(err.msg, "no rate for CHF in EUR on or"
	    " before 2026-03-03") != NULL, "no such currency: %s", err.msg);
	ok(crm_rate_convert(NULL, 5, "EUR", "EUR", 0, &v, &err) == 0 &&
	    v == 5, "same currency needs no rates");
	ok(crm_currency_decimals("JPY") == 0 &&
	    crm_currency_decimals("KWD") == 3 &&
	    crm_currency_decimals("EUR") == 2 &&
	    crm_currency_decimals(NULL) == 2, "decimals");
	ok(crm_currency_valid("EUR") && !crm_currency_valid("eur") &&
	    !crm_currency_valid("EURO") && !crm_currency_valid(""),
	    "codes");

	/* Long layout with a decimal comma, as a German spreadsheet. */
	if ((f = fopen(csv, "w")) == NULL)
		return 1;
	fputs("Währung;Datum;Kurs\nchf;02.03.2026;0,9500\n", f);
	fclose(f);
	ok(crm_rate_import(db, csv, &imp, &err) == 0 && imp.read == 1,
	    "long layout, German");
	crm_rates_free(r);
	r = crm_rates_load(db, &err);
	crm_rate_convert(r, 95, "CHF", "EUR", at(2026, 3, 4), &v, &err);
	is_num(v, 100, 1e-9, "0,9500 read as 0.95");
	crm_rates_free(r);
	crm_db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
