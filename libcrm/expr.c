#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "norm.h"

enum ty { T_NUM, T_TEXT, T_TIME, T_DUR, T_BOOL, T_ANY };

enum { NEED_P = 1, NEED_S = 2, NEED_PC = 4 };

static const struct field {
	const char *name, *sql;
	enum ty ty;
	int need;
} fields[] = {
	{ "id", "c.id", T_NUM, 0 },
	{ "external_id", "c.external_id", T_TEXT, 0 },
	{ "first_name", "c.first_name", T_TEXT, 0 },
	{ "last_name", "c.last_name", T_TEXT, 0 },
	{ "email", "c.email", T_TEXT, 0 },
	{ "phone", "c.phone", T_TEXT, 0 },
	{ "company", "c.company", T_TEXT, 0 },
	{ "street", "c.street", T_TEXT, 0 },
	{ "city", "c.city", T_TEXT, 0 },
	{ "postcode", "c.postcode", T_TEXT, 0 },
	{ "country", "c.country", T_TEXT, 0 },
	{ "stage", "c.stage", T_TEXT, 0 },
	{ "owner", "c.owner", T_TEXT, 0 },
	{ "email_opt_in", "c.email_opt_in", T_BOOL, 0 },
	{ "phone_opt_in", "c.phone_opt_in", T_BOOL, 0 },
	{ "sms_opt_in", "c.sms_opt_in", T_BOOL, 0 },
	{ "mail_opt_in", "c.mail_opt_in", T_BOOL, 0 },
	{ "do_not_contact", "c.do_not_contact", T_BOOL, 0 },
	{ "birth_date", "unixepoch(c.birth_date)", T_TIME, 0 },
	{ "age", "(CAST(strftime('%Y', @asof, 'unixepoch') AS INTEGER) -"
	    " CAST(strftime('%Y', c.birth_date) AS INTEGER) -"
	    " CASE WHEN strftime('%m-%d', @asof, 'unixepoch') <"
	    " strftime('%m-%d', c.birth_date) THEN 1 ELSE 0 END)", T_NUM, 0 },
	{ "created_at", "c.created_at", T_TIME, 0 },
	{ "updated_at", "c.updated_at", T_TIME, 0 },
	{ "tenure", "((@asof - CASE WHEN p.first_purchase < c.created_at"
	    " THEN p.first_purchase ELSE c.created_at END) / 86400)", T_NUM,
	    NEED_P },
	{ "purchases", "coalesce(p.purchases, 0)", T_NUM, NEED_P },
	{ "revenue", "coalesce(p.revenue, 0)", T_NUM, NEED_P },
	{ "aov", "(p.revenue / p.purchases)", T_NUM, NEED_P },
	{ "first_purchase", "p.first_purchase", T_TIME, NEED_P },
	{ "last_purchase", "p.last_purchase", T_TIME, NEED_P },
	{ "recency", "((@asof - p.last_purchase) / 86400)", T_NUM, NEED_P },
	{ "preferred_channel", "pc.channel", T_TEXT, NEED_PC },
	{ "p_alive", "s.p_alive", T_NUM, NEED_S },
	{ "expected_purchases", "s.expected_purchases", T_NUM, NEED_S },
	{ "clv", "s.clv", T_NUM, NEED_S },
	{ "churn_probability", "s.churn_probability", T_NUM, NEED_S },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

const char crm_expr_fields[] = "id, external_id, first_name, last_name,"
    " email, phone, company, street, city, postcode, country, stage, owner,"
    " email_opt_in, phone_opt_in, sms_opt_in, mail_opt_in, do_not_contact,"
    " birth_date, age, created_at, updated_at, tenure, purchases, revenue,"
    " aov, first_purchase, last_purchase, recency, preferred_channel,"
    " p_alive, expected_purchases, clv, churn_probability, attr.NAME";

struct param {
	int ty;		/* CRM_DB_INT, CRM_DB_FLOAT, CRM_DB_TEXT */
	int64_t i;
	double d;
	char *s;
};

enum tok { K_EOF, K_NUM, K_STR, K_TIME, K_DUR, K_IDENT, K_OP, K_LP, K_RP,
    K_COMMA };

struct crm_expr {
	const char *src;
	size_t pos;
	int64_t asof;
	int need;
	/* The current token. */
	enum tok k;
	size_t start, len;
	double num;
	int64_t ival;
	char *str;
	/* Output. */
	struct crm_buf sql, from;
	struct param *p;
	int np, ap;
	struct crm_error *err;
	int col;
	int failed;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct crm_expr *e, size_t at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!e->failed) {
		e->failed = 1;
		e->col = (int)at + 1;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		crm_error_set(e->err, CRM_EUSAGE, "column %d: %s", e->col, msg);
	}
	return -1;
}

static int
add_param(struct crm_expr *e, int ty, int64_t i, double d, const char *s)
{
	if (e->np == e->ap) {
		int n = e->ap ? e->ap * 2 : 8;
		struct param *q = reallocarray(e->p, (size_t)n, sizeof(*q));

		if (q == NULL)
			return -1;
		e->p = q;
		e->ap = n;
	}
	e->p[e->np].ty = ty;
	e->p[e->np].i = i;
	e->p[e->np].d = d;
	e->p[e->np].s = s ? strdup(s) : NULL;
	if (s != NULL && e->p[e->np].s == NULL)
		return -1;
	e->np++;
	return crm_buf_addf(&e->sql, e->err, "?%d", e->np);
}

/* Lexer. */

static int
isword(int c)
{
	return isalnum(c) || c == '_' || c == '.';
}

static int
next(struct crm_expr *e)
{
	const char *s = e->src;
	size_t i = e->pos, j;

	free(e->str);
	e->str = NULL;
	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	e->start = i;
	if (s[i] == '\0') {
		e->k = K_EOF;
		e->len = 0;
		e->pos = i;
		return 0;
	}
	if (isdigit((unsigned char)s[i])) {
		/* A date, a duration or a number. */
		for (j = i; isdigit((unsigned char)s[j]); j++)
			;
		if (j - i == 4 && s[j] == '-') {
			char buf[64];
			size_t n;

			for (n = j; s[n] && (isalnum((unsigned char)s[n]) ||
			    strchr("-:+.", s[n])); n++)
				;
			if (n - i >= sizeof(buf))
				return fail(e, i, "bad date '%s'",
				    "too long");
			memcpy(buf, s + i, n - i);
			buf[n - i] = '\0';
			if (crm_norm_datetime(buf, &e->ival, NULL) < 0)
				return fail(e, i, "bad date '%s'"
				    " (YYYY-MM-DD)", buf);
			e->k = K_TIME;
			e->pos = n;
			e->len = n - i;
			return 0;
		}
		if (s[j] == '.' && isdigit((unsigned char)s[j + 1]))
			for (j++; isdigit((unsigned char)s[j]); j++)
				;
		e->num = strtod(s + i, NULL);
		if (e->num > 1e9)
			return fail(e, i, "number too large%s", "");
		if (strchr("dwmyDWMY", s[j]) && s[j] != '\0' &&
		    !isword((unsigned char)s[j + 1])) {
			int64_t mul = strchr("dD", s[j]) ? 1 : strchr("wW",
			    s[j]) ? 7 : strchr("mM", s[j]) ? 30 : 365;

			e->ival = (int64_t)(e->num * (double)mul * 86400);
			e->k = K_DUR;
			j++;
		} else if (isword((unsigned char)s[j]))
			return fail(e, i, "bad number%s", "");
		else
			e->k = K_NUM;
		e->pos = j;
		e->len = j - i;
		return 0;
	}
	if (s[i] == '\'' || s[i] == '"') {
		struct crm_buf b = CRM_BUF_INIT(1 << 16);
		char q = s[i];

		for (j = i + 1;; j++) {
			if (s[j] == '\0') {
				crm_buf_release(&b);
				return fail(e, i, "unterminated"
				    " string%s", "");
			}
			if (s[j] == q) {
				if (s[j + 1] != q)
					break;
				j++;
			}
			if (crm_buf_addc(&b, s[j], e->err) < 0) {
				crm_buf_release(&b);
				return -1;
			}
		}
		e->str = crm_buf_detach(&b);
		e->k = K_STR;
		e->pos = j + 1;
		e->len = j + 1 - i;
		return 0;
	}
	if (isalpha((unsigned char)s[i]) || s[i] == '_') {
		for (j = i; isword((unsigned char)s[j]); j++)
			;
		e->k = K_IDENT;
		e->pos = j;
		e->len = j - i;
		return 0;
	}
	e->len = 1;
	switch (s[i]) {
	case '(':
		e->k = K_LP;
		break;
	case ')':
		e->k = K_RP;
		break;
	case ',':
		e->k = K_COMMA;
		break;
	case '=': case '<': case '>': case '!': case '+': case '-':
		e->k = K_OP;
		if ((s[i] == '<' && (s[i + 1] == '=' || s[i + 1] == '>')) ||
		    (s[i] == '>' && s[i + 1] == '=') ||
		    (s[i] == '!' && s[i + 1] == '=') ||
		    (s[i] == '=' && s[i + 1] == '='))
			e->len = 2;
		else if (s[i] == '!')
			return fail(e, i, "unexpected '%s'", "!");
		break;
	default: {
		char c[2] = { s[i], '\0' };

		return fail(e, i, "unexpected '%s'", c);
	}
	}
	e->pos = i + e->len;
	return 0;
}

static int
is_kw(const struct crm_expr *e, const char *kw)
{
	return e->k == K_IDENT && strlen(kw) == e->len &&
	    strncasecmp(e->src + e->start, kw, e->len) == 0;
}

static int
is_op(const struct crm_expr *e, const char *op)
{
	return e->k == K_OP && strlen(op) == e->len &&
	    strncmp(e->src + e->start, op, e->len) == 0;
}

static const char *
tyname(enum ty t)
{
	static const char *const n[] = { "number", "text", "date", "duration",
	    "yes/no", "value" };

	return n[t];
}

static int
emit(struct crm_expr *e, const char *s)
{
	return crm_buf_adds(&e->sql, s, e->err);
}

/* The current token as text, for messages. */
static const char *
tokstr(struct crm_expr *e, char *buf, size_t sz)
{
	if (e->k == K_EOF)
		return "the end";
	/* A string token shows with its own quotes. */
	snprintf(buf, sz, e->k == K_STR ? "%.*s" : "'%.*s'",
	    (int)(e->len > 40 ? 40 : e->len), e->src + e->start);
	return buf;
}

static int parse_or(struct crm_expr *e, enum ty *t);

/* The end of the as-of day: purchases after it do not count yet. */
static int64_t
asof_end(const struct crm_expr *e)
{
	return e->asof - ((e->asof % 86400) + 86400) % 86400 + 86400;
}

/* primary: a value, a field, a function, or a parenthesised expression. */
static int
parse_primary(struct crm_expr *e, enum ty *t)
{
	char tb[64];
	size_t at = e->start;
	size_t i;

	switch (e->k) {
	case K_NUM:
		*t = T_NUM;
		if (add_param(e, CRM_DB_FLOAT, 0, e->num, NULL) < 0)
			return -1;
		return next(e);
	case K_STR:
		*t = T_TEXT;
		if (add_param(e, CRM_DB_TEXT, 0, 0, e->str) < 0)
			return -1;
		return next(e);
	case K_TIME:
		*t = T_TIME;
		if (add_param(e, CRM_DB_INT, e->ival, 0, NULL) < 0)
			return -1;
		return next(e);
	case K_DUR:
		*t = T_DUR;
		if (add_param(e, CRM_DB_INT, e->ival, 0, NULL) < 0)
			return -1;
		return next(e);
	case K_LP:
		if (emit(e, "(") < 0 || next(e) < 0 || parse_or(e, t) < 0)
			return -1;
		if (e->k != K_RP)
			return fail(e, e->start, "expected ')',"
			    " found %s", tokstr(e, tb, sizeof(tb)));
		return emit(e, ")") < 0 ? -1 : next(e);
	case K_IDENT:
		break;
	default:
		return fail(e, at, "expected a value, found %s",
		    tokstr(e, tb, sizeof(tb)));
	}
	if (is_kw(e, "today")) {
		*t = T_TIME;
		/* Midnight UTC of the as-of day. */
		if (add_param(e, CRM_DB_INT, e->asof - (e->asof % 86400 +
		    86400) % 86400, 0, NULL) < 0)
			return -1;
		return next(e);
	}
	if (is_kw(e, "true") || is_kw(e, "false")) {
		*t = T_BOOL;
		if (add_param(e, CRM_DB_INT, is_kw(e, "true"), 0, NULL) < 0)
			return -1;
		return next(e);
	}
	if (is_kw(e, "bought") || is_kw(e, "in_segment")) {
		int bought = is_kw(e, "bought");

		if (next(e) < 0)
			return -1;
		if (e->k != K_LP)
			return fail(e, e->start, "expected '(' after"
			    " the function name, found %s",
			    tokstr(e, tb, sizeof(tb)));
		if (next(e) < 0)
			return -1;
		if (e->k != K_STR)
			return fail(e, e->start, "expected a quoted"
			    " name, found %s", tokstr(e, tb, sizeof(tb)));
		/* The as-of bound is a number this module computed. */
		if ((bought ? crm_buf_addf(&e->sql, e->err, "EXISTS (SELECT 1"
		    " FROM interactions i WHERE i.contact_id = c.id AND"
		    " i.kind = 'purchase' AND i.at < %lld AND (i.product = ",
		    (long long)asof_end(e)) : emit(e, "EXISTS (SELECT 1 FROM"
		    " segment_members sm JOIN segments sg ON sg.id ="
		    " sm.segment_id WHERE sm.contact_id = c.id AND sg.name = "))
		    < 0 || add_param(e, CRM_DB_TEXT, 0, 0, e->str) < 0)
			return -1;
		if (bought && (emit(e, " OR i.category = ") < 0 ||
		    crm_buf_addf(&e->sql, e->err, "?%d)", e->np) < 0))
			return -1;
		if (emit(e, ")") < 0 || next(e) < 0)
			return -1;
		if (e->k != K_RP)
			return fail(e, e->start, "expected ')',"
			    " found %s", tokstr(e, tb, sizeof(tb)));
		*t = T_BOOL;
		return next(e);
	}
	if (e->len > 5 && strncasecmp(e->src + e->start, "attr.", 5) == 0) {
		struct crm_buf path = CRM_BUF_INIT(1024);
		size_t k;
		int rc;

		/* The attribute name is bound as a JSON path. */
		if (crm_buf_adds(&path, "$.\"", e->err) < 0)
			return -1;
		for (k = 5; k < e->len; k++)
			if (crm_buf_addc(&path, tolower((unsigned char)
			    e->src[e->start + k]), e->err) < 0) {
				crm_buf_release(&path);
				return -1;
			}
		rc = crm_buf_addc(&path, '"', e->err) < 0 ||
		    emit(e, "json_extract(c.attrs, ") < 0 ||
		    add_param(e, CRM_DB_TEXT, 0, 0, crm_buf_str(&path)) < 0 ||
		    emit(e, ")") < 0;
		crm_buf_release(&path);
		if (rc)
			return -1;
		*t = T_ANY;
		return next(e);
	}
	for (i = 0; i < NFIELDS; i++) {
		if (strlen(fields[i].name) == e->len &&
		    strncasecmp(fields[i].name, e->src + e->start, e->len) == 0)
			break;
	}
	if (i == NFIELDS) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(e->len > 40 ? 40 :
		    e->len), e->src + e->start);
		return fail(e, at, "unknown field '%s' (see"
		    " crm-segment(1) for the fields)", name);
	}
	e->need |= fields[i].need;
	{
		/* @asof in a field's SQL is the as-of time, bound. */
		const char *sql = fields[i].sql, *a;

		while ((a = strstr(sql, "@asof")) != NULL) {
			if (crm_buf_add(&e->sql, sql, (size_t)(a - sql),
			    e->err) < 0 ||
			    add_param(e, CRM_DB_INT, e->asof, 0, NULL) < 0)
				return -1;
			sql = a + 5;
		}
		if (emit(e, sql) < 0)
			return -1;
	}
	*t = fields[i].ty;
	return next(e);
}

/* sum: dates plus or minus durations, numbers plus or minus numbers. */
static int
parse_sum(struct crm_expr *e, enum ty *t)
{
	if (parse_primary(e, t) < 0)
		return -1;
	while (is_op(e, "+") || is_op(e, "-")) {
		size_t at = e->start;
		int minus = is_op(e, "-");
		enum ty r;

		if (emit(e, minus ? " - " : " + ") < 0 || next(e) < 0 ||
		    parse_primary(e, &r) < 0)
			return -1;
		if (*t == T_TIME && r == T_DUR)
			continue;
		if (*t == T_TIME && r == T_TIME && minus) {
			*t = T_DUR;
			continue;
		}
		if ((*t == T_NUM || *t == T_ANY) && (r == T_NUM || r == T_ANY))
			continue;
		if (*t == T_DUR && r == T_DUR)
			continue;
		return fail(e, at, "cannot add or subtract these"
		    " (%s)", tyname(r));
	}
	return 0;
}

static int
comparable(enum ty a, enum ty b)
{
	return a == b || a == T_ANY || b == T_ANY ||
	    (a == T_BOOL && b == T_NUM) || (a == T_NUM && b == T_BOOL);
}

/* cmp: sum [op sum | [not] in (list) | like str | is [not] null] */
static int
parse_cmp(struct crm_expr *e, enum ty *t)
{
	static const char *const ops[][2] = {
		{ "=", " = " }, { "==", " = " }, { "!=", " <> " },
		{ "<>", " <> " }, { "<", " < " }, { "<=", " <= " },
		{ ">", " > " }, { ">=", " >= " },
	};
	char tb[64];
	size_t i, at;
	enum ty l, r;

	if (emit(e, "(") < 0 || parse_sum(e, &l) < 0)
		return -1;
	*t = l;
	at = e->start;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (is_op(e, ops[i][0]))
			break;
	if (i < sizeof(ops) / sizeof(ops[0])) {
		if (emit(e, ops[i][1]) < 0 || next(e) < 0 ||
		    parse_sum(e, &r) < 0)
			return -1;
		if (!comparable(l, r))
			return fail(e, at, "cannot compare these"
			    " (%s)", tyname(l == T_ANY ? r : l));
		*t = T_BOOL;
	} else if (is_kw(e, "in") || is_kw(e, "not")) {
		if (is_kw(e, "not")) {
			if (next(e) < 0)
				return -1;
			if (!is_kw(e, "in"))
				return fail(e, e->start, "expected"
				    " 'in' after 'not', found %s",
				    tokstr(e, tb, sizeof(tb)));
			if (emit(e, " NOT") < 0)
				return -1;
		}
		if (emit(e, " IN (") < 0 || next(e) < 0)
			return -1;
		if (e->k != K_LP)
			return fail(e, e->start, "expected '('"
			    " after 'in', found %s", tokstr(e, tb, sizeof(tb)));
		if (next(e) < 0)
			return -1;
		for (;;) {
			if (parse_sum(e, &r) < 0)
				return -1;
			if (!comparable(l, r))
				return fail(e, at, "list values"
				    " do not match (%s)", tyname(l));
			if (e->k == K_RP)
				break;
			if (e->k != K_COMMA)
				return fail(e, e->start, "expected"
				    " ',' or ')', found %s",
				    tokstr(e, tb, sizeof(tb)));
			if (emit(e, ", ") < 0 || next(e) < 0)
				return -1;
		}
		if (emit(e, ")") < 0 || next(e) < 0)
			return -1;
		*t = T_BOOL;
	} else if (is_kw(e, "like")) {
		if (emit(e, " LIKE ") < 0 || next(e) < 0)
			return -1;
		if (e->k != K_STR)
			return fail(e, e->start, "expected a quoted"
			    " pattern after 'like', found %s",
			    tokstr(e, tb, sizeof(tb)));
		if (parse_sum(e, &r) < 0)
			return -1;
		*t = T_BOOL;
	} else if (is_kw(e, "is")) {
		if (next(e) < 0)
			return -1;
		if (is_kw(e, "not")) {
			if (emit(e, " IS NOT NULL") < 0 || next(e) < 0)
				return -1;
		} else if (emit(e, " IS NULL") < 0)
			return -1;
		if (!is_kw(e, "null"))
			return fail(e, e->start, "expected 'null',"
			    " found %s", tokstr(e, tb, sizeof(tb)));
		if (next(e) < 0)
			return -1;
		*t = T_BOOL;
	}
	return emit(e, ")");
}

static int
parse_not(struct crm_expr *e, enum ty *t)
{
	if (is_kw(e, "not")) {
		size_t at = e->start;

		if (emit(e, "NOT ") < 0 || next(e) < 0 || parse_not(e, t) < 0)
			return -1;
		if (*t != T_BOOL && *t != T_ANY)
			return fail(e, at, "'not' needs a"
			    " condition, not a %s", tyname(*t));
		return 0;
	}
	return parse_cmp(e, t);
}

/* Operands of and/or must be conditions (or attributes). */
static int
condition(struct crm_expr *e, size_t at, enum ty t, const char *op)
{
	if (t == T_BOOL || t == T_ANY)
		return 0;
	return fail(e, at, "'%s' needs conditions on both sides, not a %s",
	    op, tyname(t));
}

static int
parse_and(struct crm_expr *e, enum ty *t)
{
	size_t at = e->start;

	if (parse_not(e, t) < 0)
		return -1;
	while (is_kw(e, "and")) {
		if (condition(e, at, *t, "and") < 0)
			return -1;
		at = e->pos;
		if (emit(e, " AND ") < 0 || next(e) < 0)
			return -1;
		at = e->start;
		if (parse_not(e, t) < 0 || condition(e, at, *t, "and") < 0)
			return -1;
		*t = T_BOOL;
	}
	return 0;
}

static int
parse_or(struct crm_expr *e, enum ty *t)
{
	size_t at = e->start;

	if (parse_and(e, t) < 0)
		return -1;
	while (is_kw(e, "or")) {
		if (condition(e, at, *t, "or") < 0)
			return -1;
		if (emit(e, " OR ") < 0 || next(e) < 0)
			return -1;
		at = e->start;
		if (parse_and(e, t) < 0 || condition(e, at, *t, "or") < 0)
			return -1;
		*t = T_BOOL;
	}
	return 0;
}

struct crm_expr *
crm_expr_parse(const char *src, int64_t asof, int *col,
    struct crm_error *err)
{
	struct crm_expr *e;
	char tb[64];
	enum ty t;

	*col = 0;
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	e->src = src;
	e->asof = asof;
	e->err = err;
	crm_buf_init(&e->sql, 1 << 20);
	crm_buf_init(&e->from, 4096);
	if (next(e) < 0)
		goto bad;
	if (e->k == K_EOF) {
		fail(e, 0, "empty expression%s", "");
		goto bad;
	}
	if (parse_or(e, &t) < 0)
		goto bad;
	if (e->k != K_EOF) {
		fail(e, e->start, "expected 'and', 'or' or the end,"
		    " found %s", tokstr(e, tb, sizeof(tb)));
		goto bad;
	}
	if (t != T_BOOL && t != T_ANY) {
		fail(e, 0, "the expression is a %s, not a"
		    " condition", tyname(t));
		goto bad;
	}
	if (crm_buf_adds(&e->from, "FROM contacts c", err) < 0 ||
	    ((e->need & NEED_P) && crm_buf_addf(&e->from, err, " LEFT JOIN"
	    " (SELECT contact_id, count(*) AS purchases, total(amount) AS"
	    " revenue, min(at) AS first_purchase, max(at) AS last_purchase"
	    " FROM interactions WHERE kind = 'purchase' AND at < %lld"
	    " GROUP BY contact_id) p ON p.contact_id = c.id",
	    (long long)asof_end(e)) < 0) ||
	    ((e->need & NEED_S) && crm_buf_adds(&e->from, " LEFT JOIN scores s"
	    " ON s.contact_id = c.id", err) < 0) ||
	    ((e->need & NEED_PC) && crm_buf_adds(&e->from, " LEFT JOIN (SELECT"
	    " contact_id, channel FROM (SELECT contact_id, channel,"
	    " row_number() OVER (PARTITION BY contact_id ORDER BY count(*)"
	    " DESC, max(at) DESC, channel) AS rn FROM interactions WHERE"
	    " direction = 'in' GROUP BY contact_id, channel) WHERE rn = 1) pc"
	    " ON pc.contact_id = c.id", err) < 0))
		goto bad;
	free(e->str);
	e->str = NULL;
	return e;
bad:
	*col = e->col;
	crm_expr_free(e);
	return NULL;
}

void
crm_expr_free(struct crm_expr *e)
{
	int i;

	if (e == NULL)
		return;
	for (i = 0; i < e->np; i++)
		free(e->p[i].s);
	free(e->p);
	free(e->str);
	crm_buf_release(&e->sql);
	crm_buf_release(&e->from);
	free(e);
}

const char *
crm_expr_sql(const struct crm_expr *e)
{
	return crm_buf_str(&e->sql);
}

const char *
crm_expr_from(const struct crm_expr *e)
{
	return crm_buf_str(&e->from);
}

int
crm_expr_nparams(const struct crm_expr *e)
{
	return e->np;
}

int
crm_expr_bind(const struct crm_expr *e, struct crm_db *db,
    struct crm_stmt *st, int first, struct crm_error *err)
{
	int i, rc = 0;

	for (i = 0; i < e->np && rc == 0; i++) {
		const struct param *p = &e->p[i];

		if (p->ty == CRM_DB_INT)
			rc = crm_db_bind_int(db, st, first + i, p->i, err);
		else if (p->ty == CRM_DB_FLOAT)
			rc = crm_db_bind_double(db, st, first + i, p->d, err);
		else
			rc = crm_db_bind_text(db, st, first + i, p->s, err);
	}
	return rc;
}
