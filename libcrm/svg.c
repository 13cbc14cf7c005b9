#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "norm.h"
#include "svg.h"

/* Okabe-Ito, in an order that keeps neighbours apart; yellow late, as
 * it is faint on white. */
static const char *const palette[8] = {
	"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
	"#F0E442", "#000000",
};

static const char *const dashes[4] = { NULL, "6 3", "2 3", "8 3 2 3" };

#define CHAR_W 6.2	/* mean width of an 11px sans-serif character */

const char *
crm_svg_colour(size_t i)
{
	return palette[i % 8];
}

/* The colour of series k's bar in category i. */
static const char *
bar_colour(const struct crm_chart_series *s, size_t k, size_t i)
{
	if (s->colours != NULL && s->colours[i] != NULL)
		return s->colours[i];
	return s->colour ? s->colour : crm_svg_colour(k);
}

/* The length of the UTF-8 sequence starting at s, or 0 if invalid. */
static size_t
seqlen(const unsigned char *s)
{
	size_t n = s[0] < 0xc0 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 :
	    s[0] < 0xf8 ? 4 : 0;
	size_t i;

	for (i = 1; i < n; i++)
		if (s[i] == '\0')
			return 0;
	return n > 0 && crm_utf8_valid((const char *)s, n) ? n : 0;
}

void
crm_svg_escape(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (s == NULL)
		return;
	while (*p) {
		switch (*p) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		case '\t': case '\n': fputc(*p, fp); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputs("\xef\xbf\xbd", fp);
			else if (*p < 0x80)
				fputc(*p, fp);
			else if ((n = seqlen(p)) > 0) {
				fwrite(p, 1, n, fp);
				p += n;
				continue;
			} else
				fputs("\xef\xbf\xbd", fp);
		}
		p++;
	}
}

/* Code points in s (invalid bytes count one each). */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; s != NULL && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* s escaped, cut to at most max code points with an ellipsis. */
static void
escape_cut(FILE *fp, const char *s, size_t max)
{
	char buf[512];
	size_t i = 0, n = 0;

	if (s == NULL || width(s) <= max) {
		crm_svg_escape(fp, s);
		return;
	}
	while (s[i] && i < sizeof(buf) - 4) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++n > max - 1)
			break;
		buf[i] = s[i];
		i++;
	}
	memcpy(buf + i, "\xe2\x80\xa6", 4);	/* U+2026 */
	crm_svg_escape(fp, buf);
}

size_t
crm_svg_ticks(double lo, double hi, size_t want, double *first, double *step)
{
	double raw, mag, r, s, a, b;

	if (!(hi > lo))
		hi = lo + 1;
	if (want < 1)
		want = 1;
	raw = (hi - lo) / (double)want;
	mag = pow(10, floor(log10(raw)));
	r = raw / mag;
	s = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
	a = floor(lo / s + 1e-9);
	b = ceil(hi / s - 1e-9);
	*first = a * s;
	*step = s;
	return (size_t)(b - a) + 1;
}

void
crm_svg_number(double v, double step, int percent, char out[32])
{
	const char *suffix = "";
	int d;

	if (percent) {
		v *= 100;
		step *= 100;
		suffix = "%";
	} else if (step >= 1e6) {
		v /= 1e6;
		step /= 1e6;
		suffix = "M";
	} else if (step >= 1e3) {
		v /= 1e3;
		step /= 1e3;
		suffix = "k";
	}
	d = step > 0 && step < 1 ? (int)ceil(-log10(step) - 1e-9) : 0;
	if (d > 6)
		d = 6;
	if (fabs(v) < step * 1e-6)
		v = 0;	/* no "-0" */
	snprintf(out, 32, "%.*f%s", d, v, suffix);
}

struct layout {
	double w, h;		/* canvas */
	double x0, x1, y0, y1;	/* plot area: x0 left, y0 top */
	double vlo, vhi;	/* value range */
	double first, step;
	size_t nticks;
};

/* The lowest and highest value the chart shows, zero included. */
static int
range(const struct crm_chart *c, double *lo, double *hi,
    struct crm_error *err)
{
	size_t i, k;

	*lo = *hi = 0;
	for (i = 0; i < c->ncat; i++) {
		double sum = 0;

		for (k = 0; k < c->nser; k++) {
			const struct crm_chart_series *s = &c->ser[k];
			double v = s->v[i];

			if (isnan(v))
				continue;
			if (!isfinite(v))
				return crm_error_set(err, CRM_EUSAGE,
				    "chart '%s': a value is infinite",
				    c->title ? c->title : "");
			if (c->kind == CRM_CHART_STACKED) {
				if (v < 0)
					return crm_error_set(err, CRM_EUSAGE,
					    "chart '%s': a stacked value is"
					    " negative", c->title ? c->title :
					    "");
				sum += v;
				continue;
			}
			*lo = fmin(*lo, v);
			*hi = fmax(*hi, v);
			if (s->lo != NULL && isfinite(s->lo[i]))
				*lo = fmin(*lo, s->lo[i]);
			if (s->hi != NULL && isfinite(s->hi[i]))
				*hi = fmax(*hi, s->hi[i]);
		}
		*hi = fmax(*hi, sum);
	}
	return 0;
}

/* 1 if every value to draw is a whole number (counts). */
static int
integral(const struct crm_chart *c)
{
	size_t i, k;

	for (k = 0; k < c->nser; k++)
		for (i = 0; i < c->ncat; i++) {
			double v = c->ser[k].v[i];

			if (!isnan(v) && v != floor(v))
				return 0;
			if (c->ser[k].lo != NULL || c->ser[k].hi != NULL)
				return 0;
		}
	return 1;
}

/* Legend rows needed for the series names in width w. */
static int
legend(FILE *fp, const struct crm_chart *c, double x, double y, double w,
    int draw)
{
	double cx = x;
	int rows = 1;
	size_t k;

	if (c->nser < 2)
		return 0;
	for (k = 0; k < c->nser; k++) {
		double iw = 16 + CHAR_W * (double)width(c->ser[k].name) + 14;
		const char *col = c->ser[k].colour ? c->ser[k].colour :
		    crm_svg_colour(k);

		if (cx > x && cx + iw > x + w) {
			cx = x;
			y += 16;
			rows++;
		}
		if (draw) {
			if (c->kind == CRM_CHART_POINTS)
				fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\""
				    " r=\"4.5\" fill=\"%s\"/>", cx + 5, y - 4,
				    col);
			else if (c->kind == CRM_CHART_LINES)
				fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\""
				    " x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
				    " stroke-width=\"2\"%s%s%s/>", cx,
				    y - 4, cx + 12, y - 4, col,
				    dashes[k % 4] ? " stroke-dasharray=\"" :
				    "", dashes[k % 4] ? dashes[k % 4] : "",
				    dashes[k % 4] ? "\"" : "");
			else
				fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\""
				    " width=\"10\" height=\"10\" fill=\"%s\"/>",
				    cx, y - 9, col);
			fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\">", cx + 16, y);
			crm_svg_escape(fp, c->ser[k].name);
			fputs("</text>\n", fp);
		}
		cx += iw;
	}
	return rows;
}

/* Where value v falls on the value axis, in px. */
static double
vpos(const struct layout *l, double v, int horizontal)
{
	double f = (v - l->vlo) / (l->vhi - l->vlo);

	return horizontal ? l->x0 + f * (l->x1 - l->x0) :
	    l->y1 - f * (l->y1 - l->y0);
}

static void
whisker(FILE *fp, const struct layout *l, double at, double lo, double hi,
    int horizontal)
{
	double a = vpos(l, lo, horizontal), b = vpos(l, hi, horizontal);

	if (!isfinite(lo) || !isfinite(hi))
		return;
	if (horizontal)
		fprintf(fp, "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f"
		    " %.1fV%.1f\" stroke=\"#000\" stroke-width=\"1.5\""
		    " fill=\"none\"/>\n", a, at, b, a, at - 4, at + 4, b,
		    at - 4, at + 4);
	else
		fprintf(fp, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f"
		    " %.1fH%.1f\" stroke=\"#000\" stroke-width=\"1.5\""
		    " fill=\"none\"/>\n", at, a, b, at - 4, a, at + 4,
		    at - 4, b, at + 4);
}

/* Grid lines, tick labels and the value axis label. */
static void
value_axis(FILE *fp, const struct crm_chart *c, const struct layout *l,
    int horizontal)
{
	size_t i;

	for (i = 0; i < l->nticks; i++) {
		double v = l->first + (double)i * l->step;
		double p = vpos(l, v, horizontal);
		char num[32];

		crm_svg_number(v, l->step, c->percent, num);
		if (horizontal)
			fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
			    " y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\""
			    " y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			    p, l->y0, p, l->y1, p, l->y1 + 14, num);
		else
			fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
			    " y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\""
			    " y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
			    l->x0, p, l->x1, p, l->x0 - 5, p + 4, num);
	}
	if (horizontal) {
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
		    " y2=\"%.1f\" stroke=\"#333\"/>\n", vpos(l, 0, 1), l->y0,
		    vpos(l, 0, 1), l->y1);
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		    (l->x0 + l->x1) / 2, l->h - 8);
	} else {
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\""
		    " y2=\"%.1f\" stroke=\"#333\"/>\n", l->x0, vpos(l, 0, 0),
		    l->x1, vpos(l, 0, 0));
		fprintf(fp, "<text transform=\"rotate(-90 14 %.1f)\" x=\"14\""
		    " y=\"%.1f\" text-anchor=\"middle\">", (l->y0 + l->y1) / 2,
		    (l->y0 + l->y1) / 2);
	}
	crm_svg_escape(fp, c->value_label);
	fputs("</text>\n", fp);
}

/* Vertical kinds: bars, stacked bars, lines. */
static void
draw_vertical(FILE *fp, const struct crm_chart *c, struct layout *l)
{
	double band = (l->x1 - l->x0) / (double)c->ncat;
	size_t i, k, every, maxw = 0;

	for (i = 0; i < c->ncat; i++)
		if (width(c->cats[i]) > maxw)
			maxw = width(c->cats[i]);
	if (maxw > 24)
		maxw = 24;
	every = (size_t)ceil((CHAR_W * (double)maxw + 8) / band);
	if (every < 1)
		every = 1;
	for (i = 0; i < c->ncat; i++) {
		double cx = l->x0 + band * ((double)i + 0.5), base = 0;

		if ((c->ncat - 1 - i) % every == 0) {
			fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\""
			    " text-anchor=\"middle\">", cx, l->y1 + 14);
			escape_cut(fp, c->cats[i], 24);
			fputs("</text>\n", fp);
		}
		if (c->kind == CRM_CHART_LINES)
			continue;
		for (k = 0; k < c->nser && c->kind == CRM_CHART_POINTS; k++) {
			const struct crm_chart_series *s = &c->ser[k];
			double px = cx - band * 0.4 + band * 0.8 *
			    ((double)k + 0.5) / (double)c->nser;

			if (isnan(s->v[i]))
				continue;
			if (s->lo != NULL && s->hi != NULL)
				whisker(fp, l, px, s->lo[i], s->hi[i], 0);
			fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\""
			    " fill=\"%s\"/>\n", px, vpos(l, s->v[i], 0),
			    s->colour ? s->colour : crm_svg_colour(k));
		}
		if (c->kind == CRM_CHART_POINTS)
			continue;
		for (k = 0; k < c->nser; k++) {
			const struct crm_chart_series *s = &c->ser[k];
			const char *col = bar_colour(s, k, i);
			double v = s->v[i], bw, bx, a, b;

			if (isnan(v))
				continue;
			if (c->kind == CRM_CHART_STACKED) {
				bw = fmin(band * 0.8, 120);
				bx = cx - bw / 2;
				a = vpos(l, base + v, 0);
				b = vpos(l, base, 0);
				base += v;
			} else {
				/* A group of bars at most 160 px wide. */
				bw = fmin(band * 0.8, 160) / (double)c->nser;
				bx = cx - bw * (double)c->nser / 2 +
				    bw * (double)k;
				a = vpos(l, fmax(v, 0), 0);
				b = vpos(l, fmin(v, 0), 0);
			}
			if (b - a > 0.05)
				fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\""
				    " width=\"%.1f\" height=\"%.1f\""
				    " fill=\"%s\"/>\n", bx, a, bw > 1.5 ?
				    bw - 0.5 : bw, b - a, col);
			if (s->lo != NULL && s->hi != NULL &&
			    c->kind == CRM_CHART_BARS)
				whisker(fp, l, bx + bw / 2, s->lo[i], s->hi[i],
				    0);
		}
	}
	if (c->kind != CRM_CHART_LINES)
		return;
	for (k = 0; k < c->nser; k++) {
		const struct crm_chart_series *s = &c->ser[k];
		const char *col = s->colour ? s->colour : crm_svg_colour(k);
		int open = 0;

		for (i = 0; i <= c->ncat; i++) {
			double cx = l->x0 + band * ((double)i + 0.5);

			if (i == c->ncat || isnan(s->v[i])) {
				if (open)
					fputs("\"/>\n", fp);
				open = 0;
				continue;
			}
			if (!open)
				fprintf(fp, "<polyline fill=\"none\""
				    " stroke=\"%s\" stroke-width=\"2\"%s%s%s"
				    " points=\"", col, dashes[k % 4] ?
				    " stroke-dasharray=\"" : "",
				    dashes[k % 4] ? dashes[k % 4] : "",
				    dashes[k % 4] ? "\"" : "");
			fprintf(fp, "%s%.1f,%.1f", open ? " " : "", cx,
			    vpos(l, s->v[i], 0));
			open = 1;
		}
		for (i = 0; i < c->ncat; i++) {
			double cx = l->x0 + band * ((double)i + 0.5);

			if (isnan(s->v[i]))
				continue;
			fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\""
			    " fill=\"%s\"/>\n", cx, vpos(l, s->v[i], 0), col);
			if (s->lo != NULL && s->hi != NULL)
				whisker(fp, l, cx, s->lo[i], s->hi[i], 0);
		}
	}
}

static void
draw_horizontal(FILE *fp, const struct crm_chart *c, struct layout *l)
{
	double band = (l->y1 - l->y0) / (double)c->ncat;
	size_t i, k;

	for (i = 0; i < c->ncat; i++) {
		double cy = l->y0 + band * ((double)i + 0.5);

		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">",
		    l->x0 - 5, cy + 4);
		escape_cut(fp, c->cats[i], 28);
		fputs("</text>\n", fp);
		for (k = 0; k < c->nser; k++) {
			const struct crm_chart_series *s = &c->ser[k];
			const char *col = bar_colour(s, k, i);
			double v = s->v[i], bh, by, a, b;

			if (isnan(v))
				continue;
			bh = band * 0.8 / (double)c->nser;
			by = cy - band * 0.4 + bh * (double)k;
			a = vpos(l, fmin(v, 0), 1);
			b = vpos(l, fmax(v, 0), 1);
			if (b - a > 0.05)
				fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\""
				    " width=\"%.1f\" height=\"%.1f\""
				    " fill=\"%s\"/>\n", a, by, b - a,
				    bh > 1.5 ? bh - 0.5 : bh, col);
			if (s->lo != NULL && s->hi != NULL)
				whisker(fp, l, by + bh / 2, s->lo[i], s->hi[i],
				    1);
		}
	}
}

int
crm_svg_chart(FILE *fp, const struct crm_chart *c, struct crm_error *err)
{
	int horizontal = c->kind == CRM_CHART_HBARS, rows;
	struct layout l;
	size_t i, maxw = 0;
	double top;

	if (c->ncat == 0 || c->nser == 0)
		return crm_error_set(err, CRM_EUSAGE, "chart '%s': nothing to"
		    " draw", c->title ? c->title : "");
	memset(&l, 0, sizeof(l));
	if (range(c, &l.vlo, &l.vhi, err) < 0)
		return -1;
	l.nticks = crm_svg_ticks(l.vlo, l.vhi, 5, &l.first, &l.step);
	if (l.step < 1 && !c->percent && integral(c)) {
		/* Counts: no tick between two whole numbers. */
		l.first = floor(l.vlo);
		l.step = 1;
		l.nticks = (size_t)(ceil(l.vhi) - l.first) + 1;
		if (l.nticks < 2)
			l.nticks = 2;
	}
	l.vlo = l.first;
	l.vhi = l.first + l.step * (double)(l.nticks - 1);
	l.w = c->width > 0 ? c->width : 600;
	rows = legend(fp, c, 0, 0, l.w - 24, 0);
	top = 30 + 16 * rows + (rows ? 8 : 0);
	if (horizontal) {
		for (i = 0; i < c->ncat; i++)
			if (width(c->cats[i]) > maxw)
				maxw = width(c->cats[i]);
		if (maxw > 28)
			maxw = 28;
		l.x0 = 30 + CHAR_W * (double)maxw + 8;
		l.x1 = l.w - 24;
		l.y0 = top;
		l.h = c->height > 0 ? c->height : top + 44 + (double)c->ncat *
		    fmax(20, 12 * (double)c->nser + 8);
		l.y1 = l.h - 40;
	} else {
		for (i = 0; i < l.nticks; i++) {
			char num[32];

			crm_svg_number(l.first + (double)i * l.step, l.step,
			    c->percent, num);
			if (strlen(num) > maxw)
				maxw = strlen(num);
		}
		l.h = c->height > 0 ? c->height : 300;
		l.x0 = 26 + CHAR_W * (double)maxw + 8;
		l.x1 = l.w - 12;
		l.y0 = top;
		l.y1 = l.h - 40;
	}
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\""
	    " height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\""
	    " font-family=\"sans-serif\" font-size=\"11\" fill=\"#222\">\n"
	    "<title>", l.w, l.h, l.w, l.h);
	crm_svg_escape(fp, c->title);
	fprintf(fp, "</title>\n<rect width=\"%.0f\" height=\"%.0f\""
	    " fill=\"#fff\"/>\n<text x=\"12\" y=\"20\" font-size=\"14\""
	    " font-weight=\"bold\">", l.w, l.h);
	crm_svg_escape(fp, c->title);
	fputs("</text>\n", fp);
	legend(fp, c, 12, 42, l.w - 24, 1);
	value_axis(fp, c, &l, horizontal);
	if (horizontal) {
		draw_horizontal(fp, c, &l);
		fprintf(fp, "<text transform=\"rotate(-90 14 %.1f)\" x=\"14\""
		    " y=\"%.1f\" text-anchor=\"middle\">", (l.y0 + l.y1) / 2,
		    (l.y0 + l.y1) / 2);
	} else {
		draw_vertical(fp, c, &l);
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
		    (l.x0 + l.x1) / 2, l.h - 8);
	}
	crm_svg_escape(fp, c->cat_label);
	fputs("</text>\n</svg>\n", fp);
	if (ferror(fp))
		return crm_error_set(err, CRM_EFAIL, "write error: %s",
		    strerror(errno ? errno : EIO));
	return 0;
}
