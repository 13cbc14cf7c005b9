/*
 * rate.c - exchange rates: import, lookup, conversion (rate.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conv.h"
#include "csvio.h"
#include "norm.h"
#include "rate.h"

const char crm_rate_schema[] =
	"CREATE TABLE rates ("
	"  base TEXT NOT NULL,"
	"  currency TEXT NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  rate REAL NOT NULL CHECK (rate > 0),"
	"  PRIMARY KEY (base, currency, day)"
	") WITHOUT ROWID;";

int
crm_currency_valid(const char *code)
{
	return code != NULL && isupper((unsigned char)code[0]) &&
	    isupper((unsigned char)code[1]) &&
	    isupper((unsigned char)code[2]) && code[3] == '\0';
}

int
crm_currency_decimals(const char *code)
{
	/* ISO 4217 minor units other than 2, of currencies in use. */
	static const char zero[] = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF"
	    " UGX UYI VND VUV XAF XOF XPF";
	static const char three[] = "BHD IQD JOD KWD LYD OMR TND";

	if (!crm_currency_valid(code))
		return 2;
	if (strstr(zero, code) != NULL)
		return 0;
	if (strstr(three, code) != NULL)
		return 3;
	return 2;
}

/* Import */

/* A number with decimal as its separator, positive and finite. */
static int
parse_rate(const char *s, int decimal, struct crm_buf *tmp, double *out,
    struct crm_error *err)
{
	char *end;

	crm_buf_reset(tmp);
	if (crm_conv_decimal(s, decimal, tmp, err) < 0)
		return -1;
	*out = strtod(crm_buf_str(tmp), &end);
	if (end == crm_buf_str(tmp) || *end != '\0' || !isfinite(*out) ||
	    *out <= 0)
		return crm_error_set(err, CRM_EDATA, "not a rate");
	return 0;
}

static int
put_rate(struct crm_db *db, struct crm_stmt *st, const char *base,
    const char *cur, int64_t day, double rate, struct crm_rate_import *imp,
    struct crm_error *err)
{
	if (crm_db_bind_text(db, st, 1, base, err) < 0 ||
	    crm_db_bind_text(db, st, 2, cur, err) < 0 ||
	    crm_db_bind_int(db, st, 3, day, err) < 0 ||
	    crm_db_bind_double(db, st, 4, rate, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	crm_db_reset(st);
	imp->read++;
	imp->changed += crm_db_changes(db);
	return 0;
}

/* The bad value of the current record, as every importer says it. */
static int
bad(const struct crm_csv *r, const char *what, const char *v,
    struct crm_error *err)
{
	return crm_error_set(err, CRM_EDATA, "%s:%ld: %s '%s'",
	    crm_csv_name(r), crm_csv_line(r), what, v);
}

int
crm_rate_import(struct crm_db *db, const char *path,
    struct crm_rate_import *imp, struct crm_error *err)
{
	static const struct crm_csv_col cc[] = {
		{ "currency", "waehrung|währung|code|curr" },
		{ "date", "time_period|day|datum|valid_from|as_of" },
		{ "rate", "obs_value|kurs|value|exchange_rate" },
		{ "base", "currency_denom|basis|base_currency" },
	};
	struct crm_buf tmp = CRM_BUF_INIT(1 << 10);
	struct crm_csv *r;
	struct crm_stmt *st;
	int ci[4], decimal, rc = -1, step;
	char base[4], cur[4];
	size_t i, nc;

	imp->read = imp->changed = 0;
	snprintf(base, sizeof(base), "%s", imp->base ? imp->base : "EUR");
	if (!crm_currency_valid(base))
		return crm_error_set(err, CRM_EUSAGE, "base currency: '%s' is"
		    " not an ISO 4217 code such as EUR", imp->base);
	if ((r = crm_csv_open(path, CRM_CSV_TRAILING, err)) == NULL)
		return -1;
	if (crm_csv_header(r, NULL, 0, NULL, err) < 0)
		goto done;
	decimal = imp->decimal ? imp->decimal :
	    crm_csv_delim(r) == ';' ? ',' : '.';
	nc = crm_csv_ncols(r);
	for (i = 0; i < 4; i++)
		ci[i] = crm_csv_find_col(r, &cc[i], 0);
	if (ci[1] < 0) {
		crm_error_set(err, CRM_EDATA, "%s: no date column (Date,"
		    " TIME_PERIOD)", crm_csv_name(r));
		goto done;
	}
	if ((st = crm_db_stmt(db, "INSERT INTO rates (base, currency, day,"
	    " rate) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (base, currency, day)"
	    " DO UPDATE SET rate = excluded.rate WHERE rates.rate <> excluded.rate",
	    err)) == NULL)
		goto done;
	if (ci[0] < 0 || ci[2] < 0) {
		/* Wide: every column named like a currency code. */
		size_t ncur = 0;

		for (i = 0; i < nc; i++) {
			const char *n = crm_csv_colname(r, i);

			ncur += (int)i != ci[1] && crm_currency_valid(n);
		}
		if (ncur == 0) {
			crm_error_set(err, CRM_EDATA, "%s: neither currency"
			    " and rate columns nor columns named by currency"
			    " (USD, JPY, ...)", crm_csv_name(r));
			goto done;
		}
	}
	while ((step = crm_csv_next(r, err)) == 1) {
		const char *dv = crm_csv_field(r, ci[1]);
		int64_t day;
		double rate;

		if (crm_conv_day(dv, &day) < 0) {
			bad(r, "not a date", dv, err);
			goto done;
		}
		if (ci[0] >= 0 && ci[2] >= 0) {
			const char *c = crm_csv_field(r, ci[0]);
			const char *v = crm_csv_field(r, ci[2]);
			const char *b = ci[3] >= 0 ?
			    crm_csv_field(r, ci[3]) : base;

			for (i = 0; i < 3 && c[i]; i++)
				cur[i] = (char)toupper((unsigned char)c[i]);
			cur[i] = '\0';
			if (!crm_currency_valid(cur) || c[i] != '\0') {
				bad(r, "not a currency code", c, err);
				goto done;
			}
			if (!crm_currency_valid(b)) {
				bad(r, "not a base currency code", b, err);
				goto done;
			}
			if (parse_rate(v, decimal, &tmp, &rate, err) < 0) {
				bad(r, "not a rate", v, err);
				goto done;
			}
			if (strcmp(cur, b) != 0 && put_rate(db, st, b, cur,
			    day, rate, imp, err) < 0)
				goto done;
			continue;
		}
		for (i = 0; i < nc; i++) {
			const char *n = crm_csv_colname(r, i);
			const char *v = crm_csv_field(r, (int)i);

			if ((int)i == ci[1] || !crm_currency_valid(n) ||
			    *v == '\0' || strcmp(v, "N/A") == 0 ||
			    strcmp(n, base) == 0)
				continue;
			if (parse_rate(v, decimal, &tmp, &rate, err) < 0) {
				bad(r, "not a rate", v, err);
				goto done;
			}
			if (put_rate(db, st, base, n, day, rate, imp, err) < 0)
				goto done;
		}
	}
	if (step == 0)
		rc = 0;
done:
	crm_csv_close(r);
	crm_buf_release(&tmp);
	return rc;
}

/* Lookup */

struct series {
	char base[4], cur[4];
	size_t n;
	int64_t *day;		/* ascending */
	double *rate;
};

struct crm_rates {
	size_t n, total;
	struct series *s;
};

struct crm_rates *
crm_rates_load(struct crm_db *db, struct crm_error *err)
{
	struct crm_rates *r = calloc(1, sizeof(*r));
	struct crm_stmt *st;
	size_t a = 0;
	int step;

	if (r == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if ((st = crm_db_stmt(db, "SELECT base, currency, day, rate FROM rates"
	    " ORDER BY base, currency, day", err)) == NULL)
		goto fail;
	while ((step = crm_db_step(db, st, err)) == 1) {
		const char *b = crm_db_col_text(st, 0);
		const char *c = crm_db_col_text(st, 1);
		struct series *x = r->n ? &r->s[r->n - 1] : NULL;

		if (x == NULL || strcmp(x->base, b) != 0 ||
		    strcmp(x->cur, c) != 0) {
			struct series *q = reallocarray(r->s, r->n + 1,
			    sizeof(*q));

			if (q == NULL)
				goto oom;
			r->s = q;
			x = &r->s[r->n++];
			memset(x, 0, sizeof(*x));
			snprintf(x->base, sizeof(x->base), "%s", b);
			snprintf(x->cur, sizeof(x->cur), "%s", c);
			a = 0;
		}
		if (x->n == a) {
			size_t na = a ? 2 * a : 256;
			int64_t *d = reallocarray(x->day, na, sizeof(*d));
			double *v;

			if (d == NULL)
				goto oom;
			x->day = d;
			if ((v = reallocarray(x->rate, na, sizeof(*v))) ==
			    NULL)
				goto oom;
			x->rate = v;
			a = na;
		}
		x->day[x->n] = crm_db_col_int(st, 2);
		x->rate[x->n++] = crm_db_col_double(st, 3);
		r->total++;
	}
	if (step < 0)
		goto fail;
	return r;
oom:
	crm_db_reset(st);
	crm_error_set(err, CRM_EFAIL, "out of memory");
fail:
	crm_rates_free(r);
	return NULL;
}

void
crm_rates_free(struct crm_rates *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->s[i].day);
		free(r->s[i].rate);
	}
	free(r->s);
	free(r);
}

size_t
crm_rates_count(const struct crm_rates *r)
{
	return r ? r->total : 0;
}

/* The rate of cur in base on day (or the latest before); 1 for the base
 * itself; 0 when there is none, -1 when the series has none that early. */
static double
lookup(const struct crm_rates *r, const char *base, const char *cur,
    int64_t day)
{
	size_t i, l, h;
	const struct series *x = NULL;

	if (strcmp(base, cur) == 0)
		return 1;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->s[i].base, base) == 0 &&
		    strcmp(r->s[i].cur, cur) == 0) {
			x = &r->s[i];
			break;
		}
	if (x == NULL)
		return 0;
	/* The first day after day; the one before it is the rate. */
	l = 0;
	h = x->n;
	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (x->day[m] <= day)
			l = m + 1;
		else
			h = m;
	}
	return l == 0 ? -1 : x->rate[l - 1];
}

int
crm_rate_convert(const struct crm_rates *r, double amount, const char *from,
    const char *to, int64_t at, double *out, struct crm_error *err)
{
	int64_t day = at / 86400 - (at % 86400 < 0);
	char date[11];
	size_t i;
	int early = 0;

	if (from == NULL || to == NULL || strcmp(from, to) == 0) {
		*out = amount;
		return 0;
	}
	/* Through each base in turn: the currency itself, then the others. */
	for (i = 0; r != NULL && i <= r->n; i++) {
		const char *b = i == 0 ? from : r->s[i - 1].base;
		double rf, rt;

		if (i > 1 && strcmp(b, r->s[i - 2].base) == 0)
			continue;
		rf = lookup(r, b, from, day);
		rt = lookup(r, b, to, day);
		if (rf > 0 && rt > 0) {
			*out = amount * rt / rf;
			return 0;
		}
		early |= rf < 0 || rt < 0;
	}
	crm_format_date(day * 86400, date);
	return crm_error_set(err, CRM_EDATA, "no rate for %s in %s %s %s"
	    " (crm-segment rates FILE)", from, to, early ? "as early as" :
	    "on or before", date);
}
