/*
 * tap.h - the smallest TAP producer for the C unit tests.
 *
 *	ok(cond, "name %d", i);	   one test
 *	is_str(got, want, "name");  string comparison with a diagnostic
 *	is_num(got, want, tol, "name"); |got - want| <= tol
 *	return tap_done();	    prints the plan, exit status 0 if all passed
 */
#ifndef CRM_TAP_H
#define CRM_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	return cond;
}

static int __attribute__((unused))
is_str(const char *got, const char *want, const char *name)
{
	int c = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	if (!ok(c, "%s", name))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return c;
}

static int __attribute__((unused))
is_num(double got, double want, double tol, const char *name)
{
	int c = isfinite(got) && fabs(got - want) <= tol;

	if (!ok(c, "%s", name))
		printf("#   got:  %.10g\n#   want: %.10g (tolerance %g)\n", got,
		    want, tol);
	return c;
}

static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
