/* Unit tests for libcrm/expr: parsing, compiled SQL, errors with columns. */
#include <stdlib.h>

#include "expr.h"
#include "tap.h"

static struct crm_error err;

static void
good(const char *src, const char *sql, int nparams)
{
	int col;
	struct crm_expr *e = crm_expr_parse(src, 1793534400, &col, &err);

	if (!ok(e != NULL, "parses: %s", src)) {
		printf("#   %s\n", err.msg);
		return;
	}
	is_str(crm_expr_sql(e), sql, "  its SQL");
	ok(crm_expr_nparams(e) == nparams, "  %d parameters (%d)", nparams,
	    crm_expr_nparams(e));
	crm_expr_free(e);
}

static void
bad(const char *src, int wantcol, const char *msg)
{
	int col;
	struct crm_expr *e = crm_expr_parse(src, 1793534400, &col, &err);

	ok(e == NULL && col == wantcol && err.code == CRM_EUSAGE &&
	    strstr(err.msg, msg) != NULL, "refused at column %d: %s (%s)",
	    wantcol, src, e ? "parsed" : err.msg);
	crm_expr_free(e);
}

int
main(void)
{
	int col;
	struct crm_expr *e;

	good("stage = 'lead'", "(c.stage = ?1)", 1);
	good("purchases >= 3 and revenue > 100.5",
	    "(coalesce(p.purchases, 0) >= ?1) AND (coalesce(p.revenue, 0) >"
	    " ?2)", 2);
	good("not (country in ('GB', 'IE') or city is null)",
	    "NOT (((c.country IN (?1, ?2)) OR (c.city IS NULL)))", 2);
	good("country not in ('GB')", "(c.country NOT IN (?1))", 1);
	good("last_purchase < today - 90d",
	    "(p.last_purchase < ?1 - ?2)", 2);
	good("created_at >= 2026-01-01", "(c.created_at >= ?1)", 1);
	good("email like '%@example.com'", "(c.email LIKE ?1)", 1);
	good("attr.Tier = 'gold'", "(json_extract(c.attrs, ?1) = ?2)", 2);
	good("bought('tools')", "(EXISTS (SELECT 1 FROM interactions i"
	    " WHERE i.contact_id = c.id AND i.kind = 'purchase' AND"
	    " i.at < 1793577600 AND (i.product = ?1 OR i.category = ?1)))",
	    1);
	good("email_opt_in = true", "(c.email_opt_in = ?1)", 1);
	good("STAGE == 'x' AND Owner <> 'y'", "(c.stage = ?1) AND"
	    " (c.owner <> ?2)", 2);
	good("recency > 30", "(((?1 - p.last_purchase) / 86400) > ?2)", 2);
	good("company = 'O''Brien'", "(c.company = ?1)", 1);

	/* Values stay parameters: nothing of the text reaches the SQL. */
	e = crm_expr_parse("city = 'x'') OR 1=1 --'", 0, &col, &err);
	ok(e != NULL && strstr(crm_expr_sql(e), "OR 1=1") == NULL,
	    "a quote in a string stays in the string");
	crm_expr_free(e);

	bad("", 1, "empty expression");
	bad("age >= 30 and", 14, "expected a value, found the end");
	bad("age >= 'x'", 5, "cannot compare these");
	bad("salary > 3", 1, "unknown field 'salary'");
	bad("stage = 'lead", 9, "unterminated string");
	bad("stage = 'lead' stage", 16, "expected 'and', 'or' or the end");
	bad("(stage = 'lead'", 16, "expected ')'");
	bad("country in 'GB'", 12, "expected '(' after 'in'");
	bad("country in ('GB' 'IE')", 18, "expected ',' or ')'");
	bad("age", 1, "not a condition");
	bad("stage = 'a' ; drop table contacts", 13, "unexpected ';'");
	bad("created_at > 2026-02-30", 14, "bad date");
	bad("bought(tools)", 8, "expected a quoted name");
	bad("age is 3", 8, "expected 'null'");
	bad("stage ! 'x'", 7, "unexpected '!'");
	bad("today + 'x' > 1", 7, "cannot add or subtract");
	bad("12abc = 1", 1, "bad number");
	return tap_done();
}
