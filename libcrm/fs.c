#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

/* Geometric default: level l of L gets weight 4^l (m) or 4^(L-1-l) (u). */
static void
default_row(double *row, int nlevels, int rising)
{
	double sum = 0.0, v = 1.0;
	int l;

	for (l = 0; l < nlevels; l++) {
		row[rising ? l : nlevels - 1 - l] = v;
		sum += v;
		v *= 4.0;
	}
	for (l = 0; l < nlevels; l++)
		row[l] /= sum;
}

/* Floor each probability of row at fl and make them sum to 1 again. */
static void
floor_row(double *row, int nlevels, double fl)
{
	double sum = 0.0;
	int l;

	for (l = 0; l < nlevels; l++) {
		if (!(row[l] >= fl))	/* NaN too */
			row[l] = fl;
		sum += row[l];
	}
	for (l = 0; l < nlevels; l++)
		row[l] /= sum;
}

int
crm_fs_init(struct crm_fs_model *fs, int nfields, int nlevels,
    struct crm_error *err)
{
	size_t kl;
	int k;

	memset(fs, 0, sizeof(*fs));
	if (nfields < 1 || nlevels < 2 || nlevels > CRM_FS_LEVELS_MAX)
		return crm_error_set(err, CRM_EUSAGE,
		    "fellegi-sunter: %d fields of %d levels (need at least 1 "
		    "field and 2 to %d levels)", nfields, nlevels,
		    CRM_FS_LEVELS_MAX);
	kl = (size_t)nfields * (size_t)nlevels;
	fs->m = calloc(3 * kl, sizeof(double));
	if (fs->m == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	fs->u = fs->m + kl;
	fs->w = fs->u + kl;
	fs->nfields = nfields;
	fs->nlevels = nlevels;
	fs->lambda = 0.1;
	fs->tol = 1e-6;
	fs->max_iter = 1000;
	fs->floor = 1e-6;
	fs->start_from_data = 1;
	for (k = 0; k < nfields; k++) {
		default_row(fs->m + (size_t)k * nlevels, nlevels, 1);
		default_row(fs->u + (size_t)k * nlevels, nlevels, 0);
	}
	crm_fs_update(fs);
	return 0;
}

void
crm_fs_release(struct crm_fs_model *fs)
{
	free(fs->m);
	fs->m = fs->u = fs->w = NULL;
}

void
crm_fs_update(struct crm_fs_model *fs)
{
	size_t i, kl = (size_t)fs->nfields * fs->nlevels;
	int k;

	for (k = 0; k < fs->nfields; k++) {
		floor_row(fs->m + (size_t)k * fs->nlevels, fs->nlevels,
		    fs->floor);
		floor_row(fs->u + (size_t)k * fs->nlevels, fs->nlevels,
		    fs->floor);
	}
	for (i = 0; i < kl; i++)
		fs->w[i] = log2(fs->m[i] / fs->u[i]);
}

static int
check_levels(const struct crm_fs_model *fs, const signed char *v, size_t row,
    struct crm_error *err)
{
	int k;

	for (k = 0; k < fs->nfields; k++)
		if (v[k] < -1 || v[k] >= fs->nlevels)
			return crm_error_set(err, CRM_EDATA,
			    "comparison vector %zu, field %d: level %d is not "
			    "in -1..%d", row + 1, k + 1, v[k],
			    fs->nlevels - 1);
	return 0;
}

/*
 * EM over distinct patterns.  All sums run in pattern order, so the result
 * depends only on the input.
 */
static int
em(struct crm_fs_model *fs, const signed char *pat, const double *count,
    size_t npat, struct crm_error *err)
{
	int K = fs->nfields, L = fs->nlevels, k, l, it, conv = 0, rc = -1;
	size_t kl = (size_t)K * L, p, i;
	double *buf, *m, *u, *lm, *lu, *sm, *su;
	double lam, llam, l1lam, a, b, mx, lse, g, h, c, sg, tot, ll = 0.0, d;
	double delta, s;
	const signed char *v;

	if (!(fs->floor > 0.0 && fs->floor * L < 1.0))
		return crm_error_set(err, CRM_EUSAGE, "fellegi-sunter: floor %g "
		    "is not in (0, 1/%d)", fs->floor, L);
	if ((buf = calloc(6 * kl, sizeof(double))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	m = buf;
	u = m + kl;
	lm = u + kl;
	lu = lm + kl;
	sm = lu + kl;
	su = sm + kl;
	memcpy(m, fs->m, kl * sizeof(double));
	memcpy(u, fs->u, kl * sizeof(double));
	lam = fs->lambda;
	if (fs->start_from_data) {
		/* u: the level shares over all pairs; m: the default. */
		for (p = 0; p < npat; p++)
			for (k = 0, v = pat + p * K; k < K; k++)
				if (v[k] >= 0)
					su[(size_t)k * L + v[k]] += count[p];
		for (k = 0; k < K; k++) {
			for (s = 0.0, l = 0; l < L; l++)
				s += su[(size_t)k * L + l];
			default_row(m + (size_t)k * L, L, 1);
			if (s > 0.0 && !fs->fix_u)
				for (l = 0; l < L; l++)
					u[(size_t)k * L + l] =
					    su[(size_t)k * L + l] / s;
		}
	}
	for (k = 0; k < K; k++) {
		floor_row(m + (size_t)k * L, L, fs->floor);
		floor_row(u + (size_t)k * L, L, fs->floor);
	}
	if (!(lam >= fs->floor))
		lam = fs->floor;
	if (lam > 1.0 - fs->floor)
		lam = 1.0 - fs->floor;

	for (it = 1; it <= fs->max_iter; it++) {
		/* E step: the match probability g of each pattern. */
		for (i = 0; i < kl; i++) {
			lm[i] = log(m[i]);
			lu[i] = log(u[i]);
			sm[i] = su[i] = 0.0;
		}
		sg = tot = ll = 0.0;
		llam = log(lam);
		l1lam = log1p(-lam);
		for (p = 0; p < npat; p++) {
			v = pat + p * K;
			c = count[p];
			if (c == 0.0)
				continue;
			a = llam;
			b = l1lam;
			for (k = 0; k < K; k++) {
				if (v[k] < 0)
					continue;
				a += lm[(size_t)k * L + v[k]];
				b += lu[(size_t)k * L + v[k]];
			}
			mx = a > b ? a : b;
			lse = mx + log(exp(a - mx) + exp(b - mx));
			g = exp(a - lse);
			h = exp(b - lse);
			ll += c * lse;
			sg += c * g;
			tot += c;
			for (k = 0; k < K; k++) {
				if (v[k] < 0)
					continue;
				sm[(size_t)k * L + v[k]] += c * g;
				su[(size_t)k * L + v[k]] += c * h;
			}
		}
		if (tot <= 0.0) {
			crm_error_set(err, CRM_EDATA,
			    "fellegi-sunter: no comparison vectors to fit");
			goto done;
		}
		/* M step, keeping track of the largest move. */
		d = sg / tot;
		if (d < fs->floor)
			d = fs->floor;
		if (d > 1.0 - fs->floor)
			d = 1.0 - fs->floor;
		delta = fabs(d - lam);
		lam = d;
		for (k = 0; k < K; k++) {
			double nm[CRM_FS_LEVELS_MAX], nu[CRM_FS_LEVELS_MAX];
			double tm = 0.0, tu = 0.0;

			for (l = 0; l < L; l++) {
				tm += sm[(size_t)k * L + l];
				tu += su[(size_t)k * L + l];
			}
			for (l = 0; l < L; l++) {
				nm[l] = tm > 0.0 ? sm[(size_t)k * L + l] / tm :
				    m[(size_t)k * L + l];
				nu[l] = tu > 0.0 && !fs->fix_u ?
				    su[(size_t)k * L + l] / tu :
				    u[(size_t)k * L + l];
			}
			floor_row(nm, L, fs->floor);
			floor_row(nu, L, fs->floor);
			for (l = 0; l < L; l++) {
				d = fabs(nm[l] - m[(size_t)k * L + l]);
				delta = d > delta ? d : delta;
				d = fabs(nu[l] - u[(size_t)k * L + l]);
				delta = d > delta ? d : delta;
				m[(size_t)k * L + l] = nm[l];
				u[(size_t)k * L + l] = nu[l];
			}
		}
		if (delta < fs->tol) {
			conv = 1;
			break;
		}
	}

	/* The mirror solution: "match" is the class that agrees more. */
	for (s = 0.0, k = 0; k < K; k++)
		s += log(m[(size_t)k * L + L - 1]) - log(u[(size_t)k * L + L - 1]);
	if (s < 0.0 && !fs->fix_u) {
		for (i = 0; i < kl; i++) {
			d = m[i];
			m[i] = u[i];
			u[i] = d;
		}
		lam = 1.0 - lam;
	}
	memcpy(fs->m, m, kl * sizeof(double));
	memcpy(fs->u, u, kl * sizeof(double));
	fs->lambda = lam;
	fs->loglik = ll;
	fs->converged = conv;
	fs->iterations = it > fs->max_iter ? fs->max_iter : it;
	crm_fs_update(fs);
	rc = 0;
done:
	free(buf);
	return rc;
}

int
crm_fs_fit_patterns(struct crm_fs_model *fs, const signed char *pat,
    const double *count, size_t npat, struct crm_error *err)
{
	size_t p;

	if (npat == 0)
		return crm_error_set(err, CRM_EDATA,
		    "fellegi-sunter: no comparison vectors to fit");
	for (p = 0; p < npat; p++) {
		if (!isfinite(count[p]) || count[p] < 0.0)
			return crm_error_set(err, CRM_EUSAGE,
			    "fellegi-sunter: pattern %zu has count %g", p + 1,
			    count[p]);
		if (check_levels(fs, pat + p * fs->nfields, p, err) < 0)
			return -1;
	}
	return em(fs, pat, count, npat, err);
}

/* FNV-1a over the K levels of a vector. */
static uint64_t
hash_vec(const signed char *v, int K)
{
	uint64_t h = 14695981039346656037ULL;
	int k;

	for (k = 0; k < K; k++) {
		h ^= (unsigned char)v[k];
		h *= 1099511628211ULL;
	}
	return h;
}

int
crm_fs_fit(struct crm_fs_model *fs, const signed char *gamma, size_t n,
    struct crm_error *err)
{
	size_t K = (size_t)fs->nfields, cap = 1024, mask, np = 0, i, j, t;
	size_t *tab = NULL, *nt;
	signed char *pat = NULL;
	double *count = NULL;
	int rc = -1;

	if (n == 0)
		return crm_error_set(err, CRM_EDATA,
		    "fellegi-sunter: no comparison vectors to fit");
	/*
	 * Pool identical vectors: an open-addressing table of pattern
	 * numbers + 1 (0 is empty), kept at most half full.  There are at
	 * most n patterns, so pat and count are sized for n up front.
	 */
	if (n > SIZE_MAX / 2 / (K + sizeof(double)) ||
	    (pat = malloc(n * K)) == NULL ||
	    (count = malloc(n * sizeof(double))) == NULL ||
	    (tab = calloc(cap, sizeof(size_t))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		const signed char *v = gamma + i * K;

		if (check_levels(fs, v, i, err) < 0)
			goto done;
		mask = cap - 1;
		for (j = hash_vec(v, (int)K) & mask; tab[j] != 0;
		    j = (j + 1) & mask)
			if (memcmp(pat + (tab[j] - 1) * K, v, K) == 0)
				break;
		if (tab[j] != 0) {
			count[tab[j] - 1] += 1.0;
			continue;
		}
		memcpy(pat + np * K, v, K);
		count[np++] = 1.0;
		tab[j] = np;
		if (2 * np <= cap)
			continue;
		if ((nt = calloc(2 * cap, sizeof(size_t))) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
		cap *= 2;
		mask = cap - 1;
		for (t = 0; t < np; t++) {
			for (j = hash_vec(pat + t * K, (int)K) & mask;
			    nt[j] != 0; j = (j + 1) & mask)
				;
			nt[j] = t + 1;
		}
		free(tab);
		tab = nt;
	}
	rc = em(fs, pat, count, np, err);
done:
	free(tab);
	free(pat);
	free(count);
	return rc;
}

double
crm_fs_weight(const struct crm_fs_model *fs, const signed char *gamma)
{
	double w = 0.0;
	int k;

	for (k = 0; k < fs->nfields; k++)
		if (gamma[k] >= 0 && gamma[k] < fs->nlevels)
			w += fs->w[(size_t)k * fs->nlevels + gamma[k]];
	return w;
}

double
crm_fs_weight_tf(const struct crm_fs_model *fs, const signed char *gamma,
    const double *tf)
{
	int k, L = fs->nlevels;
	double w = 0.0, t;

	for (k = 0; k < fs->nfields; k++) {
		if (gamma[k] < 0 || gamma[k] >= L)
			continue;
		if (tf != NULL && gamma[k] == L - 1 && tf[k] > 0.0) {
			t = tf[k] < fs->floor ? fs->floor : tf[k];
			w += log2(fs->m[(size_t)k * L + L - 1] / t);
		} else
			w += fs->w[(size_t)k * L + gamma[k]];
	}
	return w;
}

double
crm_fs_prob(const struct crm_fs_model *fs, double weight)
{
	double x = weight + log2(fs->lambda / (1.0 - fs->lambda));

	return 1.0 / (1.0 + exp2(-x));
}

int
crm_fs_level(double sim, const double *cuts, int ncuts)
{
	int l = 0;

	if (isnan(sim))
		return -1;
	while (l < ncuts && sim >= cuts[l])
		l++;
	return l;
}
