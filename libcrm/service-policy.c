/*
 * service-policy.c - the service policy: business hours, holidays and
 * targets, stored as settings; loaded for the report and due lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bizcal.h"
#include "norm.h"
#include "service.h"
#include "service-int.h"

/* The policy. */

static const struct { const char *priority; int64_t first, res; } defaults[] = {
	{ "urgent", 3600, 4 * 3600 },
	{ "high", 4 * 3600, 24 * 3600 },
	{ "normal", 8 * 3600, 72 * 3600 },
	{ "low", 24 * 3600, 120 * 3600 },
};

static int
set_setting(struct crm_db *db, const char *key, const char *value,
    struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, "INSERT INTO service_calendar (key, value)"
	    " VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
	    " value = excluded.value", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, key, err) < 0 ||
	    crm_db_bind_text(db, st, 2, value, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

int
crm_service_set_hours(struct crm_db *db, const char *hours, const char *zone,
    struct crm_error *err)
{
	struct crm_bizcal *c;
	int rc = -1;

	/* Checked before they are stored. */
	if ((c = crm_bizcal_new(err)) == NULL)
		return -1;
	if ((hours != NULL && crm_bizcal_hours(c, hours, err) < 0) ||
	    (zone != NULL && crm_bizcal_zone(c, zone, err) < 0))
		goto done;
	if ((hours != NULL && set_setting(db, "hours", hours, err) < 0) ||
	    (zone != NULL && set_setting(db, "zone", zone, err) < 0))
		goto done;
	rc = 0;
done:
	crm_bizcal_free(c);
	return rc;
}

int
crm_service_add_holiday(struct crm_db *db, const char *date,
    const char *name, struct crm_error *err)
{
	char d[11], key[20];

	if (crm_norm_date(date, d, err) < 0)
		return crm_error_prefix(err, "holiday");
	snprintf(key, sizeof(key), "holiday %s", d);
	return set_setting(db, key, name != NULL && *name != '\0' ? name :
	    "holiday", err);
}

int
crm_service_set_target(struct crm_db *db, const char *spec,
    struct crm_error *err)
{
	char pr[32], ch[32], a[32], b[32];
	const char *eq, *comma, *slash, *p, *c = "";
	struct crm_stmt *st;
	int64_t first, res;
	size_t n;

	if ((eq = strchr(spec, '=')) == NULL ||
	    (comma = strchr(eq, ',')) == NULL)
		goto bad;
	slash = memchr(spec, '/', (size_t)(eq - spec));
	n = (size_t)((slash ? slash : eq) - spec);
	if (n == 0 || n >= sizeof(pr))
		goto bad;
	memcpy(pr, spec, n);
	pr[n] = '\0';
	if ((p = service_priority_parse(pr)) == NULL)
		return crm_error_set(err, CRM_EUSAGE, "target '%s': unknown"
		    " priority '%s' (low, normal, high, urgent)", spec, pr);
	if (slash != NULL) {
		n = (size_t)(eq - slash - 1);
		if (n == 0 || n >= sizeof(ch))
			goto bad;
		memcpy(ch, slash + 1, n);
		ch[n] = '\0';
		c = service_channel_parse(ch);
	}
	n = (size_t)(comma - eq - 1);
	if (n == 0 || n >= sizeof(a) || strlen(comma + 1) >= sizeof(b))
		goto bad;
	memcpy(a, eq + 1, n);
	a[n] = '\0';
	snprintf(b, sizeof(b), "%s", comma + 1);
	if (crm_bizcal_duration(a, &first, err) < 0 ||
	    crm_bizcal_duration(b, &res, err) < 0)
		return crm_error_prefix(err, "target '%s'", spec);
	if (first <= 0 || res <= 0)
		goto bad;
	if ((st = crm_db_stmt(db, "INSERT INTO service_policy (priority,"
	    " channel, first_response, resolution) VALUES (?, ?, ?, ?)"
	    " ON CONFLICT (priority, channel) DO UPDATE SET"
	    " first_response = excluded.first_response,"
	    " resolution = excluded.resolution", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, p, err) < 0 ||
	    crm_db_bind_text(db, st, 2, c, err) < 0 ||
	    crm_db_bind_int(db, st, 3, first, err) < 0 ||
	    crm_db_bind_int(db, st, 4, res, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
bad:
	return crm_error_set(err, CRM_EUSAGE, "target '%s' is not"
	    " PRIORITY[/CHANNEL]=FIRST,RESOLUTION (e.g. urgent=1h,4h)", spec);
}

int
crm_service_change(struct crm_db *db, const struct crm_service_change *c,
    struct crm_error *err)
{
	const char *eq;
	char *date;
	size_t i;
	int rc;

	if ((c->hours != NULL || c->zone != NULL) &&
	    crm_service_set_hours(db, c->hours, c->zone, err) < 0)
		return -1;
	for (i = 0; i < c->nholiday; i++) {
		if ((eq = strchr(c->holiday[i], '=')) == NULL) {
			if (crm_service_add_holiday(db, c->holiday[i], NULL,
			    err) < 0)
				return -1;
			continue;
		}
		if ((date = strndup(c->holiday[i],
		    (size_t)(eq - c->holiday[i]))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		rc = crm_service_add_holiday(db, date, eq + 1, err);
		free(date);
		if (rc < 0)
			return -1;
	}
	for (i = 0; i < c->ntarget; i++)
		if (crm_service_set_target(db, c->target[i], err) < 0)
			return -1;
	return 0;
}
void
service_policy_free(struct policy *p)
{
	crm_bizcal_free(p->cal);
	free(p->t);
}

int
service_policy_load(struct crm_db *db, struct policy *p, struct crm_error *err)
{
	struct crm_stmt *st;
	struct target *nt;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((p->cal = crm_bizcal_new(err)) == NULL)
		return -1;
	if ((st = crm_db_stmt(db, "SELECT key, value FROM service_calendar"
	    " ORDER BY key", err)) == NULL)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *k = crm_db_col_text(st, 0);
		const char *v = crm_db_col_text(st, 1);

		if ((strcmp(k, "hours") == 0 &&
		    crm_bizcal_hours(p->cal, v, err) < 0) ||
		    (strcmp(k, "zone") == 0 &&
		    crm_bizcal_zone(p->cal, v, err) < 0) ||
		    (strncmp(k, "holiday ", 8) == 0 &&
		    crm_bizcal_holiday(p->cal, k + 8, err) < 0)) {
			crm_db_reset(st);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	if ((st = crm_db_stmt(db, "SELECT priority, channel, first_response,"
	    " resolution FROM service_policy", err)) == NULL)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if ((nt = reallocarray(p->t, p->n + 1, sizeof(*nt))) == NULL) {
			crm_db_reset(st);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		p->t = nt;
		snprintf(nt[p->n].priority, sizeof(nt->priority), "%s",
		    crm_db_col_text(st, 0));
		snprintf(nt[p->n].channel, sizeof(nt->channel), "%s",
		    crm_db_col_text(st, 1));
		nt[p->n].first = crm_db_col_int(st, 2);
		nt[p->n].res = crm_db_col_int(st, 3);
		p->n++;
	}
	if (rc < 0)
		goto fail;
	/* The defaults, behind whatever was set. */
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		if ((nt = reallocarray(p->t, p->n + 1, sizeof(*nt))) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		p->t = nt;
		snprintf(nt[p->n].priority, sizeof(nt->priority), "%s",
		    defaults[i].priority);
		nt[p->n].channel[0] = '\0';
		nt[p->n].first = defaults[i].first;
		nt[p->n].res = defaults[i].res;
		p->n++;
	}
	return 0;
fail:
	service_policy_free(p);
	return -1;
}

const struct target *
service_policy_for(const struct policy *p, const char *priority, const char *channel)
{
	size_t i;

	if (channel != NULL)
		for (i = 0; i < p->n; i++)
			if (strcmp(p->t[i].priority, priority) == 0 &&
			    strcmp(p->t[i].channel, channel) == 0)
				return &p->t[i];
	for (i = 0; i < p->n; i++)
		if (strcmp(p->t[i].priority, priority) == 0 &&
		    p->t[i].channel[0] == '\0')
			return &p->t[i];
	return &p->t[p->n - 2];	/* normal */
}

static void
dur(char *out, size_t n, int64_t s)
{
	if (s % 3600 == 0)
		snprintf(out, n, "%lldh", (long long)(s / 3600));
	else
		snprintf(out, n, "%lldm", (long long)(s / 60));
}

int
crm_service_policy(struct crm_db *db, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "setting", "value" };
	struct crm_stmt *st;
	struct policy p;
	const char *v[2];
	char key[48], val[64], a[24], b[24];
	size_t i, j;
	int rc;

	if (crm_out_header(o, names, NULL, 2, err) < 0 ||
	    service_policy_load(db, &p, err) < 0)
		return -1;
	v[0] = "hours";
	v[1] = "24x7";
	rc = 0;
	if ((st = crm_db_stmt(db, "SELECT key, value FROM service_calendar"
	    " ORDER BY key = 'hours' DESC, key = 'zone' DESC, key",
	    err)) == NULL) {
		service_policy_free(&p);
		return -1;
	}
	while (rc == 0 && (rc = crm_db_step(db, st, err)) == 1) {
		v[0] = crm_db_col_text(st, 0);
		v[1] = crm_db_col_text(st, 1);
		rc = crm_out_row(o, v, err) < 0 ? -1 : 0;
	}
	if (rc < 0) {
		crm_db_reset(st);
		service_policy_free(&p);
		return -1;
	}
	for (i = 0; i < p.n; i++) {
		/* Defaults hidden by a setting of the same key. */
		for (j = 0; j < i; j++)
			if (strcmp(p.t[j].priority, p.t[i].priority) == 0 &&
			    strcmp(p.t[j].channel, p.t[i].channel) == 0)
				break;
		if (j < i)
			continue;
		snprintf(key, sizeof(key), "target %s%s%s", p.t[i].priority,
		    p.t[i].channel[0] ? "/" : "", p.t[i].channel);
		dur(a, sizeof(a), p.t[i].first);
		dur(b, sizeof(b), p.t[i].res);
		snprintf(val, sizeof(val), "%s,%s", a, b);
		v[0] = key;
		v[1] = val;
		if (crm_out_row(o, v, err) < 0) {
			service_policy_free(&p);
			return -1;
		}
	}
	service_policy_free(&p);
	return 0;
}

int
crm_service_by_parse(const char *s, enum crm_service_by *by,
    struct crm_error *err)
{
	static const char *const names[] = {
		"all", "team", "assignee", "channel", "priority", "month"
	};
	int i;

	for (i = 0; i < 6; i++)
		if (strcmp(s, names[i]) == 0) {
			*by = (enum crm_service_by)i;
			return 0;
		}
	return crm_error_set(err, CRM_EUSAGE, "--by: '%s' is not one of all,"
	    " team, assignee, channel, priority, month", s);
}
