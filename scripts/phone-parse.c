/*
 * phone-parse - what crm-add spends on phones and countries, for
 * scripts/bench: reads the phone and country columns of a contacts file
 * into memory, then times (processor time) crm_norm_country() and
 * crm_phone_parse() over them exactly as an import calls them, and
 * prints "SECONDS NUMBERS VALID".
 *
 *   scripts/phone-parse contacts.csv
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csvio.h"
#include "norm.h"
#include "phone.h"

int
main(int argc, char **argv)
{
	static const struct crm_csv_col cols[] = {
		{ "phone", "phone_number|telephone|tel|mobile" },
		{ "country", "country_code" },
	};
	struct crm_error err;
	struct crm_csv *r;
	struct crm_phone p;
	char **ph = NULL, **co = NULL;
	size_t n = 0, cap = 0, i, valid = 0;
	struct timespec t0, t1;
	int idx[2], rc;

	if (argc != 2) {
		fprintf(stderr, "usage: phone-parse file\n");
		return 2;
	}
	if ((r = crm_csv_open(argv[1], 0, &err)) == NULL ||
	    crm_csv_header(r, cols, 2, idx, &err) < 0)
		goto fail;
	while ((rc = crm_csv_next(r, &err)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			ph = realloc(ph, cap * sizeof(*ph));
			co = realloc(co, cap * sizeof(*co));
			if (ph == NULL || co == NULL)
				return 1;
		}
		ph[n] = strdup(crm_csv_field(r, idx[0]));
		co[n] = strdup(crm_csv_field(r, idx[1]));
		n++;
	}
	if (rc < 0)
		goto fail;
	crm_csv_close(r);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	for (i = 0; i < n; i++) {
		const char *region = NULL, *iso;

		if (!crm_blank(co[i]) && (iso = crm_norm_country(co[i])) !=
		    NULL && crm_phone_region_known(iso))
			region = iso;
		if (!crm_blank(ph[i]) &&
		    crm_phone_parse(ph[i], region, &p, &err) == 0)
			valid++;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	printf("%.3f %zu %zu\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, n, valid);
	return 0;
fail:
	fprintf(stderr, "phone-parse: %s\n", err.msg);
	return 1;
}
