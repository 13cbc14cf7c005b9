/*
 * svg.h - small charts as inline SVG, for reports read by people.
 *
 * One call draws one chart: a title, axes with labelled units and "nice"
 * ticks (steps of 1, 2 or 5 times a power of ten), a legend when there is
 * more than one series, and the marks:
 *
 *	CRM_CHART_BARS     grouped vertical bars, one per series in each
 *	                   category; bars start at zero, so negative values
 *	                   hang below the axis
 *	CRM_CHART_STACKED  the series stacked in each category (values >= 0)
 *	CRM_CHART_LINES    one line per series through the category centres,
 *	                   with a marker per point and a dash pattern per
 *	                   series, so that lines part even in grey print
 *	CRM_CHART_HBARS    grouped horizontal bars, the category names down
 *	                   the left (long names such as segments)
 *	CRM_CHART_POINTS   a marker per value, side by side per category, not
 *	                   joined: estimates with their intervals
 *
 * Any series may carry error bars (lo and hi per category: a 95% interval
 * say), drawn as a whisker with caps over its bar or point.  A value that
 * is NaN is missing: no bar, a gap in a line.
 *
 * Colours are the Okabe-Ito palette (Okabe & Ito 2008), told apart by
 * readers with any common form of colour blindness; series beyond eight
 * reuse it, so callers fold small series into an "other" one first.
 *
 * The output is a standalone, well-formed XML element <svg
 * xmlns="http://www.w3.org/2000/svg" ...> with role="img" and a <title>,
 * fit for inline use in HTML: every text given (title, labels, category
 * and series names) is escaped, so names from a database are safe.  It
 * uses no script, no external reference and no style sheet but its own
 * presentation attributes.  The numbers themselves are not printed on
 * the chart: the caller shows them in a table beside it.
 */
#ifndef CRM_SVG_H
#define CRM_SVG_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

enum crm_chart_kind {
	CRM_CHART_BARS,
	CRM_CHART_STACKED,
	CRM_CHART_LINES,
	CRM_CHART_HBARS,
	CRM_CHART_POINTS,
};

struct crm_chart_series {
	const char *name;	/* for the legend */
	const char *colour;	/* "#999999", or NULL for the palette's */
	const double *v;	/* ncat values; NaN for none */
	const double *lo, *hi;	/* error bars (ncat each), or NULL */
	const char *const *colours;	/* bars: one per category (NULL
					   entries: the series'), or NULL */
};

struct crm_chart {
	const char *title;
	const char *cat_label;	/* the category axis (under the chart, or
				   left of it for HBARS), with its unit */
	const char *value_label;	/* the value axis, with its unit */
	enum crm_chart_kind kind;
	size_t ncat;
	const char *const *cats;	/* category labels */
	size_t nser;
	const struct crm_chart_series *ser;
	int percent;		/* values are shares: ticks as 0%..100% */
	int width, height;	/* in px; 0 for 600 x 300 */
};

/*
 * Write the chart c to fp.  CRM_EUSAGE when it has no category or no
 * series, or a stacked chart has a negative value; CRM_EFAIL when fp
 * reports a write error.
 */
int crm_svg_chart(FILE *fp, const struct crm_chart *c, struct crm_error *err);

/*
 * Write s to fp escaped for XML and HTML text and attribute values: & < >
 * " and ' as character references, other control characters (but tab and
 * newline) as U+FFFD, invalid UTF-8 bytes likewise.  NULL writes nothing.
 */
void crm_svg_escape(FILE *fp, const char *s);

/* Colour i of the palette ("#0072B2"), i modulo 8. */
const char *crm_svg_colour(size_t i);

/*
 * Axis ticks for the range [lo, hi]: about want steps of a nice size.
 * *first and *step get the first tick (<= lo) and the step; the return
 * value is the number of ticks, the last >= hi.
 */
size_t crm_svg_ticks(double lo, double hi, size_t want, double *first,
    double *step);

/*
 * A tick value as people read it, into out[32]: 1500 as "1.5k", 2000000
 * as "2M", 0.25 as "25%" when percent, otherwise as few decimals as step
 * needs.
 */
void crm_svg_number(double v, double step, int percent, char out[32]);

#endif
