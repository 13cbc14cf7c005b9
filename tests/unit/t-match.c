/*
 * Unit tests for libcrm/match (comparators, phonetic code, folding,
 * nicknames, names, q-grams) and libcrm/fs (Fellegi-Sunter by EM).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "match.h"
#include "norm.h"
#include "tap.h"

static struct crm_error err;

/* ---- a seeded PRNG (splitmix64) ------------------------------------ */

static uint64_t rng_state = 20240501;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
rng_unif(void)
{
	return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0);
}

/* A level drawn from the distribution p[0..n). */
static int
rng_pick(const double *p, int n)
{
	double x = rng_unif();
	int l;

	for (l = 0; l < n - 1; l++) {
		if (x < p[l])
			return l;
		x -= p[l];
	}
	return n - 1;
}

/* ---- comparators --------------------------------------------------- */

static void
jw(const char *a, const char *b, double jaro, double want)
{
	char name[128];

	snprintf(name, sizeof(name), "jaro %s/%s", a, b);
	is_num(crm_match_jaro_str(a, b), jaro, 0.0005, name);
	snprintf(name, sizeof(name), "jaro-winkler %s/%s", a, b);
	is_num(crm_match_jw_str(a, b), want, 0.0005, name);
	snprintf(name, sizeof(name), "jaro-winkler %s/%s symmetric", b, a);
	is_num(crm_match_jw_str(b, a), want, 0.0005, name);
}

static void
test_jaro(void)
{
	uint32_t a[300], b[300];
	size_t i;

	/* Winkler's published examples. */
	jw("MARTHA", "MARHTA", 0.944, 0.961);
	jw("DWAYNE", "DUANE", 0.822, 0.840);
	jw("DIXON", "DICKSONX", 0.767, 0.813);
	jw("JELLYFISH", "SMELLYFISH", 0.896, 0.896);
	jw("abc", "abc", 1.0, 1.0);
	jw("abc", "xyz", 0.0, 0.0);
	jw("", "", 1.0, 1.0);
	jw("", "abc", 0.0, 0.0);
	jw("a", "a", 1.0, 1.0);
	/* Code points, not bytes: one substitution in six letters. */
	jw("Müller", "Muller", 0.889, 0.900);
	ok(crm_match_jw_str("日本語", "日本語") == 1.0, "jaro-winkler CJK equal");

	/* Longer than the stack buffers: the heap path. */
	for (i = 0; i < 300; i++)
		a[i] = b[i] = 0x4e00 + (uint32_t)i;
	is_num(crm_match_jw(a, 300, b, 300), 1.0, 1e-12, "jaro-winkler 300");
	b[150] = '#';
	is_num(crm_match_jaro(a, 300, b, 300), (2 * 299.0 / 300 + 1) / 3, 1e-12,
	    "jaro 300, one off");
	is_num(crm_match_jw(a, 300, b, 300), (2 * 299.0 / 300 + 1) / 3 +
	    0.4 * (1 - (2 * 299.0 / 300 + 1) / 3), 1e-12,
	    "jaro-winkler 300, one off");
	is_num((double)crm_match_osa(a, 300, b, 300), 1, 0, "osa 300, one off");
	is_num((double)crm_match_dl(a, 300, b, 300), 1, 0, "dl 300, one off");
}

/* Plain Levenshtein distance, the reference for the property tests. */
static size_t
lev(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t d[16][16], i, j, v;

	for (i = 0; i <= na; i++)
		d[i][0] = i;
	for (j = 0; j <= nb; j++)
		d[0][j] = j;
	for (i = 1; i <= na; i++)
		for (j = 1; j <= nb; j++) {
			v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			d[i][j] = v;
		}
	return d[na][nb];
}

static void
test_edit(void)
{
	uint32_t s[3][12];
	size_t n[3], i, t, k, o, d, l;
	int bad_order = 0, bad_sym = 0, bad_tri = 0, bad_zero = 0;

	is_num((double)crm_match_osa_str("CA", "ABC"), 3, 0,
	    "osa CA/ABC is 3 (restricted)");
	is_num((double)crm_match_dl_str("CA", "ABC"), 2, 0,
	    "dl CA/ABC is 2 (unrestricted)");
	is_num((double)crm_match_osa_str("kitten", "sitting"), 3, 0,
	    "osa kitten/sitting");
	is_num((double)crm_match_dl_str("kitten", "sitting"), 3, 0,
	    "dl kitten/sitting");
	is_num((double)crm_match_osa_str("abcdef", "abdcef"), 1, 0,
	    "osa one transposition");
	is_num((double)crm_match_osa_str("", "abc"), 3, 0, "osa empty");
	is_num((double)crm_match_dl_str("abc", ""), 3, 0, "dl empty");
	is_num((double)crm_match_osa_str("José", "Jose"), 1, 0,
	    "osa on code points: é is one edit");
	is_num((double)crm_match_dl_str("Zoë", "Zëo"), 1, 0,
	    "dl on code points: a transposition of two 2-byte letters");
	is_num(crm_match_osa_sim_str("martha", "marhta"), 1.0 - 1.0 / 6, 1e-12,
	    "osa similarity");
	is_num(crm_match_osa_sim_str("", ""), 1.0, 0, "osa similarity empty");

	/*
	 * Properties on random strings over {a, b, c}: dl <= osa <= lev,
	 * symmetry, zero only for equal strings, and the triangle
	 * inequality, which dl (a metric) keeps and osa need not.
	 */
	for (t = 0; t < 3000; t++) {
		for (k = 0; k < 3; k++) {
			n[k] = rng_next() % 9;
			for (i = 0; i < n[k]; i++)
				s[k][i] = 'a' + (uint32_t)(rng_next() % 3);
		}
		o = crm_match_osa(s[0], n[0], s[1], n[1]);
		d = crm_match_dl(s[0], n[0], s[1], n[1]);
		l = lev(s[0], n[0], s[1], n[1]);

		if (!(d <= o && o <= l))
			bad_order++;
		if (o != crm_match_osa(s[1], n[1], s[0], n[0]) ||
		    d != crm_match_dl(s[1], n[1], s[0], n[0]))
			bad_sym++;
		if ((d == 0) != (n[0] == n[1] && memcmp(s[0], s[1],
		    n[0] * sizeof(uint32_t)) == 0))
			bad_zero++;
		if (d > crm_match_dl(s[0], n[0], s[2], n[2]) +
		    crm_match_dl(s[2], n[2], s[1], n[1]))
			bad_tri++;
	}
	ok(bad_order == 0, "dl <= osa <= levenshtein on 3000 random pairs "
	    "(%d off)", bad_order);
	ok(bad_sym == 0, "osa and dl symmetric (%d off)", bad_sym);
	ok(bad_zero == 0, "dl zero only for equal strings (%d off)", bad_zero);
	ok(bad_tri == 0, "dl triangle inequality (%d off)", bad_tri);
}

/* ---- Double Metaphone ---------------------------------------------- */

static void
dm(const char *name, int maxlen, const char *pri, const char *alt)
{
	char p[CRM_MATCH_DM_MAX + 1], a[CRM_MATCH_DM_MAX + 1], t[96];

	crm_match_dmetaphone(name, maxlen, p, a);
	snprintf(t, sizeof(t), "double metaphone %s primary", name);
	is_str(p, pri, t);
	snprintf(t, sizeof(t), "double metaphone %s alternate", name);
	is_str(a, alt != NULL ? alt : pri, t);
}

static void
test_dmetaphone(void)
{
	char p1[CRM_MATCH_DM_MAX + 1], a1[CRM_MATCH_DM_MAX + 1];
	char p2[CRM_MATCH_DM_MAX + 1], a2[CRM_MATCH_DM_MAX + 1];

	/* Philips's own examples and the usual ones, 4 characters. */
	dm("Smith", 4, "SM0", "XMT");
	dm("Schmidt", 4, "XMT", "SMT");
	dm("Thomas", 4, "TMS", NULL);
	dm("Thompson", 4, "TMPS", NULL);
	dm("Jose", 4, "HS", NULL);
	dm("Xavier", 4, "SF", "SFR");
	dm("Caesar", 4, "SSR", NULL);
	dm("Dumb", 4, "TM", NULL);
	dm("Arnoff", 4, "ARNF", NULL);
	dm("Wasserman", 4, "ASRM", "FSRM");
	dm("Jankelowicz", 4, "JNKL", "ANKL");
	dm("Michael", 4, "MKL", "MXL");
	dm("Gough", 4, "KF", NULL);
	dm("Edge", 4, "AJ", NULL);
	dm("Knight", 4, "NT", NULL);
	dm("Filipowicz", 4, "FLPT", "FLPF");
	dm("Breaux", 4, "PR", NULL);
	dm("Jones", 4, "JNS", "ANS");
	dm("Johnson", 4, "JNSN", "ANSN");
	dm("Williams", 4, "ALMS", "FLMS");
	dm("McClellan", 4, "MKLL", NULL);
	dm("Cabrillo", 4, "KPRL", "KPR");

	/* A published test list, codes not cut to 4. */
	dm("maurice", 16, "MRS", NULL);
	dm("aubrey", 16, "APR", NULL);
	dm("cambrillo", 16, "KMPRL", "KMPR");
	dm("heidi", 16, "HT", NULL);
	dm("katherine", 16, "K0RN", "KTRN");
	dm("Thumbail", 16, "0MPL", "TMPL");
	dm("catherine", 16, "K0RN", "KTRN");
	dm("richard", 16, "RXRT", "RKRT");
	dm("bob", 16, "PP", NULL);
	dm("eric", 16, "ARK", NULL);
	dm("geoff", 16, "JF", "KF");
	dm("Through", 16, "0R", "TR");
	dm("Schwein", 16, "XN", "XFN");
	dm("dave", 16, "TF", NULL);
	dm("ray", 16, "R", NULL);
	dm("steven", 16, "STFN", NULL);
	dm("bryce", 16, "PRS", NULL);
	dm("randy", 16, "RNT", NULL);
	dm("bryan", 16, "PRN", NULL);
	dm("Rapelje", 16, "RPL", NULL);
	dm("brian", 16, "PRN", NULL);
	dm("otto", 16, "AT", NULL);
	dm("auto", 16, "AT", NULL);
	dm("Dallas", 16, "TLS", NULL);
	dm("maisey", 16, "MS", NULL);
	dm("zhang", 16, "JNK", NULL);
	dm("Chile", 16, "XL", NULL);
	dm("Jose", 16, "HS", NULL);
	dm("Arnow", 16, "ARN", "ARNF");
	dm("solilijs", 16, "SLLS", NULL);
	dm("Parachute", 16, "PRKT", NULL);
	dm("Nowhere", 16, "NR", NULL);
	dm("Tux", 16, "TKS", NULL);
	dm("80210", 16, "", NULL);

	/* Folding first; C-cedilla and N-tilde as in the original. */
	dm("Müller", 4, "MLR", NULL);
	dm("SMITH", 4, "SM0", "XMT");
	dm("François", 4, "FRNS", NULL);
	dm("Peña", 4, "PN", NULL);
	dm("Łukasz", 4, "LKS", "LKX");
	dm("O'Brien", 4, "APRN", NULL);
	dm("", 4, "", NULL);
	dm("Christopher", 1, "K", NULL);

	/* Smith and Schmidt sound alike: they share a code. */
	crm_match_dmetaphone("Smith", 4, p1, a1);
	crm_match_dmetaphone("Schmidt", 4, p2, a2);
	ok(strcmp(a1, p2) == 0, "smith ~ schmidt");
}

/* ---- folding ------------------------------------------------------- */

static void
fold(const char *in, const char *want)
{
	uint32_t cp[64];
	char out[256], name[128];
	size_t n = crm_match_fold(in, strlen(in), cp, 64);
	struct crm_buf nb = CRM_BUF_INIT(4096);

	crm_match_encode(cp, n, out, sizeof(out));
	snprintf(name, sizeof(name), "fold '%s'", in);
	is_str(out, want, name);
	/* The same key crm_norm_fold() makes, on valid UTF-8. */
	if (crm_utf8_valid(in, strlen(in))) {
		snprintf(name, sizeof(name), "fold '%s' as crm_norm_fold", in);
		ok(crm_norm_fold(in, &nb, &err) == 0, "%s: ok", name);
		is_str(out, crm_buf_str(&nb), name);
	}
	crm_buf_release(&nb);
}

static void
test_fold(void)
{
	uint32_t a[16], b[16], small[3];
	size_t na, nb;
	char out[8];

	fold("Müller", "muller");
	fold("MULLER", "muller");
	fold("José", "jose");
	fold("JOSE", "jose");
	fold("Jose\xcc\x81", "jose");	/* e + combining acute */
	fold("  José  MÜLLER-Lüdenscheidt ", "jose muller ludenscheidt");
	fold("O'Brien", "obrien");
	fold("O\xe2\x80\x99" "Brien", "obrien");
	fold("Straße", "strasse");
	fold("Ångström", "angstrom");
	fold("Dvořák, Antonín", "dvorak antonin");
	fold("\xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c", "full");
	fold("Søren Kierkegaard", "søren kierkegaard");
	fold("Ἀθῆναι", "αθηναι");
	fold("Flat 3/2, 10 Main St.", "flat 3 2 10 main st");
	fold("---", "");
	fold("", "");
	fold("bad\xff" "byte", "bad byte");

	na = crm_match_fold("Müller", strlen("Müller"), a, 16);
	nb = crm_match_fold("MULLER", 6, b, 16);
	ok(na == nb && memcmp(a, b, na * sizeof(*a)) == 0,
	    "Müller == MULLER as code points");
	is_num((double)crm_match_fold("Ab Cd", 5, small, 3), 5, 0,
	    "fold reports the whole length past cap");
	ok(small[0] == 'a' && small[1] == 'b' && small[2] == ' ',
	    "fold fills cap");
	is_num((double)crm_match_decode("añb", strlen("añb"), a, 16), 3, 0,
	    "decode counts code points");
	ok(a[1] == 0xf1, "decode ñ");
	is_num((double)crm_match_encode(a, 3, out, 3), 4, 0,
	    "encode reports the full length");
	is_str(out, "a", "encode drops what does not fit whole");
}

/* ---- nicknames ----------------------------------------------------- */

static void
test_nick(void)
{
	const char *c[8];
	int n, i, alan = 0, alexander = 0;

	n = crm_match_nick("Bill", c, 8);
	ok(n == 1 && strcmp(c[0], "william") == 0, "bill -> william");
	n = crm_match_nick("al", c, 8);
	for (i = 0; i < n && i < 8; i++) {
		alan |= strcmp(c[i], "alan") == 0;
		alexander |= strcmp(c[i], "alexander") == 0;
	}
	ok(n == 4 && alan && alexander, "al -> 4 names, alan and alexander "
	    "among them (%d)", n);
	ok(crm_match_nick("al", c, 2) == 4, "al: count past max");
	ok(crm_match_nick("william", c, 8) == 0, "william is no nickname");
	ok(crm_match_nick("zzz", c, 8) == 0, "zzz unknown");
	ok(crm_match_nick("", c, 8) == 0, "empty unknown");
	ok(crm_match_nick("Müller", c, 8) == 0, "non-ASCII unknown");
	ok(crm_match_nick("averyveryverylongname", c, 8) == 0, "long unknown");
	ok(crm_match_nick("aaa", c, 8) == 0 && crm_match_nick("zzzz", c, 8) == 0,
	    "before and after the table");
	ok(crm_match_nick("abbie", c, 8) == 1, "first entry found");
	ok(crm_match_nick("zeke", c, 8) == 1, "last entry found");

	ok(crm_match_nick_same("bill", "william"), "bill ~ william");
	ok(crm_match_nick_same("William", "BILL"), "William ~ BILL");
	ok(crm_match_nick_same("bob", "robert"), "bob ~ robert");
	ok(crm_match_nick_same("liz", "elizabeth"), "liz ~ elizabeth");
	ok(crm_match_nick_same("peggy", "margaret"), "peggy ~ margaret");
	ok(crm_match_nick_same("jim", "james"), "jim ~ james");
	ok(crm_match_nick_same("jack", "john"), "jack ~ john");
	ok(crm_match_nick_same("bill", "will"), "bill ~ will (shared form)");
	ok(crm_match_nick_same("kathy", "catherine"), "kathy ~ catherine");
	ok(crm_match_nick_same("ted", "theodore") &&
	    crm_match_nick_same("ted", "edward"), "ted ~ theodore, edward");
	ok(crm_match_nick_same("zoe", "ZOE"), "equal names");
	ok(!crm_match_nick_same("bill", "robert"), "bill !~ robert");
	ok(!crm_match_nick_same("john", "james"), "john !~ james");
	ok(!crm_match_nick_same("theodore", "edward"),
	    "theodore !~ edward (ted is not a canonical form)");
}

/* ---- names --------------------------------------------------------- */

static void
test_name(void)
{
	double s;

	is_num(crm_match_name_str("John Smith", "Smith John"), 1.0, 1e-12,
	    "swapped names score 1");
	is_num(crm_match_name_str("Smith, John", "JOHN SMITH"), 1.0, 1e-12,
	    "swapped, comma and case");
	is_num(crm_match_name_str("Hans Müller", "muller hans"), 1.0, 1e-12,
	    "swapped and folded");
	is_num(crm_match_name_str("de la Cruz Maria", "Maria de la Cruz"), 1.0,
	    1e-12, "multi-word surname, swapped");
	s = crm_match_name_str("Bill Smith", "William Smith");
	ok(s >= 0.95 && s < 1.0, "nickname: bill/william %.3f", s);
	s = crm_match_name_str("Smith Peggy", "Margaret Smith");
	ok(s >= 0.95, "nickname and swapped: %.3f", s);
	s = crm_match_name_str("J Smith", "John Smith");
	ok(s > 0.9, "initial: %.3f", s);
	s = crm_match_name_str("John Q Smith", "John Smith");
	ok(s > 0.9, "middle initial on one side: %.3f", s);
	s = crm_match_name_str("John Quincy Smith", "Smith John");
	ok(s >= 0.7, "middle name on one side: %.3f", s);
	s = crm_match_name_str("Maryann Jones", "Mary Ann Jones");
	ok(s > 0.95, "words run together: %.3f", s);
	s = crm_match_name_str("Jon Smyth", "John Smith");
	ok(s > 0.85, "typos: %.3f", s);
	s = crm_match_name_str("John Smith", "Jane Doe");
	ok(s < 0.6, "different people: %.3f", s);
	s = crm_match_name_str("Smith John", "Smith Jane");
	ok(s < 0.9, "same surname, other given name: %.3f", s);
	is_num(crm_match_name_str("", "John"), 0.0, 0, "empty scores 0");
	s = crm_match_name_str("a b c d e f g h i j", "j i h g f e d c b a");
	ok(s >= 0.0 && s <= 1.0, "ten words in range: %.3f", s);
}

/* ---- q-grams ------------------------------------------------------- */

static void
test_qgram(void)
{
	uint32_t s[8], t[8];
	uint64_t ka[16], kb[16];
	size_t ns, nt, na, nb;

	ns = crm_match_decode("ab", 2, s, 8);
	is_num((double)crm_match_qgrams(s, ns, 2, 1, ka, 16), 3, 0,
	    "padded bigrams of ab: ^a ab b$");
	ok(ka[0] != ka[1] && ka[1] != ka[2] && ka[1] == ((uint64_t)'a' << 21 |
	    'b'), "bigram ab packed");
	is_num((double)crm_match_qgrams(s, ns, 2, 0, ka, 16), 1, 0,
	    "unpadded bigrams of ab");
	is_num((double)crm_match_qgrams(s, ns, 3, 0, ka, 16), 0, 0,
	    "no unpadded trigram in ab");
	is_num((double)crm_match_qgrams(s, ns, 3, 1, ka, 16), 4, 0,
	    "padded trigrams of ab");
	is_num((double)crm_match_qgrams(s, ns, 4, 1, ka, 16), 0, 0, "q 4 refused");
	is_num((double)crm_match_qgrams(s, 0, 2, 1, ka, 16), 0, 0, "empty");

	ns = crm_match_decode("night", 5, s, 8);
	nt = crm_match_decode("nacht", 5, t, 8);
	na = crm_match_qgram_set(ka, crm_match_qgrams(s, ns, 2, 0, ka, 16));
	nb = crm_match_qgram_set(kb, crm_match_qgrams(t, nt, 2, 0, kb, 16));
	is_num(crm_match_jaccard(ka, na, kb, nb), 1.0 / 7, 1e-12,
	    "jaccard night/nacht");
	is_num(crm_match_dice(ka, na, kb, nb), 0.25, 1e-12, "dice night/nacht");
	is_num(crm_match_jaccard_str("night", "nacht", 2), 3.0 / 9, 1e-12,
	    "padded jaccard night/nacht");
	is_num(crm_match_dice_str("night", "nacht", 2), 0.5, 1e-12,
	    "padded dice night/nacht");
	ns = crm_match_decode("aaaa", 4, s, 8);
	is_num((double)crm_match_qgram_set(ka, crm_match_qgrams(s, ns, 2, 0, ka,
	    16)), 1, 0, "repeats dropped");
	is_num(crm_match_dice_str("", "", 2), 1.0, 0, "dice of empties");
	is_num(crm_match_dice_str("abc", "", 2), 0.0, 0, "dice with empty");
	is_num(crm_match_jaccard_str("Zoë", "Zoë", 2), 1.0, 0,
	    "jaccard equal UTF-8");
}

/* ---- Fellegi-Sunter ------------------------------------------------ */

#define K 4
#define L 3
#define N 50000

static const double true_m[K][L] = {
	{ .05, .10, .85 }, { .10, .20, .70 }, { .02, .08, .90 },
	{ .15, .25, .60 },
};
static const double true_u[K][L] = {
	{ .80, .15, .05 }, { .70, .20, .10 }, { .90, .07, .03 },
	{ .60, .30, .10 },
};
static const double true_lambda = 0.2;

static int
close_to_truth(const struct crm_fs_model *fs, double tol, double *worst)
{
	int k, l;
	double d;

	*worst = fabs(fs->lambda - true_lambda);
	for (k = 0; k < K; k++)
		for (l = 0; l < L; l++) {
			d = fabs(fs->m[k * L + l] - true_m[k][l]);
			*worst = d > *worst ? d : *worst;
			d = fabs(fs->u[k * L + l] - true_u[k][l]);
			*worst = d > *worst ? d : *worst;
		}
	return *worst <= tol;
}

static void
test_fs(void)
{
	static signed char g[N * K];
	signed char v[K];
	const signed char pat[3 * K] = {
		2, 2, 2, 2,
		0, 0, 1, 0,
		0, -1, 0, 0,
	};
	double cnt[3], worst, w, tf[K], m0[K * L];
	struct crm_fs_model fs, fs2;
	int i, k, l, match, c;

	rng_state = 42;
	for (i = 0; i < N; i++) {
		match = rng_unif() < true_lambda;
		for (k = 0; k < K; k++)
			g[i * K + k] = rng_unif() < 0.05 ? -1 : (signed char)
			    rng_pick(match ? true_m[k] : true_u[k], L);
	}

	ok(crm_fs_init(&fs, K, L, &err) == 0, "fs init");
	ok(crm_fs_fit(&fs, g, N, &err) == 0, "fs fit: %s", err.msg);
	ok(fs.converged, "EM converged in %d iterations", fs.iterations);
	c = close_to_truth(&fs, 0.015, &worst);
	ok(c, "EM recovers lambda, m and u (worst error %.4f)", worst);
	is_num(fs.lambda, true_lambda, 0.01, "lambda");
	is_num(fs.m[2 * L + 2], 0.90, 0.015, "m[2][agree]");
	is_num(fs.u[2 * L + 2], 0.03, 0.01, "u[2][agree]");

	/* Deterministic: the same input gives the same model, bit for bit. */
	ok(crm_fs_init(&fs2, K, L, &err) == 0 &&
	    crm_fs_fit(&fs2, g, N, &err) == 0, "fs refit");
	ok(fs2.lambda == fs.lambda && memcmp(fs.m, fs2.m, sizeof(m0)) == 0 &&
	    memcmp(fs.u, fs2.u, sizeof(m0)) == 0, "fit is deterministic");
	crm_fs_release(&fs2);

	/* Started on the wrong side, EM lands on the mirror; it is undone. */
	ok(crm_fs_init(&fs2, K, L, &err) == 0, "fs init, mirrored start");
	fs2.start_from_data = 0;
	fs2.lambda = 0.8;
	for (k = 0; k < K; k++)
		for (l = 0; l < L; l++) {
			fs2.m[k * L + l] = true_u[k][l];
			fs2.u[k * L + l] = true_m[k][l];
		}
	c = crm_fs_fit(&fs2, g, N, &err) == 0 &&
	    close_to_truth(&fs2, 0.015, &worst);
	ok(c, "mirrored start recovers the truth (worst error %.4f)", worst);
	crm_fs_release(&fs2);

	/* Fixed u: only lambda and m move. */
	ok(crm_fs_init(&fs2, K, L, &err) == 0, "fs init, fixed u");
	fs2.fix_u = 1;
	for (k = 0; k < K; k++)
		for (l = 0; l < L; l++)
			fs2.u[k * L + l] = true_u[k][l];
	c = crm_fs_fit(&fs2, g, N, &err) == 0 &&
	    close_to_truth(&fs2, 0.015, &worst);
	ok(c, "fixed u (worst error %.4f)", worst);
	ok(fs2.u[0] == true_u[0][0], "u kept");
	crm_fs_release(&fs2);

	/* Weights and probabilities. */
	for (k = 0, w = 0.0; k < K; k++) {
		v[k] = L - 1;
		w += log2(fs.m[k * L + L - 1] / fs.u[k * L + L - 1]);
	}
	is_num(crm_fs_weight(&fs, v), w, 1e-12, "weight of full agreement");
	ok(crm_fs_weight(&fs, v) > 10, "full agreement weighs %.1f bits",
	    crm_fs_weight(&fs, v));
	ok(crm_fs_prob(&fs, crm_fs_weight(&fs, v)) > 0.99,
	    "full agreement is a match");
	for (k = 0; k < K; k++)
		v[k] = 0;
	ok(crm_fs_weight(&fs, v) < -5 && crm_fs_prob(&fs, crm_fs_weight(&fs,
	    v)) < 0.01, "full disagreement is not");
	for (k = 0; k < K; k++)
		v[k] = -1;
	is_num(crm_fs_weight(&fs, v), 0.0, 0, "all missing weighs nothing");
	is_num(crm_fs_prob(&fs, 0.0), fs.lambda, 1e-12,
	    "weight 0 gives the prior");
	v[0] = L - 1;
	is_num(crm_fs_weight(&fs, v), fs.w[L - 1], 1e-12,
	    "missing fields contribute nothing");
	v[1] = 7;
	is_num(crm_fs_weight(&fs, v), fs.w[L - 1], 1e-12,
	    "out-of-range level counts as missing");

	/* Term frequencies: agreeing on a rare value weighs more. */
	for (k = 0; k < K; k++) {
		v[k] = L - 1;
		tf[k] = 0.0;
	}
	tf[0] = 0.001;
	ok(crm_fs_weight_tf(&fs, v, tf) > crm_fs_weight(&fs, v),
	    "rare value weighs more");
	is_num(crm_fs_weight_tf(&fs, v, tf) - crm_fs_weight(&fs, v),
	    log2(fs.u[L - 1] / 0.001), 1e-9, "tf adjustment is log2(u / tf)");
	tf[0] = 0.5;
	ok(crm_fs_weight_tf(&fs, v, tf) < crm_fs_weight(&fs, v),
	    "common value weighs less");
	is_num(crm_fs_weight_tf(&fs, v, NULL), crm_fs_weight(&fs, v), 0,
	    "no tf, no adjustment");
	tf[0] = 0.5;
	v[0] = 1;
	is_num(crm_fs_weight_tf(&fs, v, tf), crm_fs_weight(&fs, v), 0,
	    "tf only at the top level");

	/* Pooled patterns give the same fit as the raw vectors. */
	cnt[0] = 30;
	cnt[1] = 200;
	cnt[2] = 770;
	ok(crm_fs_init(&fs2, K, L, &err) == 0 &&
	    crm_fs_fit_patterns(&fs2, pat, cnt, 3, &err) == 0,
	    "fit from patterns");
	memcpy(m0, fs2.m, sizeof(m0));
	w = fs2.lambda;
	crm_fs_release(&fs2);
	{
		static signed char raw[1000 * K];

		for (i = 0; i < 1000; i++)
			memcpy(raw + i * K, pat + (i < 30 ? 0 : i < 230 ? 1 :
			    2) * K, K);
		ok(crm_fs_init(&fs2, K, L, &err) == 0 &&
		    crm_fs_fit(&fs2, raw, 1000, &err) == 0, "fit raw");
	}
	is_num(fs2.lambda, w, 1e-9, "patterns and raw agree on lambda");
	for (i = 0, worst = 0; i < K * L; i++)
		worst = fmax(worst, fabs(fs2.m[i] - m0[i]));
	is_num(worst, 0, 1e-9, "patterns and raw agree on m");
	for (i = 0; i < K * L; i++)
		if (fs2.m[i] < fs2.floor * 0.99 || fs2.u[i] < fs2.floor * 0.99)
			break;
	ok(i == K * L, "no probability below the floor");
	crm_fs_release(&fs2);

	/* Errors. */
	v[0] = 3;
	v[1] = v[2] = v[3] = 0;
	ok(crm_fs_fit(&fs, v, 1, &err) < 0 && err.code == CRM_EDATA,
	    "level out of range: %s", err.msg);
	ok(crm_fs_fit(&fs, v, 0, &err) < 0 && err.code == CRM_EDATA,
	    "no vectors: %s", err.msg);
	cnt[0] = -1;
	ok(crm_fs_fit_patterns(&fs, pat, cnt, 1, &err) < 0 &&
	    err.code == CRM_EUSAGE, "negative count: %s", err.msg);
	fs.floor = 0;
	ok(crm_fs_fit(&fs, g, N, &err) < 0 && err.code == CRM_EUSAGE,
	    "floor 0 refused: %s", err.msg);
	is_num(fs.lambda, true_lambda, 0.01, "failed fits keep the model");
	ok(crm_fs_init(&fs2, 3, 1, &err) < 0 && err.code == CRM_EUSAGE,
	    "one level refused: %s", err.msg);
	ok(crm_fs_init(&fs2, 0, 3, &err) < 0 && err.code == CRM_EUSAGE,
	    "no fields refused");
	crm_fs_release(&fs);

	/* Levels from similarities. */
	{
		const double cuts[2] = { 0.8, 0.95 };

		ok(crm_fs_level(0.5, cuts, 2) == 0 &&
		    crm_fs_level(0.8, cuts, 2) == 1 &&
		    crm_fs_level(0.9, cuts, 2) == 1 &&
		    crm_fs_level(1.0, cuts, 2) == 2 &&
		    crm_fs_level(NAN, cuts, 2) == -1, "fs level");
	}
}

int
main(void)
{
	test_jaro();
	test_edit();
	test_dmetaphone();
	test_fold();
	test_nick();
	test_name();
	test_qgram();
	test_fs();
	return tap_done();
}
