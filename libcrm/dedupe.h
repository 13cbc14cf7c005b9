/*
 * dedupe.h - finding duplicate contacts, merging them and undoing merges.
 *
 * Finding works on a set of records, loaded from the contacts of a
 * database or from any CSV/TSV file, in five steps:
 *
 *  1. Normalise.  Every value is folded (crm_match_fold: no case, no
 *     accents, punctuation a word break); emails and phone numbers are
 *     normalised as crm-add stores them, phones compared on their last
 *     nine digits, dates read as ISO 8601, postcodes and national ids
 *     without spaces.  Given and family names get their Double Metaphone
 *     codes.
 *  2. Block.  Each record gets a few keys: its email; its phone; its
 *     national id; its date of birth with the initial of its given name,
 *     and with its postcode; its postcode with the sound of either name;
 *     the sounds of its two names together, in either order (so that
 *     swapped names meet, and a nickname sounds as the name it stands
 *     for).  Records that share a
 *     key are candidate pairs.  A key shared by more than
 *     CRM_DEDUPE_BLOCK records pairs each of them only with its
 *     CRM_DEDUPE_WINDOW neighbours in name order (a sorted neighbourhood),
 *     so the number of pairs grows linearly with the number of records,
 *     never with its square.
 *  3. Compare.  Each field of a candidate pair gets a level: 3 the same,
 *     2 close (a typo, a nickname, a transposed digit), 1 similar, 0
 *     different, or missing when either side has no value (see
 *     crm-dedupe(1) for each field's rule).  When given and family names
 *     agree better crossed, they are compared crossed (a swap).
 *  4. Score.  Fellegi-Sunter (fs.h): u, the chance that two different
 *     people agree at each level, is measured on random pairs of records;
 *     m, the chance for two records of one person, is estimated without
 *     labels by EM over the pairs each kind of key brought, leaving out
 *     the fields that key biases (as Splink does); lambda, the chance that
 *     two random records match, by EM over all the candidates.  A pair's
 *     score is its match weight (log2 of the Bayes factor) with a
 *     term-frequency adjustment for exact agreement on names, city and
 *     postcode (agreeing on a rare value counts more than on a common
 *     one); its probability follows from the weight and lambda.
 *  5. Link.  Pairs whose probability reaches the threshold are matches;
 *     clusters are the connected components of the matches.
 *
 * Everything is deterministic: the same records in the same order give
 * the same output, bit for bit.
 *
 * In the database, a contact merged into another (merged_into) takes part
 * as an alternative record of its survivor: pairs are reported between
 * survivors, with the best score of their records, and records of the same
 * survivor are never paired.  Erased contacts take no part.
 */
#ifndef CRM_DEDUPE_H
#define CRM_DEDUPE_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

/* Blocks larger than this are paired by a sliding window of that width. */
#define CRM_DEDUPE_BLOCK 16
#define CRM_DEDUPE_WINDOW 4

/* The default threshold: a match probability. */
#define CRM_DEDUPE_THRESHOLD 0.9

struct crm_dedupe;

struct crm_dedupe_opts {
	double threshold;	/* match probability a match reaches, (0, 1) */
	int no_tf;		/* 1: no term-frequency adjustment */
	int64_t since;		/* db: only pairs with a contact created or
				   updated at or after this time; 0: all */
	/* Progress, called now and then during long steps; may be NULL. */
	void (*progress)(void *arg, int64_t n, const char *what);
	void *progress_arg;
};

struct crm_dedupe_stats {
	int64_t records;	/* records loaded */
	int64_t candidates;	/* distinct candidate pairs compared */
	int64_t matches;	/* pairs at or above the threshold */
	int64_t clusters;	/* clusters of two or more */
	int64_t in_clusters;	/* records in them */
	double lambda;		/* the chance that two random records match */
	int64_t repeated;	/* file: records repeating an earlier id */
	int64_t linked;		/* linking: subject records with a match */
};

/* A new, empty record set; free with crm_dedupe_free(). */
struct crm_dedupe *crm_dedupe_new(const struct crm_dedupe_opts *opts,
    struct crm_error *err);
void crm_dedupe_free(struct crm_dedupe *d);

/*
 * Load the contacts of db that are not erased (merged-away ones
 * included, see above).  Ids are contact ids.
 */
int crm_dedupe_load_db(struct crm_dedupe *d, struct crm_db *db,
    struct crm_error *err);

/*
 * Load every record of r (header not yet read).  idcol names the column
 * that identifies a record (not empty; records that repeat an id are
 * taken as one, each standing for the first with that id, the way a
 * merged-away contact stands for its survivor: counted in the stats'
 * repeated, never paired with each other, one cluster), or is NULL:
 * then the record number (1 for the first record after the header) is
 * the id.  map is NULL or a comma-separated list of
 * FIELD=COLUMN[+COLUMN...] (fields: see crm_dedupe_fields) that overrides
 * the columns found by name; several columns are joined with a space, as
 * a house number and a street.  Without a map a field takes the column of
 * its name or a common alias (given_name, surname, dob, zip, suburb,
 * ssn, ...), and the street also takes house-number and second
 * address-line columns.  The records are kept, so that
 * crm_dedupe_write_file() can write them back.  CRM_EUSAGE for a bad map
 * or a missing id column, CRM_EDATA (with file:line) for an empty id or
 * a bad file, CRM_EDATA when no column maps to a field.
 */
int crm_dedupe_load_csv(struct crm_dedupe *d, struct crm_csv *r,
    const char *idcol, const char *map, struct crm_error *err);

/*
 * Linking: the records loaded before this call are the reference (the
 * database's contacts, or a file), those loaded after it the subject
 * (load the database, if any, first).  crm_dedupe_run() then pairs only
 * records of different sides, fits the model on such pairs (u on random
 * pairs across, lambda over all of them) and matches as usual;
 * crm_dedupe_write_links() writes the subject.
 */
void crm_dedupe_link_subject(struct crm_dedupe *d);

/* The fields compared, comma-separated, for messages and usage. */
extern const char crm_dedupe_fields[];

/*
 * Block, compare, fit and link (steps 2 to 5 above).  With fewer than two
 * records or no candidate pair there is no model and no match, which is
 * not an error.  CRM_EFAIL on ENOMEM or for 2^28 records or more.
 */
int crm_dedupe_run(struct crm_dedupe *d, struct crm_error *err);

/*
 * Write the matches to o, one per line, ordered by the ids:
 * id_a, id_b, name_a, name_b, score, probability, then the level of each
 * field compared (empty when missing).  In the database the ids are
 * survivors' contact ids and name_a/name_b their names.
 */
int crm_dedupe_write_pairs(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err);

/*
 * Write the clusters: cluster_id, id, name, one line per record of each
 * cluster of two or more, clusters in order of their ids.  A cluster's id
 * is its lowest contact id in the database, and the id of its first record
 * in a file, so it stays when records are added later.
 */
int crm_dedupe_write_clusters(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err);

/*
 * File mode: write every record back as read, in order, with a cluster_id
 * column (every record has one: its own id when it has no duplicate).  A
 * cluster_id column in the input is replaced.
 */
int crm_dedupe_write_file(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err);

/*
 * Linking: every subject record back as read, in order, with matched_id
 * (the contact id or the reference record's id of its best match at or
 * above the threshold, empty for none), its probability and score.
 * Records of the subject that repeat an id share their first's match.
 */
int crm_dedupe_write_links(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err);

/*
 * The fitted model: field, level, m, u and weight (log2 m/u) for each
 * field and level, and a line "lambda" with the share of matches.
 */
int crm_dedupe_write_model(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err);

const struct crm_dedupe_stats *crm_dedupe_stats(const struct crm_dedupe *d);

#endif
