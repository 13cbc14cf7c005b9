/*
 * profile.h - real exports in, as their systems write them.
 *
 * An import profile says how one system's export maps onto crm's columns:
 * which header names become which columns, which values become which
 * (HubSpot's "Marketing Qualified Lead" is a lead), the date format, the
 * decimal separator, the phone region, and constant columns (every Shopify
 * order is a purchase on the web).  Profiles are small text files, one
 * directive a line, '#' starting a comment (crm-import(5)):
 *
 *	says     hubspot contacts export
 *	for      crm-add
 *	detect   Record ID, Lifecycle Stage, Create Date
 *	column   Record ID = external_id
 *	value    stage: Marketing Qualified Lead = lead
 *	default  channel = web
 *	date-format %Y-%m-%d %H:%M
 *	decimal  ,
 *	region   US
 *	ignore   Summation column
 *	others   ignore
 *
 * The profiles shipped in profiles/ are built into the programs (and
 * installed as examples); files in the directories of $CRM_PROFILES
 * (colon-separated) come first.  A file is recognised by its header: a
 * profile matches when every detect name is in it, and the one with the
 * most detect names wins.
 *
 * Command-line maps (--map, --map-value) apply after the profile, so they
 * override it.  A column named "reason" (crm's own rejects files) is
 * ignored unless something maps it.
 */
#ifndef CRM_PROFILE_H
#define CRM_PROFILE_H

#include <getopt.h>

#include "csvio.h"
#include "error.h"

#define CRM_IMPORT_MAX_MAPS 64

/* What the command line says about the input files. */
struct crm_import_opts {
	struct crm_csv_dialect dialect;
	int no_header;
	const char *profile;	/* NULL: detect; "none"; a name or a file */
	size_t nmap, nmapv;
	const char *map[CRM_IMPORT_MAX_MAPS];	/* "From=to,..." */
	const char *mapv[CRM_IMPORT_MAX_MAPS];	/* "col:from=to,..." */
};

/* Options crm-add and crm-log share, for their getopt tables. */
#define CRM_IMPORT_SHORTOPTS "E:F:HM:P:"
enum {
	CRM_OPT_COLUMNS = 0x3000, CRM_OPT_DATE_FORMAT, CRM_OPT_DECIMAL,
	CRM_OPT_MAP_VALUE,
};
#define CRM_IMPORT_LONGOPTS \
	{ "columns", required_argument, NULL, CRM_OPT_COLUMNS }, \
	{ "date-format", required_argument, NULL, CRM_OPT_DATE_FORMAT }, \
	{ "decimal", required_argument, NULL, CRM_OPT_DECIMAL }, \
	{ "delimiter", required_argument, NULL, 'F' }, \
	{ "encoding", required_argument, NULL, 'E' }, \
	{ "map", required_argument, NULL, 'M' }, \
	{ "map-value", required_argument, NULL, CRM_OPT_MAP_VALUE }, \
	{ "no-header", no_argument, NULL, 'H' }, \
	{ "profile", required_argument, NULL, 'P' }

/*
 * Take one of those options: 1 if it was one, 0 if not, -1 with err
 * (CRM_EUSAGE) for a bad value.
 */
int crm_import_opt(struct crm_import_opts *o, int opt, const char *arg,
    struct crm_error *err);

/* Check the options taken together (--no-header needs --columns). */
int crm_import_check(const struct crm_import_opts *o, struct crm_error *err);

/* Open path with the dialect the options give (tsv: -t was given). */
struct crm_csv *crm_import_open(const struct crm_import_opts *o,
    const char *path, int tsv, struct crm_error *err);

/* What crm_import_prepare() did to a file, for messages. */
struct crm_import_info {
	char profile[64];	/* the profile's name, "" for none */
	char says[128];		/* "hubspot contacts export" */
	char region[8];		/* the profile's phone region, or "" */
};

/*
 * Read r's header and map it for program ("crm-add", "crm-log"): the
 * profile (detected or named), then --map and --map-value.  Call before
 * the importer's header function.
 */
int crm_import_prepare(struct crm_csv *r, const struct crm_import_opts *o,
    const char *program, struct crm_import_info *info,
    struct crm_error *err);

/*
 * Every profile known for program (NULL: all), as "name\tsays\n" lines
 * into a malloc'd string (for --profile list and messages).
 */
char *crm_profile_list(const char *program, struct crm_error *err);

#endif
