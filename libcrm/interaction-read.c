/*
 * Reading an interaction record: each field checked and normalised, the
 * lines of an order taking what their first line says.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "interaction-int.h"
#include "norm.h"

const int crm_log_inherited[NINHERITED] = { F_EXTERNAL_ID, F_EMAIL, F_PHONE,
    F_AT, F_CHANNEL, F_KIND, F_DIRECTION, F_CURRENCY };

static const int textcol[5] = { F_PRODUCT, F_CATEGORY, F_SUBJECT, F_NOTE,
    F_CAMPAIGN };

const char *
crm_logger_field(struct crm_logger *lg, struct crm_csv *r, int f)
{
	const char *v = crm_csv_field(r, lg->idx[f]);
	size_t i;

	if (lg->idx[f] >= 0 && !crm_blank(v))
		return v;
	/* A line of the order before: what its first line said. */
	if (lg->cont)
		for (i = 0; i < NINHERITED; i++)
			if (crm_log_inherited[i] == f)
				return lg->prev[i].len ? crm_buf_str(&lg->prev[i]) :
				    NULL;
	return NULL;
}

/*
 * Before a record is read: is it a line of the order before it?  Keeps
 * the order's first line's values for the next lines, and makes the
 * line's ref from the order and the line's place in it.
 */
int
crm_logger_order_line(struct crm_logger *lg, struct crm_csv *r,
    struct crm_error *err)
{
	const char *o = crm_csv_field(r, lg->idx[F_ORDER]);
	size_t len, i;

	lg->cont = 0;
	if (lg->idx[F_ORDER] < 0 || crm_blank(o)) {
		crm_buf_reset(&lg->order);
		return 0;
	}
	o = crm_trim(o, &len);
	if (lg->order.len == len && memcmp(lg->order.s, o, len) == 0) {
		lg->cont = 1;
		lg->oline++;
	} else {
		crm_buf_reset(&lg->order);
		if (crm_buf_add(&lg->order, o, len, err) < 0)
			return -1;
		lg->oline = 1;
	}
	/* The first line's values, the later lines' defaults. */
	for (i = 0; i < NINHERITED; i++) {
		const char *v = crm_csv_field(r, lg->idx[crm_log_inherited[i]]);

		if (lg->cont && (lg->idx[crm_log_inherited[i]] < 0 ||
		    crm_blank(v)))
			continue;
		crm_buf_reset(&lg->prev[i]);
		if (lg->idx[crm_log_inherited[i]] >= 0 && !crm_blank(v) &&
		    crm_buf_adds(&lg->prev[i], v, err) < 0)
			return -1;
	}
	crm_buf_reset(&lg->oref);
	return crm_buf_addf(&lg->oref, err, "%s/%lld", crm_buf_str(&lg->order),
	    (long long)lg->oline);
}

int
crm_logger_normalise(struct crm_logger *lg, struct crm_csv *r, struct rec *x,
    char cur[4], char *trimmed[6], struct crm_error *err)
{
	char q[CRM_QUOTE_MAX];
	const char *v;
	size_t i, len;

	memset(x, 0, sizeof(*x));
	if ((v = crm_logger_field(lg, r, F_AT)) == NULL)
		return crm_error_set(err, CRM_EDATA, "no date (at)");
	if (crm_norm_datetime(v, &x->c.at, err) < 0)
		return -1;
	if ((v = crm_logger_field(lg, r, F_CHANNEL)) == NULL)
		return crm_error_set(err, CRM_EDATA, "no channel");
	if ((x->c.channel = crm_log_channel(v)) == NULL) {
		for (i = 0; i < lg->opts.naliases; i++) {
			const char *from = lg->opts.alias_from[i];
			const char *t = crm_trim(v, &len);

			if ((size_t)(strchr(from, '=') - from) == len &&
			    strncasecmp(from, t, len) == 0) {
				x->c.channel = lg->opts.alias_to[i];
				break;
			}
		}
		if (x->c.channel == NULL)
			return crm_error_set(err, CRM_EDATA, "unknown channel"
			    " '%s' (%s; or map it with --alias)",
			    crm_quote(q, v, strlen(v)), crm_log_channels);
	}
	if ((v = crm_logger_field(lg, r, F_KIND)) == NULL)
		return crm_error_set(err, CRM_EDATA, "no kind");
	v = crm_trim(v, &len);
	crm_buf_reset(&lg->tmp);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)v[i]);

		if (!(isalnum(c) || c == '_' || c == '-') || len > 32)
			return crm_error_set(err, CRM_EDATA, "invalid kind '%.*s'"
			    " (a word of letters, digits, - and _)", (int)len,
			    v);
		if (crm_buf_addc(&lg->tmp, c, err) < 0)
			return -1;
	}
	x->c.kind = crm_buf_str(&lg->tmp);
	if ((v = crm_logger_field(lg, r, F_DIRECTION)) != NULL) {
		v = crm_trim(v, &len);
		if ((len == 2 && strncasecmp(v, "in", 2) == 0) ||
		    (len == 7 && strncasecmp(v, "inbound", 7) == 0) ||
		    (len == 1 && (*v == 'i' || *v == 'I')))
			x->c.direction = "in";
		else if ((len == 3 && strncasecmp(v, "out", 3) == 0) ||
		    (len == 8 && strncasecmp(v, "outbound", 8) == 0) ||
		    (len == 1 && (*v == 'o' || *v == 'O')))
			x->c.direction = "out";
		else
			return crm_error_set(err, CRM_EDATA, "invalid direction"
			    " '%.*s' (in or out)", (int)len, v);
	}
	cur[0] = '\0';
	if ((v = crm_logger_field(lg, r, F_AMOUNT)) != NULL) {
		if (crm_norm_amount(v, &x->c.amount, cur, err) < 0)
			return -1;
		x->c.has_amount = 1;
	}
	if ((v = crm_logger_field(lg, r, F_CURRENCY)) != NULL) {
		char c[4];

		v = crm_trim(v, &len);
		if (len != 3 || !isalpha((unsigned char)v[0]) ||
		    !isalpha((unsigned char)v[1]) || !isalpha((unsigned char)v[2]))
			return crm_error_set(err, CRM_EDATA, "invalid currency"
			    " '%.*s' (an ISO 4217 code such as EUR)", (int)len,
			    v);
		for (i = 0; i < 3; i++)
			c[i] = (char)toupper((unsigned char)v[i]);
		c[3] = '\0';
		if (cur[0] != '\0' && strcmp(cur, c) != 0)
			return crm_error_set(err, CRM_EDATA, "amount in %s but"
			    " currency %s", cur, c);
		memcpy(cur, c, 4);
	}
	if (cur[0] == '\0' && x->c.has_amount && lg->opts.currency != NULL)
		snprintf(cur, 4, "%s", lg->opts.currency);
	x->c.currency = cur[0] ? cur : NULL;
	if ((v = crm_logger_field(lg, r, F_QUANTITY)) != NULL) {
		if (crm_norm_number(v, &x->c.quantity, err) < 0)
			return crm_error_prefix(err, "quantity");
		x->c.has_quantity = 1;
	}
	if ((v = crm_logger_field(lg, r, F_STATUS)) != NULL) {
		v = crm_trim(v, &len);
		if ((len == 4 && strncasecmp(v, "open", 4) == 0) ||
		    (len == 7 && strncasecmp(v, "pending", 7) == 0))
			x->c.status = "open";
		else if ((len == 6 && strncasecmp(v, "closed", 6) == 0) ||
		    (len == 8 && strncasecmp(v, "resolved", 8) == 0) ||
		    (len == 6 && strncasecmp(v, "solved", 6) == 0))
			x->c.status = "closed";
		else
			return crm_error_set(err, CRM_EDATA, "invalid status"
			    " '%.*s' (open or closed)", (int)len, v);
	}
	if ((v = crm_logger_field(lg, r, F_CLOSED_AT)) != NULL) {
		if (crm_norm_datetime(v, &x->c.closed_at, err) < 0)
			return crm_error_prefix(err, "closed_at");
		if (x->c.closed_at < x->c.at)
			return crm_error_set(err, CRM_EDATA,
			    "closed_at is before at");
		if (x->c.status == NULL)
			x->c.status = "closed";
	}
	for (i = 0; i < 5; i++) {
		trimmed[i] = NULL;
		if ((v = crm_logger_field(lg, r, textcol[i])) == NULL)
			continue;
		v = crm_trim(v, &len);
		if ((trimmed[i] = strndup(v, len)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		x->c.text[i] = trimmed[i];
	}
	if ((v = crm_logger_field(lg, r, F_REF)) != NULL) {
		v = crm_trim(v, &len);
		if ((trimmed[5] = strndup(v, len)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		x->ref = trimmed[5];
	}
	if (lg->order.len > 0) {
		x->order = crm_buf_str(&lg->order);
		if (x->ref == NULL)
			x->ref = crm_buf_str(&lg->oref);
	}
	return 0;
}

