/*
 * dedupe-score.c - Fellegi-Sunter scoring (see dedupe.h, steps 4 and 5):
 * every candidate compared, u measured on random pairs, m by EM per kind
 * of key, lambda over all pairs; the matches and their clusters.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dedupe-int.h"
#include "fs.h"

#define RANDOM_PAIRS 400000	/* pairs sampled to measure u */
#define EM_SAMPLE 200000	/* incremental: other pairs used to fit m */

/*
 * What a file too small to learn from gets: the share of each level
 * (0 different .. 3 the same) among pairs of two people (u) and among
 * pairs of one person's records (m), guessed from how common names,
 * dates and places are and how often people change an address, phone or
 * employer.  They count as U_PRIOR random pairs and M_PRIOR matches, so
 * that on any file of some size what it shows outweighs them.
 */
static const double u_prior[NF][NLEVELS] = {
	[F_FIRST] = { 0.955, 0.03, 0.005, 0.01 },
	[F_LAST] = { 0.972, 0.02, 0.003, 0.005 },
	[F_EMAIL] = { 0.999898, 1e-4, 1e-6, 1e-6 },
	[F_PHONE] = { 0.999988, 1e-6, 1e-5, 1e-6 },
	[F_BIRTH] = { 0.98945, 0.01, 5e-4, 5e-5 },
	[F_STREET] = { 0.9894, 0.01, 5e-4, 1e-4 },
	[F_CITY] = { 0.89, 0.05, 0.01, 0.05 },
	[F_POSTCODE] = { 0.974999, 1e-6, 0.02, 0.005 },
	[F_COMPANY] = { 0.965, 0.02, 0.005, 0.01 },
	[F_NATID] = { 0.9999988, 1e-7, 1e-6, 1e-7 },
};
static const double m_prior[NF][NLEVELS] = {
	[F_FIRST] = { 0.03, 0.04, 0.08, 0.85 },
	[F_LAST] = { 0.03, 0.04, 0.08, 0.85 },
	[F_EMAIL] = { 0.07, 0.03, 0.05, 0.85 },
	[F_PHONE] = { 0.15, 1e-6, 0.05, 0.799999 },
	[F_BIRTH] = { 0.02, 0.03, 0.05, 0.9 },
	[F_STREET] = { 0.15, 0.1, 0.15, 0.6 },
	[F_CITY] = { 0.08, 0.04, 0.08, 0.8 },
	[F_POSTCODE] = { 0.17, 1e-6, 0.08, 0.749999 },
	[F_COMPANY] = { 0.25, 0.1, 0.15, 0.5 },
	[F_NATID] = { 0.01, 1e-6, 0.04, 0.949999 },
};
#define U_PRIOR 100.0
#define M_PRIOR 4.0


static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
pat_hash(const signed char *g)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int k;

	for (k = 0; k < NF; k++)
		h = (h ^ (unsigned char)g[k]) * 0x100000001b3ULL;
	return h;
}

void
dedupe_patset_release(struct patset *ps)
{
	free(ps->pat);
	free(ps->tab);
	memset(ps, 0, sizeof(*ps));
}

/* The number of pattern g in ps, added if new; -1 on ENOMEM. */
static int
patset_add(struct patset *ps, const signed char g[NF], uint32_t *out)
{
	size_t j, mask, t, cap;
	size_t *nt;
	void *p;

	if (2 * (ps->n + 1) > ps->cap) {
		cap = ps->cap ? 2 * ps->cap : 1024;
		if ((nt = calloc(cap, sizeof(*nt))) == NULL)
			return -1;
		for (t = 0; t < ps->n; t++) {
			for (j = pat_hash(ps->pat + t * NF) & (cap - 1); nt[j];
			    j = (j + 1) & (cap - 1))
				;
			nt[j] = t + 1;
		}
		free(ps->tab);
		ps->tab = nt;
		ps->cap = cap;
	}
	mask = ps->cap - 1;
	for (j = pat_hash(g) & mask; ps->tab[j]; j = (j + 1) & mask)
		if (memcmp(ps->pat + (ps->tab[j] - 1) * NF, g, NF) == 0) {
			*out = (uint32_t)(ps->tab[j] - 1);
			return 0;
		}
	if ((p = dedupe_grow(ps->pat, &ps->a, (ps->n + 1) * NF, 1)) == NULL)
		return -1;
	ps->pat = p;
	memcpy(ps->pat + ps->n * NF, g, NF);
	ps->tab[j] = ps->n + 1;
	*out = (uint32_t)ps->n++;
	return 0;
}

/*
 * Work shared among threads: comparing candidates (cand[lo..hi)) or
 * random pairs (rnd[lo..hi)), each thread with its own patterns or
 * counts, so that nothing is shared while they run.
 */
struct job {
	struct crm_dedupe *d;
	size_t lo, hi;
	const uint64_t *rnd;	/* random pairs: a << 32 | b */
	struct patset ps;
	uint64_t cnt[NF][NLEVELS];
	int failed;
};

static void *
compare_job(void *arg)
{
	struct job *j = arg;
	struct crm_dedupe *d = j->d;
	signed char g[NF];
	size_t i;
	int f;

	for (i = j->lo; i < j->hi; i++) {
		/*
		 * The second record of a pair is anywhere in memory: fetch
		 * it, then its text, a few pairs ahead.
		 */
		if (j->rnd == NULL && i + 16 < j->hi)
			__builtin_prefetch(&d->rec[d->cand[i + 16].b]);
		if (j->rnd == NULL && i + 8 < j->hi) {
			const char *t = val(d, &d->rec[d->cand[i + 8].b], 0);

			__builtin_prefetch(t);
			__builtin_prefetch(t + 64);
		}
		if (j->rnd != NULL) {
			dedupe_compare(d, &d->rec[j->rnd[i] >> 32],
			    &d->rec[(uint32_t)j->rnd[i]], g);
			for (f = 0; f < NF; f++)
				if (g[f] >= 0)
					j->cnt[f][g[f]]++;
			continue;
		}
		dedupe_compare(d, &d->rec[d->cand[i].a], &d->rec[d->cand[i].b], g);
		if (patset_add(&j->ps, g, &d->cand[i].pat) < 0) {
			j->failed = 1;
			break;
		}
	}
	return NULL;
}

#define MAXTHREADS 8

/*
 * Run compare_job over [0, n) in up to MAXTHREADS threads (one per
 * processor; the calling thread takes the first share), filling jobs[]:
 * returns how many.  Small work runs in the calling thread alone.
 */
static int
run_jobs(struct crm_dedupe *d, struct job *jobs, size_t n,
    const uint64_t *rnd)
{
	pthread_t tid[MAXTHREADS];
	int started[MAXTHREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int t, nt = cpus < 1 ? 1 : cpus > MAXTHREADS ? MAXTHREADS : (int)cpus;

	if (n < 20000)
		nt = 1;
	for (t = 0; t < nt; t++) {
		memset(&jobs[t], 0, sizeof(jobs[t]));
		jobs[t].d = d;
		jobs[t].rnd = rnd;
		jobs[t].lo = n * (size_t)t / (size_t)nt;
		jobs[t].hi = n * (size_t)(t + 1) / (size_t)nt;
	}
	for (t = 1; t < nt; t++)
		started[t] = pthread_create(&tid[t], NULL, compare_job,
		    &jobs[t]) == 0;
	compare_job(&jobs[0]);
	for (t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			compare_job(&jobs[t]);
	}
	return nt;
}

/* Pattern numbers by the pattern (qsort_r, arg: the patterns). */
static int
cmp_pat(const void *a, const void *b, void *arg)
{
	const signed char *pat = arg;

	return memcmp(pat + *(const uint32_t *)a * NF,
	    pat + *(const uint32_t *)b * NF, NF);
}

/*
 * Compare every candidate.  The threads' patterns are joined and then
 * sorted, so that their numbers, and so the model, do not depend on the
 * number of threads.
 */
static int
compare_all(struct crm_dedupe *d)
{
	struct job jobs[MAXTHREADS];
	struct patset all;
	uint32_t *map = NULL, *perm = NULL, *rank = NULL, x;
	size_t i, p;
	int t, nt, rc = -1;

	memset(&all, 0, sizeof(all));
	nt = run_jobs(d, jobs, d->ncand, NULL);
	for (t = 0; t < nt; t++) {
		if (jobs[t].failed)
			goto done;
		free(map);
		if ((map = calloc(jobs[t].ps.n + 1, sizeof(*map))) == NULL)
			goto done;
		for (p = 0; p < jobs[t].ps.n; p++)
			if (patset_add(&all, jobs[t].ps.pat + p * NF,
			    &map[p]) < 0)
				goto done;
		for (i = jobs[t].lo; i < jobs[t].hi; i++)
			d->cand[i].pat = map[d->cand[i].pat];
	}
	perm = calloc(all.n + 1, sizeof(*perm));
	rank = calloc(all.n + 1, sizeof(*rank));
	if (perm == NULL || rank == NULL)
		goto done;
	for (p = 0; p < all.n; p++)
		perm[p] = (uint32_t)p;
	qsort_r(perm, all.n, sizeof(*perm), cmp_pat, all.pat);
	for (p = 0; p < all.n; p++) {
		rank[perm[p]] = (uint32_t)p;
		if (patset_add(&d->pats, all.pat + (size_t)perm[p] * NF,
		    &x) < 0)
			goto done;
	}
	for (i = 0; i < d->ncand; i++)
		d->cand[i].pat = rank[d->cand[i].pat];
	rc = 0;
done:
	for (t = 0; t < nt; t++)
		dedupe_patset_release(&jobs[t].ps);
	dedupe_patset_release(&all);
	free(map);
	free(perm);
	free(rank);
	return rc;
}

/*
 * u: the share of each level among random pairs of records (nearly all
 * of them two different people), with half a pair added to each level so
 * that none is 0, then weighed against u_prior as the distinct pairs the
 * sample can have seen (total, the pairs of records that stand for
 * themselves): a file of three records has three pairs, one of which may
 * be the very duplicate to find.
 */
static int
measure_u(struct crm_dedupe *d, double total)
{
	struct job jobs[MAXTHREADS];
	uint64_t seed = 0x6372646564757065ULL, *rnd, x, y;
	double cnt, tot, ne;
	size_t i, n = 0;
	int f, l, t, nt;

	if ((rnd = reallocarray(NULL, RANDOM_PAIRS, sizeof(*rnd))) == NULL)
		return -1;
	for (i = 0; i < RANDOM_PAIRS; i++) {
		if (d->linking) {
			x = splitmix(&seed) % d->nref;
			y = d->nref + splitmix(&seed) % (d->nrec - d->nref);
		} else {
			x = splitmix(&seed) % d->nrec;
			y = splitmix(&seed) % d->nrec;
		}
		if (d->rec[x].root != d->rec[y].root)
			rnd[n++] = x << 32 | y;
	}
	nt = run_jobs(d, jobs, n, rnd);
	free(rnd);
	for (f = 0; f < NF; f++) {
		for (tot = 0.0, t = 0; t < nt; t++)
			for (l = 0; l < NLEVELS; l++)
				tot += (double)jobs[t].cnt[f][l];
		ne = tot < total ? tot : total;
		for (l = 0; l < NLEVELS; l++) {
			for (cnt = 0.0, t = 0; t < nt; t++)
				cnt += (double)jobs[t].cnt[f][l];
			d->fs.u[f * NLEVELS + l] = (ne * (cnt + 0.5) /
			    (tot + 0.5 * NLEVELS) + U_PRIOR * u_prior[f][l]) /
			    (ne + U_PRIOR);
		}
	}
	crm_fs_update(&d->fs);
	memcpy(d->urand, d->fs.u, sizeof(d->urand));
	return 0;
}

/*
 * The fields a household shares: its members agree on them as one
 * person's records do, so that agreement on all of them is one piece of
 * evidence (the pair lives together), not five independent ones.
 */
static const unsigned household_fields = 1u << F_LAST | 1u << F_PHONE |
    1u << F_STREET | 1u << F_CITY | 1u << F_POSTCODE;

/*
 * The score of candidate c: its pattern's weight, adjusted for names;
 * *wh gets the part of it that the household fields make.
 */
static double
cand_weight(const struct crm_dedupe *d, const struct cand *c, double *wh)
{
	const signed char *g = d->pats.pat + (size_t)c->pat * NF;
	const struct rec *a = &d->rec[c->a];
	double w = crm_fs_weight(&d->fs, g), tf, u, adj;
	int f, t;

	*wh = d->pwh[c->pat];
	if (d->opts.no_tf)
		return w;
	for (t = 0; t < NTF; t++) {
		f = dedupe_tf_field[t];
		if (g[f] != NLEVELS - 1)
			continue;
		tf = a->tf[t];
		if (!(tf > 0.0))
			continue;
		if (tf < d->fs.floor)
			tf = d->fs.floor;
		u = d->urand[f * NLEVELS + NLEVELS - 1];
		adj = log2(u / tf);
		w += adj;
		if (household_fields & 1u << f)
			*wh += adj;
	}
	return w;
}

/*
 * The probability that a pair of weight w, wh of it from the household
 * fields, is one person: the three classes (one person, one household,
 * unrelated) weighed by their shares, in the log domain.
 */
static double
cand_prob(const struct crm_dedupe *d, double w, double wh)
{
	double a = log2(d->fs.lambda) + w, b, c, top;

	b = d->lambda_h > 0.0 ? log2(d->lambda_h) + wh : -INFINITY;
	c = log2(1.0 - d->fs.lambda - d->lambda_h);
	top = a > b ? a : b;
	if (c > top)
		top = c;
	return exp2(a - top) / (exp2(a - top) + exp2(b - top) +
	    exp2(c - top));
}

/* Each pattern's household weight, in d->pwh. */
static int
pattern_wh(struct crm_dedupe *d)
{
	const signed char *g;
	size_t p;
	int f;

	if ((d->pwh = calloc(d->pats.n + 1, sizeof(*d->pwh))) == NULL)
		return -1;
	for (p = 0; p < d->pats.n; p++) {
		g = d->pats.pat + p * NF;
		for (f = 0; f < NF; f++)
			if ((household_fields & 1u << f) && g[f] >= 0)
				d->pwh[p] += d->fs.w[f * NLEVELS + g[f]];
	}
	return 0;
}

/* Union-find with the lowest record as the representative. */
static uint32_t
uf_find(uint32_t *up, uint32_t x)
{
	uint32_t r = x, t;

	while (up[r] != r)
		r = up[r];
	while (up[x] != r) {
		t = up[x];
		up[x] = r;
		x = t;
	}
	return r;
}

static void
uf_union(uint32_t *up, uint32_t x, uint32_t y)
{
	x = uf_find(up, x);
	y = uf_find(up, y);
	if (x < y)
		up[y] = x;
	else if (y < x)
		up[x] = y;
}

/* Clusters: the connected components of the matches. */
static int
link_clusters(struct crm_dedupe *d, struct crm_error *err)
{
	size_t i, *size;

	d->cluster = reallocarray(NULL, d->nrec + 1, sizeof(*d->cluster));
	size = calloc(d->nrec + 1, sizeof(*size));
	if (d->cluster == NULL || size == NULL) {
		free(size);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	for (i = 0; i < d->nrec; i++)
		d->cluster[i] = (uint32_t)i;
	for (i = 0; i < d->nmatch; i++)
		uf_union(d->cluster, d->match[i].a, d->match[i].b);
	for (i = 0; i < d->nrec; i++)
		d->cluster[i] = uf_find(d->cluster, d->rec[i].root);
	for (i = 0; i < d->nrec; i++)
		if (d->rec[i].root == i)
			size[d->cluster[i]]++;
	for (i = 0; i < d->nrec; i++)
		if (size[i] > 1) {
			d->st.clusters++;
			d->st.in_clusters += (int64_t)size[i];
		}
	free(size);
	return 0;
}

static int
cmp_match(const void *p, const void *q)
{
	const struct match *x = p, *y = q;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return (x->weight < y->weight) - (x->weight > y->weight);
}

/*
 * The fields each kind of key implies agreement on, or on which it makes
 * agreement likelier: EM over the pairs a key brought leaves them out,
 * since u, measured on random pairs, does not hold for them there.
 */
static const unsigned rule_excludes[] = {
	1u << F_EMAIL | 1u << F_FIRST | 1u << F_LAST,		/* E */
	1u << F_PHONE,						/* P */
	1u << F_NATID,						/* N */
	1u << F_BIRTH,						/* D */
	1u << F_POSTCODE | 1u << F_CITY | 1u << F_FIRST | 1u << F_LAST, /* Z */
	1u << F_FIRST | 1u << F_LAST,				/* I */
	1u << F_BIRTH | 1u << F_POSTCODE | 1u << F_CITY,	/* B */
};
#define NRULES ((int)(sizeof(rule_excludes) / sizeof(rule_excludes[0])))
_Static_assert(NRULES == sizeof(DEDUPE_KEY_KINDS) - 1, "a rule for each key");

/*
 * Kinds of key whose pairs estimate m only for the fields no other kind
 * covers: the name key's pairs are mostly namesakes, and namesakes share
 * more than chance would have it (a country, a city), which EM then takes
 * for the mark of a match.
 */
static const unsigned rule_weak = 1u << 5;	/* I */

/*
 * Kinds of key that bring the members of a household (a shared phone; a
 * postcode with the sound of the shared family name) as readily as a
 * person's duplicates, and the fields that tell a person from the others
 * of the household.  Over such keys' pairs EM takes a household for a
 * match and learns that one person's records often differ in given name
 * and birth date (m near 0.4); so these fields' m comes from the other
 * kinds of key (a shared email, birth date or national id), and from
 * these only where no other kind covers the field.  Not the email: one
 * person's records do differ in it (work and home, a new provider).
 */
static const unsigned rule_household = 1u << 1 | 1u << 4;	/* P, Z */
static const unsigned person_fields = 1u << F_FIRST | 1u << F_BIRTH |
    1u << F_NATID;

/*
 * m, as Splink estimates it: for each kind of key, EM over the pairs it
 * brought, with u fixed at the random-pair values and the fields the key
 * biases left out; then each field's m is the average over the kinds that
 * kept it, weighted by the matches each expects, with m_prior counting as
 * M_PRIOR of them.
 */
static int
fit_m(struct crm_dedupe *d, struct crm_error *err)
{
	struct crm_fs_model fk;
	double *count = NULL, msum[2][NF * NLEVELS], wsum[2][NF], wk;
	signed char *pat = NULL;
	size_t i, p, n;
	int k, f, l, weak, rc = -1;

	memset(msum, 0, sizeof(msum));
	memset(wsum, 0, sizeof(wsum));
	count = calloc(d->pats.n, sizeof(*count));
	pat = malloc(d->pats.n * NF + 1);
	if (count == NULL || pat == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (k = 0; k < NRULES; k++) {
		memset(count, 0, d->pats.n * sizeof(*count));
		for (i = n = 0; i < d->ncand; i++)
			if (d->cand[i].rules & 1u << k) {
				count[d->cand[i].pat] += 1.0;
				n++;
			}
		if (n == 0)
			continue;
		memcpy(pat, d->pats.pat, d->pats.n * NF);
		for (p = 0; p < d->pats.n; p++)
			for (f = 0; f < NF; f++)
				if (rule_excludes[k] & 1u << f)
					pat[p * NF + f] = -1;
		if (crm_fs_init(&fk, NF, NLEVELS, err) < 0)
			goto done;
		memcpy(fk.u, d->urand, sizeof(d->urand));
		crm_fs_update(&fk);
		fk.fix_u = 1;
		fk.start_from_data = 0;
		if (crm_fs_fit_patterns(&fk, pat, count, d->pats.n, err) < 0) {
			crm_fs_release(&fk);
			goto done;
		}
		wk = fk.lambda * (double)n;
		for (f = 0; f < NF; f++) {
			if (rule_excludes[k] & 1u << f)
				continue;
			weak = (rule_weak & 1u << k) != 0 ||
			    ((rule_household & 1u << k) &&
			    (person_fields & 1u << f));
			for (l = 0; l < NLEVELS; l++)
				msum[weak][f * NLEVELS + l] += wk *
				    fk.m[f * NLEVELS + l];
			wsum[weak][f] += wk;
		}
		crm_fs_release(&fk);
	}
	for (f = 0; f < NF; f++) {
		weak = !(wsum[0][f] > 0.0);
		for (l = 0; l < NLEVELS; l++)
			d->fs.m[f * NLEVELS + l] = (msum[weak][f * NLEVELS +
			    l] + M_PRIOR * m_prior[f][l]) / (wsum[weak][f] +
			    M_PRIOR);
	}
	crm_fs_update(&d->fs);
	rc = 0;
done:
	free(count);
	free(pat);
	return rc;
}

/*
 * lambda, the chance that two records picked at random match, and
 * lambda_h, that they are two people of one household: the shares of all
 * pairs that the candidates are expected to be, by EM on the two shares
 * alone (every pair that is not a candidate taken as unrelated).  A
 * pattern is as likely among a household's pairs as its household fields'
 * agreement is among matches, and its other fields' among unrelated
 * pairs (bfh below).  Each candidate counts as the pairs it stands for
 * (more than one when sampled).
 */
static void
fit_lambda(struct crm_dedupe *d, const double *pcount, double total)
{
	double lam = 1e-6, lh = 1e-6, next, nexth, bf, bfh, sum, sumh, den;
	size_t p;
	int it;

	for (it = 0; it < 500; it++) {
		sum = sumh = 0.0;
		for (p = 0; p < d->pats.n; p++) {
			if (pcount[p] == 0.0)
				continue;
			bf = exp2(crm_fs_weight(&d->fs, d->pats.pat + p * NF));
			bfh = exp2(d->pwh[p]);
			den = lam * bf + lh * bfh + 1.0 - lam - lh;
			sum += pcount[p] * lam * bf / den;
			sumh += pcount[p] * lh * bfh / den;
		}
		next = sum / total;
		nexth = sumh / total;
		if (next < 1e-12)
			next = 1e-12;
		if (next > 0.5)
			next = 0.5;
		if (nexth > 0.4)
			nexth = 0.4;
		if (fabs(next - lam) <= 1e-6 * lam &&
		    fabs(nexth - lh) <= 1e-6 * lh + 1e-15) {
			lam = next;
			lh = nexth;
			break;
		}
		lam = next;
		lh = nexth;
	}
	d->fs.lambda = lam;
	d->lambda_h = lh;
}

int
crm_dedupe_run(struct crm_dedupe *d, struct crm_error *err)
{
	struct pairs ps = { NULL, 0, 0 };
	uint32_t *order = NULL;
	double *pcount = NULL, total, nroot = 0.0, nref, scale = 1.0;
	struct cand c;
	size_t i, j;
	uint64_t keep = UINT64_MAX, pr;
	int rc = -1;

	d->st.records = (int64_t)d->nrec;
	if (d->nrec < 2)
		return link_clusters(d, err);
	if (d->nrec >= MAXREC)
		return crm_error_set(err, CRM_EFAIL, "more than %u records",
		    MAXREC - 1);
	if (dedupe_term_freq(d) < 0 || (order = dedupe_name_order(d)) == NULL)
		goto nomem;
	if (dedupe_block(d, order, &ps, err) < 0)
		goto done;
	free(order);
	order = NULL;

	/*
	 * Incremental: pairs with a new record are scored; of the others
	 * only a sample, deterministic by the pair, helps fit the model.
	 */
	if (d->opts.since != 0) {
		size_t nold = 0;

		for (i = 0; i < ps.n; i++)
			nold += !d->rec[PAIR_A(ps.p[i])].isnew &&
			    !d->rec[PAIR_B(ps.p[i])].isnew;
		if (nold > EM_SAMPLE) {
			scale = (double)nold / EM_SAMPLE;
			keep = (uint64_t)((double)UINT64_MAX / scale);
		}
	}
	if ((d->cand = reallocarray(NULL, ps.n ? ps.n : 1,
	    sizeof(*d->cand))) == NULL)
		goto nomem;
	for (i = 0; i < ps.n; i++) {
		c.a = PAIR_A(ps.p[i]);
		c.b = PAIR_B(ps.p[i]);
		c.rules = PAIR_RULES(ps.p[i]);
		c.pat = 0;
		pr = ps.p[i] >> 8;
		if (!d->rec[c.a].isnew && !d->rec[c.b].isnew &&
		    splitmix(&pr) > keep)
			continue;
		d->cand[d->ncand++] = c;
	}
	free(ps.p);
	ps.p = NULL;
	dedupe_progress(d, (int64_t)d->ncand, "pairs to compare");
	if (compare_all(d) < 0)
		goto nomem;
	d->st.records = (int64_t)d->nrec;
	d->st.candidates = (int64_t)d->ncand;
	if (d->ncand == 0) {
		rc = 0;
		goto done;
	}

	/* u from random pairs, m by EM, lambda over all pairs. */
	if (crm_fs_init(&d->fs, NF, NLEVELS, err) < 0)
		goto done;
	d->fitted = 1;
	for (i = 0; i < d->nrec; i++)
		nroot += d->rec[i].root == i;
	total = nroot * (nroot - 1.0) / 2.0;
	if (d->linking) {
		for (nref = 0.0, i = 0; i < d->nref; i++)
			nref += d->rec[i].root == i;
		total = nref * (nroot - nref);
	}
	if (measure_u(d, total) < 0)
		goto nomem;
	if (fit_m(d, err) < 0)
		goto done;
	if ((pcount = calloc(d->pats.n, sizeof(*pcount))) == NULL)
		goto nomem;
	for (i = 0; i < d->ncand; i++) {
		const struct cand *cp = &d->cand[i];

		pcount[cp->pat] += d->rec[cp->a].isnew || d->rec[cp->b].isnew ?
		    1.0 : scale;
	}
	if (pattern_wh(d) < 0)
		goto nomem;
	fit_lambda(d, pcount, total);
	d->st.lambda = d->fs.lambda;

	/* The matches, between survivors; the best pair of records each. */
	for (i = 0; i < d->ncand; i++) {
		struct match m;
		double wh;
		const struct cand *cp = &d->cand[i];

		if (!d->rec[cp->a].isnew && !d->rec[cp->b].isnew)
			continue;
		m.weight = cand_weight(d, cp, &wh);
		m.prob = cand_prob(d, m.weight, wh);
		if (!(m.prob >= d->opts.threshold))
			continue;
		m.a = d->rec[cp->a].root;
		m.b = d->rec[cp->b].root;
		m.ra = cp->a;
		m.rb = cp->b;
		memcpy(m.g, d->pats.pat + (size_t)cp->pat * NF, NF);
		if (m.a > m.b) {
			uint32_t t = m.a;

			m.a = m.b;
			m.b = t;
			t = m.ra;
			m.ra = m.rb;
			m.rb = t;
		}
		if (d->nmatch % 1024 == 0) {
			void *p = reallocarray(d->match, d->nmatch + 1024,
			    sizeof(*d->match));

			if (p == NULL)
				goto nomem;
			d->match = p;
		}
		d->match[d->nmatch++] = m;
	}
	if (d->nmatch > 0)
		qsort(d->match, d->nmatch, sizeof(*d->match), cmp_match);
	for (i = j = 0; i < d->nmatch; i++)
		if (j == 0 || d->match[i].a != d->match[j - 1].a ||
		    d->match[i].b != d->match[j - 1].b)
			d->match[j++] = d->match[i];
	d->nmatch = j;
	d->st.matches = (int64_t)d->nmatch;
	rc = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	if (rc == 0)
		rc = link_clusters(d, err);
	free(ps.p);
	free(order);
	free(pcount);
	return rc;
}
