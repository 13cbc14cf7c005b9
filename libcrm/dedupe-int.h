/*
 * dedupe-int.h - what the parts of crm-dedupe's finder share; not for use
 * outside libcrm/dedupe-*.c.
 *
 *	dedupe-load.c		the record set: new, free, records from the
 *				database or a CSV file, normalised
 *	dedupe-compare.c	a pair of records field by field: its levels
 *	dedupe-block.c		blocking keys and candidate pairs, name
 *				order, term frequencies
 *	dedupe-score.c		Fellegi-Sunter: u, m by EM, lambda; the
 *				matches and clusters (crm_dedupe_run)
 *	dedupe-write.c		pairs, clusters, the file, the model
 *
 * The arrows run one way: load, compare and block know no model; score
 * calls all three; write reads what score left.
 */
#ifndef CRM_DEDUPE_INT_H
#define CRM_DEDUPE_INT_H

#include <stdint.h>

#include "buf.h"
#include "dedupe.h"
#include "fs.h"

enum { F_FIRST, F_LAST, F_EMAIL, F_PHONE, F_BIRTH, F_STREET, F_CITY,
    F_POSTCODE, F_COMPANY, F_NATID, NF };

/* The fields' names, as dedupe.h's crm_dedupe_fields lists them. */
extern const char *const dedupe_fname[NF];

/* A record's text: the fields, then street, city, company words sorted. */
#define NSLOT (NF + 3)
extern const int dedupe_sorted_slot[NF];

#define NLEVELS 4
#define MAXCP 256		/* code points of a value that are compared */
#define PHONE_DIGITS 9		/* phones agree on their last digits */
#define TEXT_MAX ((size_t)UINT32_MAX)
/* Fields whose exact agreement is weighed by how common the value is. */
#define NTF 4
extern const int dedupe_tf_field[NTF];

struct rec {
	uint32_t off[NSLOT];	/* folded value in d->text, NUL-terminated */
	uint16_t len[NSLOT];	/* its length; 0 when missing */
	uint32_t name;		/* the name as written, for people */
	uint32_t id;		/* file: the id as written */
	uint32_t root;		/* the record this one stands for */
	int64_t cid;		/* database: the contact id */
	float tf[NTF];		/* share of records with each tf field value */
	char dm[4][5];		/* Double Metaphone: given 1/2, family 1/2 */
	unsigned char isnew;	/* incremental: created or updated since */
	unsigned char nick;	/* 1 << f: name f is a known nickname */
	unsigned char src;	/* linking: 0 the reference, 1 the subject */
};

/* A candidate pair, its comparison pattern and its kinds of key. */
struct cand {
	uint32_t a, b;
	uint32_t pat;
	uint32_t rules;
};

/* A match between two records (in the database: between survivors). */
struct match {
	uint32_t a, b;		/* a < b */
	uint32_t ra, rb;	/* the records compared (of a and of b) */
	double weight, prob;
	signed char g[NF];
};

/* File mode: the columns joined into each field. */
#define MAXJOIN 4
struct fmap {
	int col[NF][MAXJOIN];	/* columns joined into each field, -1 */
	int ncol[NF];
};

/* A set of distinct comparison patterns, numbered as they come. */
struct patset {
	signed char *pat;	/* n patterns of NF levels */
	size_t n, a;
	size_t *tab;		/* open addressing: pattern number + 1 */
	size_t cap;
};

struct crm_dedupe {
	struct crm_dedupe_opts opts;
	struct crm_buf text;	/* every value, NUL-terminated */
	struct rec *rec;
	size_t nrec, arec;
	int dbmode;
	int linking;		/* records from nref on are the subject */
	size_t nref;
	struct crm_db *db;	/* db mode: for the values as written */
	struct fmap fmap;	/* file mode: the columns of each field */
	int present[NF];	/* some record has the field */

	/* File mode: the records as read. */
	struct crm_buf rows;	/* each record's fields, NUL-separated */
	size_t *rowoff, arowoff;
	size_t ncols;
	char **colnames;
	int cluster_col;	/* an input column called cluster_id, or -1 */

	/* The model and its patterns. */
	int fitted;
	struct crm_fs_model fs;
	struct patset pats;
	double *pwh;		/* each pattern's household weight */
	double lambda_h;	/* the share of pairs in one household */

	struct cand *cand;
	size_t ncand;
	struct match *match;
	size_t nmatch;
	uint32_t *cluster;	/* record -> record that names its cluster */
	double urand[NF * NLEVELS];	/* u measured on random pairs */
	struct crm_dedupe_stats st;
};


/* The kinds of blocking key, in order (see dedupe-block.c). */
#define DEDUPE_KEY_KINDS "EPNDZIB"

/* Candidate pairs as dedupe_block() finds them. */
struct pairs {
	uint64_t *p;
	size_t n, a;
};

/*
 * A pair packed as record a (28 bits), record b (28 bits) and the kinds of
 * key that brought it (8 bits), so that sorting puts a pair's entries
 * together.
 */
#define PAIR_A(p) ((uint32_t)((p) >> 36))
#define PAIR_B(p) ((uint32_t)((p) >> 8) & 0xfffffff)
#define PAIR_RULES(p) ((unsigned)((p) & 0xff))
#define MAXREC (1u << 28)

static inline const char *
txt(const struct crm_dedupe *d, uint32_t off)
{
	return d->text.s + off;
}

static inline const char *
val(const struct crm_dedupe *d, const struct rec *r, int f)
{
	return d->text.s + r->off[f];
}

/* dedupe-load.c */

/* p grown to hold need items of size bytes (doubling); NULL on ENOMEM. */
void *dedupe_grow(void *p, size_t *alloc, size_t need, size_t size);
/* The caller's progress callback, if any. */
void dedupe_progress(struct crm_dedupe *d, int64_t n, const char *what);

/*
 * The values of record i as written (not folded), v[f] for each field or
 * NULL; buf holds them until the next call.  CRM_EFAIL on a database
 * error or ENOMEM.
 */
int dedupe_rec_values(struct crm_dedupe *d, uint32_t i, const char *v[NF],
    struct crm_buf *buf, struct crm_error *err);

/* dedupe-compare.c */

/* The comparison vector of records x and y: a level for each field. */
void dedupe_compare(const struct crm_dedupe *d, const struct rec *x,
    const struct rec *y, signed char g[NF]);

/* dedupe-block.c */

/* The candidate pairs of the records in order (name order); see there. */
int dedupe_block(struct crm_dedupe *d, const uint32_t *order,
    struct pairs *ps, struct crm_error *err);
/* Record numbers in name order; NULL on ENOMEM.  Free it. */
uint32_t *dedupe_name_order(const struct crm_dedupe *d);
/* Fill each record's tf[]; -1 on ENOMEM. */
int dedupe_term_freq(struct crm_dedupe *d);

/* dedupe-score.c */

void dedupe_patset_release(struct patset *ps);

#endif
