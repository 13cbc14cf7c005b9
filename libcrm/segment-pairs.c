/*
 * segment-pairs.c - items bought together.
 */
#include <sys/types.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"
#include "norm.h"
#include "segment-int.h"

int
crm_pairs(struct crm_db *db, int by_category, double min_support,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "a", "b", "contacts", "support",
	    "confidence", "lift" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };
	struct crm_stmt *st;
	const char *vals[6];
	int step, i;

	/*
	 * A basket is everything one contact bought.  The item column is
	 * picked from two fixed statements, never from user text.
	 */
	st = crm_db_stmt(db, by_category ?
	    "WITH b AS (SELECT DISTINCT contact_id, category AS item FROM"
	    " interactions WHERE kind = 'purchase' AND category IS NOT NULL),"
	    " n AS (SELECT count(DISTINCT contact_id) AS n FROM b),"
	    " ci AS (SELECT item, count(*) AS k FROM b GROUP BY item)"
	    " SELECT x.item, y.item, count(*), printf('%.4f', count(*) * 1.0 /"
	    " n.n), printf('%.4f', count(*) * 1.0 / cx.k), printf('%.4f',"
	    " count(*) * 1.0 * n.n / (cx.k * cy.k)) FROM b x JOIN b y ON"
	    " x.contact_id = y.contact_id AND x.item <> y.item JOIN ci cx ON"
	    " cx.item = x.item JOIN ci cy ON cy.item = y.item, n"
	    " GROUP BY x.item, y.item, n.n, cx.k, cy.k HAVING count(*) >="
	    " CASE WHEN ?1 < 1"
	    " THEN ?1 * max(n.n) ELSE ?1 END ORDER BY count(*) DESC, x.item,"
	    " y.item" :
	    "WITH b AS (SELECT DISTINCT contact_id, product AS item FROM"
	    " interactions WHERE kind = 'purchase' AND product IS NOT NULL),"
	    " n AS (SELECT count(DISTINCT contact_id) AS n FROM b),"
	    " ci AS (SELECT item, count(*) AS k FROM b GROUP BY item)"
	    " SELECT x.item, y.item, count(*), printf('%.4f', count(*) * 1.0 /"
	    " n.n), printf('%.4f', count(*) * 1.0 / cx.k), printf('%.4f',"
	    " count(*) * 1.0 * n.n / (cx.k * cy.k)) FROM b x JOIN b y ON"
	    " x.contact_id = y.contact_id AND x.item <> y.item JOIN ci cx ON"
	    " cx.item = x.item JOIN ci cy ON cy.item = y.item, n"
	    " GROUP BY x.item, y.item, n.n, cx.k, cy.k HAVING count(*) >="
	    " CASE WHEN ?1 < 1"
	    " THEN ?1 * max(n.n) ELSE ?1 END ORDER BY count(*) DESC, x.item,"
	    " y.item", err);
	if (st == NULL || crm_db_bind_double(db, st, 1, min_support, err) < 0 ||
	    crm_out_header(o, names, types, 6, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 6; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return step < 0 ? -1 : 0;
}
