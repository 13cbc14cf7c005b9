/*
 * rate.h - exchange rates: amounts are never added up across currencies.
 *
 * The table rates holds, per base currency, currency and day, how many
 * units of the currency one unit of the base buys (the European Central
 * Bank's convention: EUR 1 = USD 1.0921).  A finance team's export is
 * imported as it comes:
 *
 *  - wide, as the ECB's reference rates (eurofxref-hist.csv): a Date
 *    column, then one column per currency named by its ISO 4217 code,
 *    "N/A" or empty where there is no rate; the base is EUR unless told;
 *  - long: columns currency, date and rate (also as the ECB's data
 *    portal writes them: CURRENCY, TIME_PERIOD, OBS_VALUE), and
 *    optionally base (CURRENCY_DENOM); without it the base is as told.
 *
 * The separator is sniffed; in a file separated by ';' (a spreadsheet
 * saved in a German, French or Dutch locale) numbers take a decimal comma
 * ("1,0921") unless told otherwise.  Dates as conv.h reads them
 * (2026-01-05, 05.01.2026, ...).
 *
 * An amount is converted at the rate of its day, or when that day has no
 * rate (a weekend, a holiday) at the latest rate before it; without one
 * that early, the conversion fails and says which rate is missing.
 */
#ifndef CRM_RATE_H
#define CRM_RATE_H

#include <stdint.h>

#include "db.h"
#include "error.h"

/* The DDL of rates (a migration in db-schema.c). */
extern const char crm_rate_schema[];

struct crm_rate_import {
	const char *base;	/* NULL: EUR, or the file's base column */
	int decimal;		/* ',' or '.'; 0: ',' when ';' separates */
	int64_t read;		/* out: rates read */
	int64_t changed;	/* out: rates added or changed */
};

/*
 * Import the rates of path ("-": standard input) in the caller's
 * transaction.  A rate already stored for that base, currency and day is
 * replaced, so a re-run changes nothing.  CRM_EDATA names file and line
 * of a bad value.
 */
int crm_rate_import(struct crm_db *db, const char *path,
    struct crm_rate_import *imp, struct crm_error *err);

/* The rates in memory, for converting many amounts. */
struct crm_rates;

/* Load every rate (an empty table gives an empty set, not an error). */
struct crm_rates *crm_rates_load(struct crm_db *db, struct crm_error *err);
void crm_rates_free(struct crm_rates *r);

/* Number of rates loaded. */
size_t crm_rates_count(const struct crm_rates *r);

/*
 * amount in currency from on the UTC day of at, in currency to: *out.
 * from NULL or equal to to: unchanged.  Otherwise through a base that
 * both have a rate for (or are).  CRM_EDATA when a rate is missing: "no
 * rate for JPY in EUR on or before 2026-01-03".  r may be NULL (no
 * rates).
 */
int crm_rate_convert(const struct crm_rates *r, double amount,
    const char *from, const char *to, int64_t at, double *out,
    struct crm_error *err);

/* 1 if code is three letters A-Z. */
int crm_currency_valid(const char *code);

/*
 * Digits after the decimal point an amount in code is written with
 * (ISO 4217 minor units: 0 for JPY, KRW, ISK..., 3 for BHD, KWD..., else
 * 2; 2 for NULL).
 */
int crm_currency_decimals(const char *code);

#endif
