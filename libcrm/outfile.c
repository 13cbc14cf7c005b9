#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

struct crm_outfile {
	char *path;
	char *tmp;		/* NULL: path is written in place */
	FILE *fp;		/* NULL once closed */
	int closed, failed;
};

struct crm_outfile *
crm_outfile_open(const char *path, struct crm_error *err)
{
	struct crm_outfile *f;
	struct stat sb;
	int fd;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(path)) == NULL) {
		free(f);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if ((f->fp = fopen(path, "w")) == NULL)
			goto fail;
		return f;
	}
	if (asprintf(&f->tmp, "%s.tmpXXXXXX", path) < 0) {
		f->tmp = NULL;
		errno = ENOMEM;
		goto fail;
	}
	if ((fd = mkstemp(f->tmp)) < 0)
		goto fail;
	if ((f->fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(f->tmp);
		goto fail;
	}
	return f;
fail:
	crm_error_set(err, CRM_EFAIL, "%s: %s", path, strerror(errno));
	free(f->tmp);
	free(f->path);
	free(f);
	return NULL;
}

FILE *
crm_outfile_fp(const struct crm_outfile *f)
{
	return f->fp;
}

const char *
crm_outfile_path(const struct crm_outfile *f)
{
	return f->path;
}

int
crm_outfile_close(struct crm_outfile *f, struct crm_error *err)
{
	FILE *fp = f->fp;
	int bad;

	if (f->closed)
		return f->failed ? crm_error_set(err, CRM_EFAIL, "%s: write"
		    " failed", f->path) : 0;
	f->closed = 1;
	f->fp = NULL;
	errno = 0;
	bad = fflush(fp) != 0 || ferror(fp) ||
	    (f->tmp != NULL && fsync(fileno(fp)) != 0);
	if (bad)
		crm_error_set(err, CRM_EFAIL, "%s: %s", f->path,
		    errno ? strerror(errno) : "write error");
	if (fclose(fp) != 0 && !bad) {
		bad = 1;
		crm_error_set(err, CRM_EFAIL, "%s: %s", f->path,
		    strerror(errno));
	}
	if (bad && f->tmp != NULL) {
		unlink(f->tmp);
		free(f->tmp);
		f->tmp = NULL;
	}
	f->failed = bad;
	return bad ? -1 : 0;
}

int
crm_outfile_commit(struct crm_outfile *f, struct crm_error *err)
{
	int rc = crm_outfile_close(f, err);

	if (rc == 0 && f->tmp != NULL && rename(f->tmp, f->path) != 0) {
		rc = crm_error_set(err, CRM_EFAIL, "%s: %s", f->path,
		    strerror(errno));
		unlink(f->tmp);
	}
	free(f->tmp);
	free(f->path);
	free(f);
	return rc;
}

void
crm_outfile_discard(struct crm_outfile *f)
{
	if (f == NULL)
		return;
	if (f->fp != NULL)
		fclose(f->fp);
	if (f->tmp != NULL)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	free(f);
}
