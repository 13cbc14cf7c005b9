/*
 * interaction-add.c - one interaction written by a program rather than
 * read from a file: a task done, a ticket handed to another team.  Kept
 * beside interaction.c, which owns the table.
 */
#include <string.h>

#include "interaction.h"
#include "norm.h"

int
crm_log_add(struct crm_db *db, const struct crm_log_content *c,
    const char *ref, const char *source, struct crm_error *err)
{
	struct crm_stmt *st;
	unsigned char key[16];

	crm_log_content_key(c, key);
	if ((st = crm_db_stmt(db, "INSERT INTO interactions (contact_id, at,"
	    " channel, kind, direction, subject, note, ref, chash, source,"
	    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, ?11) ON CONFLICT DO NOTHING", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, c->contact, err) < 0 ||
	    crm_db_bind_int(db, st, 2, c->at, err) < 0 ||
	    crm_db_bind_text(db, st, 3, c->channel, err) < 0 ||
	    crm_db_bind_text(db, st, 4, c->kind, err) < 0 ||
	    crm_db_bind_text(db, st, 5, c->direction, err) < 0 ||
	    crm_db_bind_text(db, st, 6, c->text[2], err) < 0 ||
	    crm_db_bind_text(db, st, 7, c->text[3], err) < 0 ||
	    crm_db_bind_text(db, st, 8, ref, err) < 0 ||
	    crm_db_bind_blob(db, st, 9, key, sizeof(key), err) < 0 ||
	    crm_db_bind_text(db, st, 10, source, err) < 0 ||
	    crm_db_bind_int(db, st, 11, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}
