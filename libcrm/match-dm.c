/*
 * match-dm.c - Double Metaphone (see match.h, crm_match_dmetaphone()).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "match.h"
#include "match-int.h"

/* ---- Double Metaphone ---------------------------------------------- */

/*
 * The rules are Philips's, letter by letter; the comments name the words
 * each one is for.  The word is upper-case ASCII with C-cedilla written
 * 'c' and N-tilde 'n' (lower case: no rule mistakes them for C and N),
 * then five spaces, so that looking a little past the end is safe.
 */
#define DM_WORD 128

struct dm {
	char w[DM_WORD + 6];
	int len, last, slavo, max;
	char pri[CRM_MATCH_DM_MAX + 4], alt[CRM_MATCH_DM_MAX + 4];
	int np, na;
};

static char
dm_at(const struct dm *d, int pos)
{
	return pos < 0 || pos >= d->len + 5 ? '\0' : d->w[pos];
}

/* 1 if any of the NULL-terminated strings, all n long, is at pos. */
static int
dm_is(const struct dm *d, int pos, int n, ...)
{
	va_list ap;
	const char *s;
	int hit = 0;

	if (pos < 0 || pos + n > d->len + 5)
		return 0;
	va_start(ap, n);
	while (!hit && (s = va_arg(ap, const char *)) != NULL)
		hit = memcmp(d->w + pos, s, (size_t)n) == 0;
	va_end(ap);
	return hit;
}

static int
dm_vowel(const struct dm *d, int pos)
{
	if (pos < 0 || pos >= d->len)
		return 0;
	return strchr("AEIOUY", d->w[pos]) != NULL;
}

static void
dm_cat(char *code, int *n, const char *s)
{
	while (*s != '\0' && *n < CRM_MATCH_DM_MAX + 2)
		code[(*n)++] = *s++;
	code[*n] = '\0';
}

/* Add main to the primary and alt to the alternate (main if alt is NULL). */
static void
dm_add(struct dm *d, const char *main, const char *alt)
{
	dm_cat(d->pri, &d->np, main);
	dm_cat(d->alt, &d->na, alt != NULL ? alt : main);
}

/* Latin letters that have no decomposition to a base letter. */
static const char *
dm_translit(uint32_t c)
{
	switch (c) {
	case 0xe6: return "AE";	/* ae */
	case 0xf0: return "D";	/* eth */
	case 0xf8: return "O";	/* o with stroke */
	case 0xfe: return "TH";	/* thorn */
	case 0x111: return "D";	/* d with stroke */
	case 0x131: return "I";	/* dotless i */
	case 0x142: return "L";	/* l with stroke */
	case 0x153: return "OE";	/* oe */
	}
	return NULL;
}

static void
dm_load(struct dm *d, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *e;
	utf8proc_int32_t f[FOLD1_MAX];
	const char *t;
	uint32_t c;
	int n = 0, brk = 0, k, i;

	e = p + strlen(s);
	while (p < e && n < DM_WORD) {
		c = *p < 0x80 ? *p++ : match_dec_multi(&p, e);
		if (c == 0xc7 || c == 0xe7 || c == 0xd1 || c == 0xf1) {
			/* Keep C-cedilla and N-tilde apart from C and N. */
			if (brk && n > 0)
				d->w[n++] = ' ';
			brk = 0;
			if (n < DM_WORD)
				d->w[n++] = (c == 0xc7 || c == 0xe7) ? 'c' : 'n';
			continue;
		}
		k = match_fold1(c, f);
		for (i = 0; i < k && n < DM_WORD; i++) {
			c = (uint32_t)f[i];
			if (c >= 'a' && c <= 'z')
				t = NULL;
			else if ((t = dm_translit(c)) == NULL) {
				if (match_fold_class(c) == F_BREAK)
					brk = 1;
				continue;	/* digits, other scripts */
			}
			if (brk && n > 0)
				d->w[n++] = ' ';
			brk = 0;
			if (t == NULL && n < DM_WORD)
				d->w[n++] = (char)(c - 32);
			for (; t != NULL && *t != '\0' && n < DM_WORD; t++)
				d->w[n++] = *t;
		}
	}
	while (n > 0 && d->w[n - 1] == ' ')
		n--;
	d->len = n;
	d->last = n - 1;
	memcpy(d->w + n, "     ", 6);
	d->slavo = strchr(d->w, 'W') != NULL || strchr(d->w, 'K') != NULL ||
	    strstr(d->w, "CZ") != NULL || strstr(d->w, "WITZ") != NULL;
}

/* C, at cur; returns how far to move on. */
static int
dm_c(struct dm *d, int cur)
{
	/* Germanic "ach": bacher, macher; not bach-i, bach-e. */
	if (cur > 1 && !dm_vowel(d, cur - 2) && dm_is(d, cur - 1, 3, "ACH",
	    NULL) && dm_at(d, cur + 2) != 'I' && (dm_at(d, cur + 2) != 'E' ||
	    dm_is(d, cur - 2, 6, "BACHER", "MACHER", NULL))) {
		dm_add(d, "K", NULL);
		return 2;
	}
	if (cur == 0 && dm_is(d, cur, 6, "CAESAR", NULL)) {
		dm_add(d, "S", NULL);
		return 2;
	}
	if (dm_is(d, cur, 4, "CHIA", NULL)) {	/* chianti */
		dm_add(d, "K", NULL);
		return 2;
	}
	if (dm_is(d, cur, 2, "CH", NULL)) {
		if (cur > 0 && dm_is(d, cur, 4, "CHAE", NULL)) {  /* michael */
			dm_add(d, "K", "X");
			return 2;
		}
		/* Greek roots: chemistry, chorus; not chore. */
		if (cur == 0 && (dm_is(d, cur + 1, 5, "HARAC", "HARIS", NULL) ||
		    dm_is(d, cur + 1, 3, "HOR", "HYM", "HIA", "HEM", NULL)) &&
		    !dm_is(d, 0, 5, "CHORE", NULL)) {
			dm_add(d, "K", NULL);
			return 2;
		}
		/* Germanic, Greek, or "ch" for "kh": orchestra, architect. */
		if (dm_is(d, 0, 4, "VAN ", "VON ", NULL) ||
		    dm_is(d, 0, 3, "SCH", NULL) ||
		    dm_is(d, cur - 2, 6, "ORCHES", "ARCHIT", "ORCHID", NULL) ||
		    dm_is(d, cur + 2, 1, "T", "S", NULL) ||
		    ((dm_is(d, cur - 1, 1, "A", "O", "U", "E", NULL) ||
		    cur == 0) && dm_is(d, cur + 2, 1, "L", "R", "N", "M", "B",
		    "H", "F", "V", "W", " ", NULL)))
			dm_add(d, "K", NULL);
		else if (cur > 0 && dm_is(d, 0, 2, "MC", NULL))
			dm_add(d, "K", NULL);
		else if (cur > 0)
			dm_add(d, "X", "K");
		else
			dm_add(d, "X", NULL);
		return 2;
	}
	if (dm_is(d, cur, 2, "CZ", NULL) && !dm_is(d, cur - 2, 4, "WICZ",
	    NULL)) {	/* czerny */
		dm_add(d, "S", "X");
		return 2;
	}
	if (dm_is(d, cur + 1, 3, "CIA", NULL)) {	/* focaccia */
		dm_add(d, "X", NULL);
		return 3;
	}
	/* Double C, but not McClellan. */
	if (dm_is(d, cur, 2, "CC", NULL) && !(cur == 1 && dm_at(d, 0) == 'M')) {
		/* bellocchio, but not bacchus */
		if (dm_is(d, cur + 2, 1, "I", "E", "H", NULL) &&
		    !dm_is(d, cur + 2, 2, "HU", NULL)) {
			/* accident, accede, succeed; else bacci, bertucci */
			if ((cur == 1 && dm_at(d, cur - 1) == 'A') ||
			    dm_is(d, cur - 1, 5, "UCCEE", "UCCES", NULL))
				dm_add(d, "KS", NULL);
			else
				dm_add(d, "X", NULL);
			return 3;
		}
		dm_add(d, "K", NULL);	/* Pierce's rule */
		return 2;
	}
	if (dm_is(d, cur, 2, "CK", "CG", "CQ", NULL)) {
		dm_add(d, "K", NULL);
		return 2;
	}
	if (dm_is(d, cur, 2, "CI", "CE", "CY", NULL)) {
		/* Italian or English */
		if (dm_is(d, cur, 3, "CIO", "CIE", "CIA", NULL))
			dm_add(d, "S", "X");
		else
			dm_add(d, "S", NULL);
		return 2;
	}
	dm_add(d, "K", NULL);
	if (dm_is(d, cur + 1, 2, " C", " Q", " G", NULL))
		return 3;	/* mac caffrey, mac gregor */
	if (dm_is(d, cur + 1, 1, "C", "K", "Q", NULL) &&
	    !dm_is(d, cur + 1, 2, "CE", "CI", NULL))
		return 2;
	return 1;
}

static int
dm_g(struct dm *d, int cur)
{
	if (dm_at(d, cur + 1) == 'H') {
		if (cur > 0 && !dm_vowel(d, cur - 1)) {
			dm_add(d, "K", NULL);
			return 2;
		}
		if (cur == 0) {		/* ghislane, ghiradelli */
			dm_add(d, dm_at(d, cur + 2) == 'I' ? "J" : "K", NULL);
			return 2;
		}
		/* Parker's rule, with refinements: hugh */
		if ((cur > 1 && dm_is(d, cur - 2, 1, "B", "H", "D", NULL)) ||
		    (cur > 2 && dm_is(d, cur - 3, 1, "B", "H", "D", NULL)) ||
		    (cur > 3 && dm_is(d, cur - 4, 1, "B", "H", NULL)))
			return 2;
		/* laugh, McLaughlin, cough, gough, rough, tough */
		if (cur > 2 && dm_at(d, cur - 1) == 'U' && dm_is(d, cur - 3, 1,
		    "C", "G", "L", "R", "T", NULL))
			dm_add(d, "F", NULL);
		else if (cur > 0 && dm_at(d, cur - 1) != 'I')
			dm_add(d, "K", NULL);
		return 2;
	}
	if (dm_at(d, cur + 1) == 'N') {
		if (cur == 1 && dm_vowel(d, 0) && !d->slavo)
			dm_add(d, "KN", "N");
		else if (!dm_is(d, cur + 2, 2, "EY", NULL) &&
		    dm_at(d, cur + 1) != 'Y' && !d->slavo)	/* not cagney */
			dm_add(d, "N", "KN");
		else
			dm_add(d, "KN", NULL);
		return 2;
	}
	if (dm_is(d, cur + 1, 2, "LI", NULL) && !d->slavo) {	/* tagliaro */
		dm_add(d, "KL", "L");
		return 2;
	}
	/* -ges-, -gep-, -gel-, -gie- at the beginning */
	if (cur == 0 && (dm_at(d, cur + 1) == 'Y' || dm_is(d, cur + 1, 2,
	    "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER",
	    NULL))) {
		dm_add(d, "K", "J");
		return 2;
	}
	/* -ger-, -gy- */
	if ((dm_is(d, cur + 1, 2, "ER", NULL) || dm_at(d, cur + 1) == 'Y') &&
	    !dm_is(d, 0, 6, "DANGER", "RANGER", "MANGER", NULL) &&
	    !dm_is(d, cur - 1, 1, "E", "I", NULL) &&
	    !dm_is(d, cur - 1, 3, "RGY", "OGY", NULL)) {
		dm_add(d, "K", "J");
		return 2;
	}
	/* Italian: biaggi */
	if (dm_is(d, cur + 1, 1, "E", "I", "Y", NULL) ||
	    dm_is(d, cur - 1, 4, "AGGI", "OGGI", NULL)) {
		if (dm_is(d, 0, 4, "VAN ", "VON ", NULL) ||
		    dm_is(d, 0, 3, "SCH", NULL) ||
		    dm_is(d, cur + 1, 2, "ET", NULL))	/* obviously Germanic */
			dm_add(d, "K", NULL);
		else if (dm_is(d, cur + 1, 4, "IER ", NULL))	/* French */
			dm_add(d, "J", NULL);
		else
			dm_add(d, "J", "K");
		return 2;
	}
	dm_add(d, "K", NULL);
	return dm_at(d, cur + 1) == 'G' ? 2 : 1;
}

static int
dm_j(struct dm *d, int cur)
{
	/* Spanish: jose, san jacinto */
	if (dm_is(d, cur, 4, "JOSE", NULL) || dm_is(d, 0, 4, "SAN ", NULL)) {
		if ((cur == 0 && dm_at(d, cur + 4) == ' ') ||
		    dm_is(d, 0, 4, "SAN ", NULL))
			dm_add(d, "H", NULL);
		else
			dm_add(d, "J", "H");
		return 1;
	}
	if (cur == 0)	/* Yankelovich / Jankelowicz */
		dm_add(d, "J", "A");
	else if (dm_vowel(d, cur - 1) && !d->slavo &&
	    (dm_at(d, cur + 1) == 'A' || dm_at(d, cur + 1) == 'O'))
		dm_add(d, "J", "H");	/* Spanish: bajador */
	else if (cur == d->last)
		dm_add(d, "J", "");
	else if (!dm_is(d, cur + 1, 1, "L", "T", "K", "S", "N", "M", "B", "Z",
	    NULL) && !dm_is(d, cur - 1, 1, "S", "K", "L", NULL))
		dm_add(d, "J", NULL);
	return dm_at(d, cur + 1) == 'J' ? 2 : 1;
}

static int
dm_s(struct dm *d, int cur)
{
	/* island, isle, carlisle, carlysle */
	if (dm_is(d, cur - 1, 3, "ISL", "YSL", NULL))
		return 1;
	if (cur == 0 && dm_is(d, cur, 5, "SUGAR", NULL)) {
		dm_add(d, "X", "S");
		return 1;
	}
	if (dm_is(d, cur, 2, "SH", NULL)) {
		/* Germanic */
		if (dm_is(d, cur + 1, 4, "HEIM", "HOEK", "HOLM", "HOLZ", NULL))
			dm_add(d, "S", NULL);
		else
			dm_add(d, "X", NULL);
		return 2;
	}
	/* Italian and Armenian */
	if (dm_is(d, cur, 3, "SIO", "SIA", NULL) ||
	    dm_is(d, cur, 4, "SIAN", NULL)) {
		dm_add(d, "S", d->slavo ? "S" : "X");
		return 3;
	}
	/*
	 * German and anglicisations, smith/schmidt, snider/schneider; also
	 * -sz- in Slavic languages (though Hungarian says s).
	 */
	if ((cur == 0 && dm_is(d, cur + 1, 1, "M", "N", "L", "W", NULL)) ||
	    dm_is(d, cur + 1, 1, "Z", NULL)) {
		dm_add(d, "S", "X");
		return dm_is(d, cur + 1, 1, "Z", NULL) ? 2 : 1;
	}
	if (dm_is(d, cur, 2, "SC", NULL)) {
		if (dm_at(d, cur + 2) == 'H') {		/* Schlesinger's rule */
			/* Dutch: school, schooner; schermerhorn, schenker */
			if (dm_is(d, cur + 3, 2, "OO", "ER", "EN", "UY", "ED",
			    "EM", NULL)) {
				if (dm_is(d, cur + 3, 2, "ER", "EN", NULL))
					dm_add(d, "X", "SK");
				else
					dm_add(d, "SK", NULL);
				return 3;
			}
			if (cur == 0 && !dm_vowel(d, 3) && dm_at(d, 3) != 'W')
				dm_add(d, "X", "S");
			else
				dm_add(d, "X", NULL);
			return 3;
		}
		if (dm_is(d, cur + 2, 1, "I", "E", "Y", NULL))
			dm_add(d, "S", NULL);
		else
			dm_add(d, "SK", NULL);
		return 3;
	}
	/* French: resnais, artois */
	if (cur == d->last && dm_is(d, cur - 2, 2, "AI", "OI", NULL))
		dm_add(d, "", "S");
	else
		dm_add(d, "S", NULL);
	return dm_is(d, cur + 1, 1, "S", "Z", NULL) ? 2 : 1;
}

static int
dm_t(struct dm *d, int cur)
{
	if (dm_is(d, cur, 4, "TION", NULL)) {
		dm_add(d, "X", NULL);
		return 3;
	}
	if (dm_is(d, cur, 3, "TIA", "TCH", NULL)) {
		dm_add(d, "X", NULL);
		return 3;
	}
	if (dm_is(d, cur, 2, "TH", NULL) || dm_is(d, cur, 3, "TTH", NULL)) {
		/* thomas, thames, or Germanic */
		if (dm_is(d, cur + 2, 2, "OM", "AM", NULL) ||
		    dm_is(d, 0, 4, "VAN ", "VON ", NULL) ||
		    dm_is(d, 0, 3, "SCH", NULL))
			dm_add(d, "T", NULL);
		else
			dm_add(d, "0", "T");
		return 2;
	}
	dm_add(d, "T", NULL);
	return dm_is(d, cur + 1, 1, "T", "D", NULL) ? 2 : 1;
}

static int
dm_w(struct dm *d, int cur)
{
	if (dm_is(d, cur, 2, "WR", NULL)) {
		dm_add(d, "R", NULL);
		return 2;
	}
	if (cur == 0 && (dm_vowel(d, cur + 1) || dm_is(d, cur, 2, "WH",
	    NULL))) {
		/* Wasserman as Vasserman; Uomo as Womo */
		if (dm_vowel(d, cur + 1))
			dm_add(d, "A", "F");
		else
			dm_add(d, "A", NULL);
	}
	/* Arnow as Arnoff */
	if ((cur == d->last && dm_vowel(d, cur - 1)) ||
	    dm_is(d, cur - 1, 5, "EWSKI", "EWSKY", "OWSKI", "OWSKY", NULL) ||
	    dm_is(d, 0, 3, "SCH", NULL)) {
		dm_add(d, "", "F");
		return 1;
	}
	if (dm_is(d, cur, 4, "WICZ", "WITZ", NULL)) {	/* Polish: filipowicz */
		dm_add(d, "TS", "FX");
		return 4;
	}
	return 1;
}

/* The letters whose rules fit in a line or two. */
static int
dm_other(struct dm *d, int cur)
{
	char c = dm_at(d, cur), next = dm_at(d, cur + 1);

	switch (c) {
	case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
		if (cur == 0)
			dm_add(d, "A", NULL);	/* initial vowels */
		return 1;
	case 'B':
		dm_add(d, "P", NULL);
		return next == 'B' ? 2 : 1;
	case 'c':	/* C-cedilla */
		dm_add(d, "S", NULL);
		return 1;
	case 'D':
		if (dm_is(d, cur, 2, "DG", NULL)) {
			if (dm_is(d, cur + 2, 1, "I", "E", "Y", NULL)) {
				dm_add(d, "J", NULL);	/* edge */
				return 3;
			}
			dm_add(d, "TK", NULL);		/* edgar */
			return 2;
		}
		dm_add(d, "T", NULL);
		return dm_is(d, cur, 2, "DT", "DD", NULL) ? 2 : 1;
	case 'F':
		dm_add(d, "F", NULL);
		return next == 'F' ? 2 : 1;
	case 'H':
		/* Only first, or between vowels, and before a vowel. */
		if ((cur == 0 || dm_vowel(d, cur - 1)) && dm_vowel(d, cur + 1)) {
			dm_add(d, "H", NULL);
			return 2;
		}
		return 1;
	case 'K':
		dm_add(d, "K", NULL);
		return next == 'K' ? 2 : 1;
	case 'L':
		if (next == 'L') {
			/* Spanish: cabrillo, gallegos */
			if ((cur == d->len - 3 && dm_is(d, cur - 1, 4, "ILLO",
			    "ILLA", "ALLE", NULL)) || ((dm_is(d, d->last - 1, 2,
			    "AS", "OS", NULL) || dm_is(d, d->last, 1, "A", "O",
			    NULL)) && dm_is(d, cur - 1, 4, "ALLE", NULL))) {
				dm_add(d, "L", "");
				return 2;
			}
			dm_add(d, "L", NULL);
			return 2;
		}
		dm_add(d, "L", NULL);
		return 1;
	case 'M':
		dm_add(d, "M", NULL);
		/* dumb, thumb */
		if ((dm_is(d, cur - 1, 3, "UMB", NULL) && (cur + 1 == d->last ||
		    dm_is(d, cur + 2, 2, "ER", NULL))) || next == 'M')
			return 2;
		return 1;
	case 'N':
		dm_add(d, "N", NULL);
		return next == 'N' ? 2 : 1;
	case 'n':	/* N-tilde */
		dm_add(d, "N", NULL);
		return 1;
	case 'P':
		if (next == 'H') {
			dm_add(d, "F", NULL);
			return 2;
		}
		dm_add(d, "P", NULL);	/* campbell, raspberry */
		return dm_is(d, cur + 1, 1, "P", "B", NULL) ? 2 : 1;
	case 'Q':
		dm_add(d, "K", NULL);
		return next == 'Q' ? 2 : 1;
	case 'R':
		/* French: rogier, but not hochmeier */
		if (cur == d->last && !d->slavo && dm_is(d, cur - 2, 2, "IE",
		    NULL) && !dm_is(d, cur - 4, 2, "ME", "MA", NULL))
			dm_add(d, "", "R");
		else
			dm_add(d, "R", NULL);
		return next == 'R' ? 2 : 1;
	case 'V':
		dm_add(d, "F", NULL);
		return next == 'V' ? 2 : 1;
	case 'X':
		/* French: breaux */
		if (!(cur == d->last && (dm_is(d, cur - 3, 3, "IAU", "EAU",
		    NULL) || dm_is(d, cur - 2, 2, "AU", "OU", NULL))))
			dm_add(d, "KS", NULL);
		return dm_is(d, cur + 1, 1, "C", "X", NULL) ? 2 : 1;
	case 'Z':
		if (next == 'H') {	/* Chinese pinyin: zhao */
			dm_add(d, "J", NULL);
			return 2;
		}
		if (dm_is(d, cur + 1, 2, "ZO", "ZI", "ZA", NULL) ||
		    (d->slavo && cur > 0 && dm_at(d, cur - 1) != 'T'))
			dm_add(d, "S", "TS");
		else
			dm_add(d, "S", NULL);
		return next == 'Z' ? 2 : 1;
	}
	return 1;
}

void
crm_match_dmetaphone(const char *s, int maxlen,
    char primary[CRM_MATCH_DM_MAX + 1], char alternate[CRM_MATCH_DM_MAX + 1])
{
	struct dm d;
	int cur = 0;

	memset(&d, 0, sizeof(d));
	d.max = maxlen < 1 ? 1 : maxlen > CRM_MATCH_DM_MAX ? CRM_MATCH_DM_MAX :
	    maxlen;
	dm_load(&d, s);
	if (dm_is(&d, 0, 2, "GN", "KN", "PN", "WR", "PS", NULL))
		cur = 1;	/* silent first letter */
	if (dm_at(&d, 0) == 'X') {	/* Xavier */
		dm_add(&d, "S", NULL);
		cur = 1;
	}
	while ((d.np < d.max || d.na < d.max) && cur < d.len) {
		switch (d.w[cur]) {
		case 'C':
			cur += dm_c(&d, cur);
			break;
		case 'G':
			cur += dm_g(&d, cur);
			break;
		case 'J':
			cur += dm_j(&d, cur);
			break;
		case 'S':
			cur += dm_s(&d, cur);
			break;
		case 'T':
			cur += dm_t(&d, cur);
			break;
		case 'W':
			cur += dm_w(&d, cur);
			break;
		default:
			cur += dm_other(&d, cur);
			break;
		}
	}
	d.pri[d.np < d.max ? d.np : d.max] = '\0';
	d.alt[d.na < d.max ? d.na : d.max] = '\0';
	memcpy(primary, d.pri, CRM_MATCH_DM_MAX + 1);
	memcpy(alternate, d.alt, CRM_MATCH_DM_MAX + 1);
	primary[CRM_MATCH_DM_MAX] = alternate[CRM_MATCH_DM_MAX] = '\0';
}
