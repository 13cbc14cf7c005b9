/*
 * Bringing stored contacts to today's phone and country rules
 * (crm-add --renormalise), so that an upgrade does not leave numbers of
 * two formats side by side.
 */
#include <stdlib.h>
#include <string.h>

#include "contact.h"
#include "norm.h"
#include "phone.h"

const char crm_contact_phone_schema[] =
    "ALTER TABLE contacts ADD COLUMN phone_type TEXT;"
    "ALTER TABLE contacts ADD COLUMN phone_ext TEXT;";

/* One contact's new values, applied after the scan. */
struct fix {
	int64_t id;
	char *phone, *type, *ext, *country;
};

static char *
dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
fix_free(struct fix *f)
{
	free(f->phone);
	free(f->type);
	free(f->ext);
	free(f->country);
}

int
crm_contact_renormalise(struct crm_db *db, const char *region,
    void (*fn)(void *, int64_t, const char *, const char *, const char *,
    const char *), void *arg, struct crm_renorm_stats *st,
    struct crm_error *err)
{
	struct fix *fixes = NULL;
	size_t nfix = 0, cap = 0, i;
	struct crm_stmt *sel = NULL, *upd;
	int rc = -1, step;

	memset(st, 0, sizeof(*st));
	if (region != NULL && !crm_phone_region_known(region))
		return crm_error_set(err, CRM_EUSAGE,
		    "unknown phone region '%s'", region);
	if ((sel = crm_db_prepare(db, "SELECT id, phone, phone_type,"
	    " phone_ext, country FROM contacts WHERE erased_at IS NULL"
	    " ORDER BY id", err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, sel, err)) == 1) {
		int64_t id = crm_db_col_int(sel, 0);
		const char *phone = crm_db_col_text(sel, 1);
		const char *type = crm_db_col_text(sel, 2);
		const char *ext = crm_db_col_text(sel, 3);
		const char *country = crm_db_col_text(sel, 4);
		const char *iso = NULL, *r = region, *ntype = type;
		const char *next = ext, *nphone = phone, *ncountry = country;
		struct crm_phone ph;
		struct crm_error perr;
		int changed = 0;

		st->contacts++;
		if (country != NULL) {
			if ((iso = crm_norm_country(country)) == NULL) {
				st->unknown++;
				fn(arg, id, "country", country, country,
				    "unknown country: kept as it was");
			} else {
				ncountry = iso;
				if (crm_phone_region_known(iso))
					r = iso;
			}
		}
		if (phone != NULL) {
			if (crm_phone_parse(phone, r, &ph, &perr) < 0) {
				st->invalid++;
				fn(arg, id, "phone", phone, phone, perr.msg);
				ntype = NULL;
			} else {
				nphone = ph.number;
				ntype = crm_phone_type_name(ph.type);
				if (ph.ext[0] != '\0')
					next = ph.ext;
			}
		} else
			ntype = NULL;
		if (!same(ncountry, country)) {
			fn(arg, id, "country", country, ncountry, "");
			st->countries++;
			changed = 1;
		}
		if (!same(nphone, phone)) {
			fn(arg, id, "phone", phone, nphone, "");
			st->phones++;
			changed = 1;
		}
		if (!same(ntype, type)) {
			fn(arg, id, "phone_type", type, ntype, "");
			st->types++;
			changed = 1;
		}
		if (!same(next, ext)) {
			fn(arg, id, "phone_ext", ext, next, "");
			st->exts++;
			changed = 1;
		}
		if (!changed)
			continue;
		st->changed++;
		if (nfix == cap) {
			struct fix *f;

			cap = cap ? cap * 2 : 256;
			if ((f = realloc(fixes, cap * sizeof(*f))) == NULL) {
				crm_error_set(err, CRM_EFAIL, "out of memory");
				goto done;
			}
			fixes = f;
		}
		fixes[nfix].id = id;
		fixes[nfix].phone = dup(nphone);
		fixes[nfix].type = dup(ntype);
		fixes[nfix].ext = dup(next);
		fixes[nfix].country = dup(ncountry);
		nfix++;
		if ((nphone && !fixes[nfix - 1].phone) ||
		    (ntype && !fixes[nfix - 1].type) ||
		    (next && !fixes[nfix - 1].ext) ||
		    (ncountry && !fixes[nfix - 1].country)) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
	}
	if (step < 0)
		goto done;
	for (i = 0; i < nfix; i++) {
		const struct fix *f = &fixes[i];

		if ((upd = crm_db_stmt(db, "UPDATE contacts SET phone = ?2,"
		    " phone_type = ?3, phone_ext = ?4, country = ?5 WHERE"
		    " id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, upd, 1, f->id, err) < 0 ||
		    crm_db_bind_text(db, upd, 2, f->phone, err) < 0 ||
		    crm_db_bind_text(db, upd, 3, f->type, err) < 0 ||
		    crm_db_bind_text(db, upd, 4, f->ext, err) < 0 ||
		    crm_db_bind_text(db, upd, 5, f->country, err) < 0 ||
		    crm_db_step(db, upd, err) < 0)
			goto done;
	}
	rc = 0;
done:
	crm_db_finalize(sel);
	for (i = 0; i < nfix; i++)
		fix_free(&fixes[i]);
	free(fixes);
	return rc;
}
