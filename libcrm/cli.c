#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "guard.h"
#include "help.h"
#include "match.h"
#include "norm.h"
#include "num.h"
#include "outfile.h"
#include "profile.h"

static const char *progname = "crm";
static const struct crm_cli *the_cli;	/* for the lock-wait line */
static double start_time, last_progress;
static int progress_shown;
/* Reachable, so leak checkers keep quiet; volatile, so the store stays. */
static char **volatile argv_copy;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The process that holds the write lock of the database at path, or 0:
 * in WAL mode SQLite holds it as a POSIX lock on byte 120 of the -shm
 * file, which F_GETLK reports with its pid.  The file stays open: closing
 * any descriptor of it would drop the locks SQLite holds on it.
 */
static pid_t
lock_holder(const char *path)
{
	static int fd = -1;
	static char *opened;
	char shm[PATH_MAX];
	struct flock fl;

	if (opened == NULL || strcmp(opened, path) != 0) {
		if (opened != NULL)
			return 0;
		snprintf(shm, sizeof(shm), "%s-shm", path);
		if ((fd = open(shm, O_RDONLY | O_CLOEXEC)) < 0 ||
		    (opened = strdup(path)) == NULL)
			return 0;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 120;
	fl.l_len = 1;
	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		return 0;
	return fl.l_pid;
}

/* Its program's name, from /proc (empty if not known). */
static void
proc_name(pid_t pid, char *name, size_t size)
{
	char path[64];
	FILE *fp;

	name[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(name, (int)size, fp) == NULL)
		name[0] = '\0';
	name[strcspn(name, "\n")] = '\0';
	fclose(fp);
}

/* crm_db_on_wait(): on a terminal, say who is being waited for. */
static void
say_waiting(const char *path, double waited)
{
	static double last;
	char name[64];
	const char *base = strrchr(path, '/');
	pid_t pid;
	double t = now_s();

	if (the_cli == NULL || !the_cli->tty || the_cli->quiet ||
	    t - last < 0.25)
		return;
	last = t;
	base = base != NULL ? base + 1 : path;
	pid = lock_holder(path);
	fprintf(stderr, "\r\033[K%s: ", progname);
	if (pid > 0) {
		proc_name(pid, name, sizeof(name));
		fprintf(stderr, "waiting for another %sprogram (pid %ld%s%s)",
		    strncmp(name, "crm", 3) == 0 ? "crm " : "", (long)pid,
		    name[0] ? ", " : "", name);
	} else
		fprintf(stderr, "waiting for another program");
	fprintf(stderr, " to finish writing to %s, %.0f s so far", base,
	    waited);
	fflush(stderr);
	progress_shown = 1;
}

void
crm_cli_init(struct crm_cli *c, const char *prog, const char *usage, int argc,
    char **argv)
{
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->usage = usage;
	c->fmt = CRM_FMT_CSV;
	c->tty = isatty(STDERR_FILENO);
	c->argc = argc;
	/* getopt_long reorders argv: keep the command line as given, for
	 * the audit.  (A copy of the pointers; never freed, like argv.) */
	c->argv = argv;
	{
		char **copy = calloc((size_t)argc + 1, sizeof(*copy));

		if (copy != NULL) {
			memcpy(copy, argv, (size_t)argc * sizeof(*copy));
			c->argv = copy;
			argv_copy = copy;
		}
	}
	progname = prog;
	the_cli = c;
	crm_db_on_wait(say_waiting);
	start_time = now_s();
	/* Rejects files, exports: personal data is never world-readable. */
	umask(077);
}

const char *
crm_cmd_usage(const struct crm_cmd *table)
{
	static char *text;
	struct crm_buf b = CRM_BUF_INIT(1 << 16);
	const char *last = NULL;
	size_t i;

	if (text != NULL)
		return text;
	for (i = 0; table[i].name != NULL; i++) {
		if (table[i].usage == last)
			continue;
		last = table[i].usage;
		if ((b.len > 0 && crm_buf_addc(&b, '\n', NULL) < 0) ||
		    crm_buf_adds(&b, last, NULL) < 0)
			break;
	}
	text = crm_buf_detach(&b);
	return text != NULL ? text : "";
}

/* The subcommand crm_cmd_find() chose, for crm_cli_pg_ported(). */
static const char *cmd_name;

const char *
crm_cli_nearest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL, *prefix = NULL;
	size_t i, d, bestd = (size_t)-1, wl = strlen(word), nprefix = 0;

	for (i = 0; i < n; i++) {
		if (wl >= 2 && strncmp(names[i], word, wl) == 0) {
			prefix = names[i];
			nprefix++;
		}
		d = crm_match_dl_str(word, names[i]);
		if (d < bestd) {
			bestd = d;
			best = names[i];
		}
	}
	if (nprefix == 1)
		return prefix;
	return bestd <= 2 && bestd < wl ? best : NULL;
}

const struct crm_cmd *
crm_cmd_find(struct crm_cli *c, const struct crm_cmd *table, const char *name,
    const char *dflt)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	size_t i, n;

	for (i = 0; table[i].name != NULL; i++)
		if (name != NULL && strcmp(table[i].name, name) == 0)
			break;
	/* A default command takes files: a word near a command's name that
	 * is no file is a misspelt command ("crm-log shw"). */
	if (table[i].name == NULL && dflt != NULL && name != NULL &&
	    strcmp(name, "-") != 0 && access(name, F_OK) != 0) {
		const char *names[64] = { NULL }, *near;

		for (n = 0; table[n].name != NULL && n < 64; n++)
			names[n] = table[n].name;
		if ((near = crm_cli_nearest(name, names, n)) != NULL)
			crm_die_usage("unknown command '%s'; did you mean"
			    " '%s'? (and no file of that name)", name, near);
	}
	if (table[i].name == NULL && dflt != NULL)
		for (i = 0; table[i].name != NULL; i++)
			if (strcmp(table[i].name, dflt) == 0)
				break;
	if (table[i].name != NULL) {
		c->usage = table[i].usage;
		cmd_name = table[i].name;
		return &table[i];
	}
	if (name == NULL)
		crm_cli_usage(c, CRM_EUSAGE);
	for (n = 0; table[n].name != NULL; n++)
		;
	{
		const char *names[64] = { NULL }, *near;

		for (i = 0; i < n && i < 64; i++)
			names[i] = table[i].name;
		near = crm_cli_nearest(name, names, i);
		if (near != NULL)
			crm_die_usage("unknown command '%s'; did you mean"
			    " '%s'?", name, near);
	}
	for (i = 0; i < n; i++)
		crm_buf_addf(&b, NULL, "%s%s", i == 0 ? "" : i + 1 < n ?
		    ", " : " or ", table[i].name);
	crm_die_usage("unknown command '%s' (one of %s)", name,
	    crm_buf_str(&b));
}

void
crm_cmd_check(const struct crm_cmd *cmd, const int *seen, size_t n,
    const struct option *longopts)
{
	size_t i, k;

	if (cmd->opts == NULL)
		return;
	for (i = 0; i < n; i++) {
		const int *o;

		if (seen[i] == 'd' || seen[i] == 'h' || seen[i] == 'q' ||
		    seen[i] == 'V')
			continue;
		for (o = cmd->opts; *o != 0 && *o != seen[i]; o++)
			;
		if (*o != 0)
			continue;
		for (k = 0; longopts[k].name != NULL &&
		    longopts[k].val != seen[i]; k++)
			;
		crm_die_usage("%s: --%s does not apply", cmd->name,
		    longopts[k].name != NULL ? longopts[k].name : "?");
	}
}

/*
 * Does the usage entry starting at line (the program's name, then its
 * subcommand words up to the first option) name sub?
 */
static int
entry_names(const char *line, size_t len, const char *prog, const char *sub)
{
	size_t n = strlen(prog), sl = strlen(sub);
	const char *p = line + n, *end = line + len;

	if (len < n || strncmp(line, prog, n) != 0 || (p < end && *p != ' '))
		return 0;
	while (p < end) {
		size_t w;

		while (p < end && *p == ' ')
			p++;
		for (w = 0; p + w < end && p[w] != ' '; w++)
			;
		if (w == 0 || *p == '-' || (*p == '[' && p[1] == '-'))
			break;
		if (*p == '[' && w == sl + 2 && strncmp(p + 1, sub, sl) == 0)
			return 1;
		if (w == sl && strncmp(p, sub, sl) == 0)
			return 1;
		p += w;
	}
	return 0;
}

/* The SYNOPSIS lines, all or only sub's entries, under one "usage:". */
static void
print_usage(FILE *fp, const struct crm_cli *c, const char *sub)
{
	const char *p = c->usage, *nl;
	int first = 1, on = 1, any = 0;

	if (sub != NULL) {
		/* None of the entries names it: all of them. */
		for (p = c->usage; *p; p = *nl ? nl + 1 : nl) {
			nl = p + strcspn(p, "\n");
			if (entry_names(p, (size_t)(nl - p), c->prog, sub))
				any = 1;
		}
		if (!any)
			sub = NULL;
	}
	for (p = c->usage; *p; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		if (sub != NULL && strncmp(p, c->prog, strlen(c->prog)) == 0)
			on = entry_names(p, (size_t)(nl - p), c->prog, sub);
		if (!on)
			continue;
		fprintf(fp, "%s%.*s\n", first ? "usage: " : "       ",
		    (int)(nl - p), p);
		first = 0;
	}
}

/* The common options a page may leave to crm(7). */
static const struct crm_help_opt common_opts[] = {
	{ "-d db, --db=db", "The database, instead of CRM_DB or crm.db.",
	    "d= -db=", NULL, NULL },
	{ "-f format, --format=format", "Write csv, tsv, json or table.",
	    "f= -format=", NULL, "csv tsv json table" },
	{ "-t, --tsv", "Read and write TSV.", "t -tsv", NULL, NULL },
	{ "--excel-safe", "Neutralise cells a spreadsheet would run as"
	    " formulas.", "-excel-safe", NULL, NULL },
	{ "-q, --quiet", "No summary line.", "q -quiet", NULL, NULL },
	{ "-h, --help", "Print this help and exit 0.", "h -help", NULL,
	    NULL },
	{ "-V, --version", "Print the version and exit 0.", "V -version",
	    NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

/*
 * One option: its tag, then its first sentence, cut to the terminal's
 * width (cols) when standard output is one, else whole.
 */
static void
print_opt(FILE *fp, const struct crm_help_opt *o, int width, int cols)
{
	const char *s = o->line;
	int col, room;
	size_t n = strlen(s), cut;

	col = fprintf(fp, "  %-*s  ", width, o->tag);
	room = cols - 1 - col;
	if (cols > 0 && room < 20) {
		fprintf(fp, "\n%*s", 6, "");
		room = cols - 1 - 6;
	}
	if (cols == 0 || n <= (size_t)room) {
		fprintf(fp, "%s\n", s);
		return;
	}
	for (cut = (size_t)room - 3; cut > 0 && s[cut] != ' '; cut--)
		;
	while (cut > 0 && strchr(" ,;:(", s[cut - 1]) != NULL)
		cut--;
	fprintf(fp, "%.*s...\n", (int)cut, s);
}

/* Is any of o's names also one of the page's? */
static int
page_has(const struct crm_help_prog *hp, const struct crm_help_opt *o)
{
	const char *n = o->names;
	int arg;

	while (*n) {
		size_t len = strcspn(n, " =");
		int is_long = n[0] == '-';
		char name[64];

		if (len < sizeof(name)) {
			memcpy(name, n + is_long, len - is_long);
			name[len - is_long] = '\0';
			if (crm_help_opt(hp, name, is_long, &arg) != NULL)
				return 1;
		}
		n += strcspn(n, " ");
		n += strspn(n, " ");
	}
	return 0;
}

/*
 * --help: the usage, then every option the man page lists with its first
 * sentence, in the page's order (help.h); only the subcommand's when the
 * command line names one.
 */
static void
print_help(const struct crm_cli *c)
{
	const struct crm_help_prog *hp = crm_help_find(c->prog);
	const struct crm_help_opt *o;
	const char *sub = NULL;
	int width = 0, pass, cols = 0;
	struct winsize ws;

	if (isatty(STDOUT_FILENO))
		cols = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_col >= 40 ? ws.ws_col : 80;

	if (hp != NULL && c->argc > 1)
		sub = crm_help_sub(hp, c->argc - 1, c->argv + 1);
	print_usage(stdout, c, sub);
	if (hp == NULL)
		return;
	/* The widest tag that fits, then the lines. */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			printf("\n%s%s%s:\n", sub ? "options of '" : "options",
			    sub ? sub : "", sub ? "'" : "");
		for (o = hp->opts; o->tag != NULL; o++) {
			int len = (int)strlen(o->tag);

			if (sub != NULL && o->subs != NULL &&
			    !crm_help_has(o->subs, sub, (size_t)-1))
				continue;
			if (pass == 0 && len <= 26 && len > width)
				width = len;
			else if (pass == 1)
				print_opt(stdout, o, width, cols);
		}
		for (o = common_opts; o->tag != NULL; o++) {
			if (page_has(hp, o))
				continue;
			if (pass == 0 && (int)strlen(o->tag) > width)
				width = (int)strlen(o->tag);
			else if (pass == 1)
				print_opt(stdout, o, width, cols);
		}
	}
	printf("\nSee %s(1) for the whole story.\n", c->prog);
}

void
crm_cli_usage(const struct crm_cli *c, int status)
{
	if (status == 0) {
		print_help(c);
		exit(crm_cli_finish(0));
	}
	print_usage(stderr, c, NULL);
	exit(status);
}

void
crm_warn(const char *fmt, ...)
{
	va_list ap;

	crm_progress_end(NULL);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
crm_die(const struct crm_error *err)
{
	crm_warn("%s", err->msg[0] ? err->msg : "failed");
	fflush(stdout);
	exit(err->code > 0 ? err->code : 1);
}

void
crm_die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(CRM_EUSAGE);
}

int
crm_cli_opt(struct crm_cli *c, int opt, const char *arg)
{
	struct crm_error err;

	switch (opt) {
	case 'd':
		if (*arg == '\0')
			crm_die_usage("--db: an empty path (the database is"
			    " -d PATH, else $CRM_DB, else ./crm.db)");
		/* csvkit's -d is the delimiter: -d ';' would make a database
		 * named ';'. */
		if (strcmp(arg, ",") == 0 || strcmp(arg, ";") == 0 ||
		    strcmp(arg, "|") == 0 || strcmp(arg, "\t") == 0 ||
		    strcmp(arg, "\\t") == 0 || strcmp(arg, ":") == 0)
			crm_die_usage("-d names the database, not '%s'; for"
			    " the field separator give --delimiter '%s'", arg,
			    arg);
		c->db_opt = arg;
		return 1;
	case 'f':
		if (crm_fmt_parse(arg, &c->fmt, &err) < 0)
			crm_die(&err);
		c->fmt_set = 1;
		return 1;
	case 't':
		c->tsv = 1;
		if (!c->fmt_set)
			c->fmt = CRM_FMT_TSV;
		return 1;
	case CRM_OPT_EXCEL_SAFE:
		c->excel_safe = 1;
		return 1;
	case 'q':
		c->quiet = 1;
		return 1;
	case 'h':
		crm_cli_usage(c, 0);
	case 'V':
		printf("%s %s (libcrm, sqlite %s)\n", c->prog, CRM_VERSION,
		    crm_db_engine_version());
		exit(crm_cli_finish(0));
	case '?':
	case ':':
		crm_cli_usage(c, CRM_EUSAGE);
	}
	return 0;
}

void
crm_cli_subcommand(const char *name)
{
	cmd_name = name;
}

int
crm_cli_pg_ported(const char *prog)
{
	/*
	 * The programs, or a program's subcommands, whose SQL runs on
	 * PostgreSQL (tests/t0022).
	 */
	static const char *const ported[] = {
		"crm-account",
		"crm-add",
		"crm-campaign",
		"crm-churn",
		"crm-dedupe find",
		"crm-dedupe households",
		"crm-dedupe link",
		"crm-deal",
		"crm-export",
		"crm-forget",
		"crm-log",
		"crm-report",
		"crm-segment",
		"crm-task",
		"crm-ticket",
	};
	size_t i, n = strlen(prog);

	for (i = 0; i < sizeof(ported) / sizeof(ported[0]); i++)
		if (strncmp(ported[i], prog, n) == 0 && (ported[i][n] ==
		    '\0' || (ported[i][n] == ' ' && cmd_name != NULL &&
		    strcmp(ported[i] + n + 1, cmd_name) == 0)))
			return 1;
	return 0;
}

struct crm_db *
crm_cli_db(const struct crm_cli *c, int flags)
{
	struct crm_error err;
	struct crm_db *db;

	crm_error_clear(&err);
	if (crm_guard_fd(crm_db_path(c->db_opt), "standard output",
	    STDOUT_FILENO, &err) < 0 ||
	    (db = crm_db_open(crm_db_path(c->db_opt), flags, &err)) == NULL)
		crm_die(&err);
	if (crm_db_is_pg(db) && !crm_cli_pg_ported(c->prog)) {
		crm_error_set(&err, CRM_EFAIL, "%s: PostgreSQL: %s works on"
		    " SQLite only so far (README, PostgreSQL)", crm_db_name(db),
		    c->prog);
		crm_die(&err);
	}
	/* Personal data: say so when anyone may read it, even with -q. */
	if (crm_db_file_mode(db) & 004)
		crm_warn("warning: %s is readable by others (mode %04o);"
		    " chmod 600 it", crm_db_name(db), crm_db_file_mode(db));
	return db;
}

static char dry_dir[64];

static void
dry_cleanup(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm",
	    "-journal" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(path, sizeof(path), "%s/crm.db%s", dry_dir, suffix[i]);
		unlink(path);
	}
	rmdir(dry_dir);
}

struct crm_db *
crm_cli_db_dry(const struct crm_cli *c, int flags, int dry)
{
	struct crm_error err;
	const char *tmp = getenv("TMPDIR");
	char path[128];
	struct stat sb;

	if (!dry || crm_db_is_url(crm_db_path(c->db_opt)) ||
	    stat(crm_db_path(c->db_opt), &sb) == 0 || errno != ENOENT)
		return crm_cli_db(c, flags);
	/* Nothing to write to: a scratch database, removed at exit. */
	snprintf(dry_dir, sizeof(dry_dir), "%s/crm-dry.XXXXXX",
	    tmp != NULL && *tmp != '\0' && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dry_dir) == NULL) {
		crm_error_set(&err, CRM_EFAIL, "%s: %s", dry_dir,
		    strerror(errno));
		crm_die(&err);
	}
	atexit(dry_cleanup);
	snprintf(path, sizeof(path), "%s/crm.db", dry_dir);
	{
		struct crm_db *db;

		crm_error_clear(&err);
		if ((db = crm_db_open(path, flags | CRM_DB_CREATE, &err)) ==
		    NULL)
			crm_die(&err);
		return db;
	}
}

void
crm_cli_output(const struct crm_cli *c, const char *what, const char *path)
{
	struct crm_error err;

	crm_error_clear(&err);
	if (crm_guard_output(crm_db_path(c->db_opt), what, path, &err) < 0)
		crm_die(&err);
}

struct crm_out *
crm_cli_out(const struct crm_cli *c)
{
	struct crm_error err;
	struct crm_out *o;

	if ((o = crm_out_new(stdout, c->fmt, c->excel_safe, &err)) == NULL)
		crm_die(&err);
	return o;
}

struct crm_out *
crm_cli_out_auto(const struct crm_cli *c)
{
	struct crm_error err;
	struct crm_out *o;
	enum crm_fmt f = c->fmt;

	if (!c->fmt_set && !c->tsv && isatty(STDOUT_FILENO))
		f = CRM_FMT_TABLE;
	if ((o = crm_out_new(stdout, f, c->excel_safe, &err)) == NULL)
		crm_die(&err);
	return o;
}

int
crm_cli_finish(int status)
{
	int bad = 0;

	crm_progress_end(NULL);
	if (fflush(stdout) != 0 || ferror(stdout))
		bad = errno ? errno : EIO;
	if (fclose(stdout) != 0 && !bad)
		bad = errno ? errno : EIO;
	if (bad) {
		fprintf(stderr, "%s: write error on standard output: %s\n",
		    progname, strerror(bad));
		return status ? status : 1;
	}
	return status;
}

void
crm_progress(struct crm_cli *c, int64_t n, const char *what)
{
	double t;

	if (!c->tty || c->quiet)
		return;
	t = now_s();
	if (t - start_time < 1.0 || t - last_progress < 0.25)
		return;
	last_progress = t;
	progress_shown = 1;
	fprintf(stderr, "\r\033[K%s: %lld %s", progname, (long long)n, what);
	fflush(stderr);
}

void
crm_progress_file(struct crm_cli *c, int64_t n, const char *what,
    const struct crm_progress_in *in)
{
	double t;
	off_t at;

	if (in == NULL || in->fd < 0 || in->size <= 0) {
		crm_progress(c, n, what);
		return;
	}
	if (!c->tty || c->quiet)
		return;
	t = now_s();
	if (t - start_time < 1.0 || t - last_progress < 0.25)
		return;
	last_progress = t;
	if ((at = lseek(in->fd, 0, SEEK_CUR)) < 0)
		at = 0;
	if (at > in->size)
		at = in->size;
	progress_shown = 1;
	fprintf(stderr, "\r\033[K%s: %s: %d%%, %lld %s, %.1f MB/s", progname,
	    in->name, (int)(100.0 * (double)at / (double)in->size),
	    (long long)n, what, t - in->start > 0 ?
	    (double)(at - in->at0) / 1e6 / (t - in->start) : 0.0);
	fflush(stderr);
}

void
crm_progress_in_init(struct crm_cli *c, struct crm_progress_in *in,
    const char *path)
{
	struct stat want, sb;
	struct dirent *e;
	DIR *d;

	in->fd = -1;
	in->size = 0;
	in->name = path;
	in->start = now_s();
	in->at0 = 0;
	if (!c->tty || c->quiet)
		return;
	if (strcmp(path, "-") == 0) {
		in->name = "standard input";
		if (fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode)) {
			in->fd = STDIN_FILENO;
			in->size = sb.st_size;
		}
	} else if (stat(path, &want) == 0 && S_ISREG(want.st_mode) &&
	    (d = opendir("/proc/self/fd")) != NULL) {
		/* The descriptor the reader opened path on. */
		while ((e = readdir(d)) != NULL) {
			int fd = atoi(e->d_name);

			if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
			    fd == dirfd(d) || fstat(fd, &sb) != 0 ||
			    sb.st_dev != want.st_dev || sb.st_ino != want.st_ino)
				continue;
			in->fd = fd;
			in->size = want.st_size;
		}
		closedir(d);
	}
	if (in->fd >= 0 && (in->at0 = lseek(in->fd, 0, SEEK_CUR)) < 0)
		in->at0 = 0;
}

void
crm_progress_end(struct crm_cli *c)
{
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
}

int
crm_cli_commit(struct crm_cli *c, struct crm_db *db, int dry,
    const char *counts_json, struct crm_error *err)
{
	if (dry) {
		crm_db_rollback(db);
		return 0;
	}
	if (crm_db_audit(db, c->prog, c->argc, c->argv, counts_json,
	    err) < 0 || crm_db_commit(db, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	return 0;
}

int64_t
crm_cli_time(const char *name, const char *arg)
{
	struct crm_error err;
	int64_t t;

	if (crm_norm_datetime(arg, &t, &err) < 0)
		crm_die_usage("%s: %s", name, err.msg);
	return t;
}

int64_t
crm_cli_num(const char *name, const char *arg, int64_t min, int64_t max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max)
		crm_die_usage("%s: '%s' is not a number from %lld to %lld",
		    name, arg, (long long)min, (long long)max);
	return v;
}

struct crm_rejects {
	char *path, *header;
	int excel_safe;
	struct crm_outfile *file;	/* from the first bad record on */
	struct crm_out *out;
	int64_t n;
};

struct crm_rejects *
crm_rejects_new(const char *path, int excel_safe, struct crm_error *err)
{
	struct crm_rejects *rj = calloc(1, sizeof(*rj));

	if (rj == NULL || (rj->path = strdup(path)) == NULL) {
		free(rj);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	rj->excel_safe = excel_safe;
	return rj;
}

/* The input header as one string, to keep every record aligned. */
static char *
header_key(const struct crm_csv *r)
{
	struct crm_buf b = CRM_BUF_INIT(1 << 20);
	size_t i;

	for (i = 0; i < crm_csv_ncols(r); i++)
		if (crm_buf_adds(&b, crm_csv_colname(r, i), NULL) < 0 ||
		    crm_buf_addc(&b, '\t', NULL) < 0) {
			crm_buf_release(&b);
			return NULL;
		}
	return crm_buf_detach(&b);
}

static int
rejects_open(struct crm_rejects *rj, const struct crm_csv *r,
    struct crm_error *err)
{
	const char **names;
	size_t i, n = crm_csv_ncols(r);
	int rc = -1;

	if ((names = calloc(n + 1, sizeof(*names))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	if ((rj->file = crm_outfile_open(rj->path, err)) == NULL)
		goto done;
	for (i = 0; i < n; i++)
		names[i] = crm_csv_colname(r, i);
	names[n] = "reason";
	if ((rj->out = crm_out_new(crm_outfile_fp(rj->file),
	    crm_csv_is_tsv(r) ? CRM_FMT_TSV : CRM_FMT_CSV, rj->excel_safe,
	    err)) == NULL ||
	    crm_out_header(rj->out, names, NULL, n + 1, err) < 0)
		goto done;
	if ((rj->header = header_key(r)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	rc = 0;
done:
	free(names);
	return rc;
}

int
crm_rejects_add(struct crm_rejects *rj, const struct crm_csv *r,
    const char *reason, struct crm_error *err)
{
	char *key;
	int same;

	if (rj == NULL)
		return 0;
	if (rj->out == NULL)
		return rejects_open(rj, r, err) < 0 ? -1 :
		    crm_rejects_add(rj, r, reason, err);
	if ((key = header_key(r)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	same = strcmp(key, rj->header) == 0;
	free(key);
	if (!same)
		return crm_error_set(err, CRM_EUSAGE, "%s: its header differs"
		    " from the first file's: import it separately to use"
		    " --rejects", crm_csv_name(r));
	rj->n++;
	return crm_out_reject(rj->out, r, reason, err);
}

int
crm_rejects_close(struct crm_rejects *rj, struct crm_error *err)
{
	if (rj == NULL || rj->file == NULL)
		return 0;
	return crm_outfile_close(rj->file, err);
}

int
crm_rejects_commit(struct crm_rejects *rj, struct crm_error *err)
{
	struct crm_outfile *f;
	struct stat sb;

	if (rj == NULL)
		return 0;
	if ((f = rj->file) != NULL) {
		rj->file = NULL;
		return crm_outfile_commit(f, err);
	}
	/* A clean run: an old rejects file would mislead. */
	if (lstat(rj->path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    unlink(rj->path) != 0)
		return crm_error_set(err, CRM_EFAIL, "%s: %s", rj->path,
		    strerror(errno));
	return 0;
}

void
crm_rejects_discard(struct crm_rejects *rj)
{
	if (rj == NULL)
		return;
	crm_outfile_discard(rj->file);
	rj->file = NULL;
}

void
crm_rejects_free(struct crm_rejects *rj)
{
	if (rj == NULL)
		return;
	crm_rejects_discard(rj);
	crm_out_free(rj->out);
	free(rj->path);
	free(rj->header);
	free(rj);
}

int64_t
crm_rejects_count(const struct crm_rejects *rj)
{
	return rj == NULL ? 0 : rj->n;
}

/* "N columns kept as attributes: a, b, c", once per file. */
static void
note_extras(const struct crm_csv *r)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	struct crm_error err;
	size_t i, n = 0;

	for (i = 0; i < crm_csv_ncols(r); i++) {
		if (!crm_csv_extra(r, i))
			continue;
		if (n < 8 && crm_buf_addf(&b, &err, "%s%s", n ? ", " : "",
		    crm_csv_colname(r, i)) < 0)
			break;
		n++;
	}
	if (n > 8)
		(void)crm_buf_addf(&b, &err, ", ... (%zu more)", n - 8);
	if (n > 0)
		crm_warn("%s: %zu column%s kept as attribute%s: %s",
		    crm_csv_name(r), n, n == 1 ? "" : "s", n == 1 ? "" : "s",
		    crm_buf_str(&b));
	crm_buf_release(&b);
}

int
crm_batch_file(struct crm_cli *c, const struct crm_batch *b, const char *path,
    struct crm_rejects *rj, struct crm_error *err)
{
	struct crm_csv *r;
	int rc;

	if ((r = b->io != NULL ? crm_import_open(b->io, path, c->tsv, err) :
	    crm_csv_open(path, c->tsv ? CRM_CSV_TSV : 0, err)) == NULL)
		return -1;
	rc = 0;
	if (b->io != NULL) {
		struct crm_import_info info;

		if ((rc = crm_import_prepare(r, b->io, c->prog, &info,
		    err)) == 0) {
			if (!c->quiet && info.says[0] != '\0')
				crm_warn("%s (%s)", info.says, crm_csv_name(r));
			if (!c->quiet && crm_csv_encoding(r) != NULL &&
			    b->io->dialect.encoding == NULL)
				crm_warn("%s: not UTF-8, read as %s",
				    crm_csv_name(r), crm_csv_encoding(r));
			if (b->region != NULL)
				b->region(b->ctx, info.region[0] ?
				    info.region : NULL);
		}
	}
	if (rc == 0 && (rc = b->header(b->ctx, r, err)) == 0) {
		struct crm_progress_in in;

		if (b->io != NULL && b->extras_note && !c->quiet)
			note_extras(r);
		crm_progress_in_init(c, &in, path);
		while ((rc = crm_csv_next(r, err)) == 1) {
			if (b->row(b->ctx, r, err) < 0) {
				size_t n = strlen(err->msg);

				/* Why a value could not be read, if known. */
				if (err->code == CRM_EDATA &&
				    crm_csv_note(r) != NULL &&
				    n + 100 < sizeof(err->msg))
					snprintf(err->msg + n,
					    sizeof(err->msg) - n, " (%s)",
					    crm_csv_note(r));
				if (err->code != CRM_EDATA || rj == NULL ||
				    crm_rejects_add(rj, r, err->msg, err) < 0) {
					rc = -1;
					break;
				}
			}
			crm_progress_file(c, b->nread(b->ctx), "records", &in);
		}
	}
	crm_csv_close(r);
	return rc < 0 ? -1 : 0;
}

void
crm_batch_die(struct crm_db *db, struct crm_rejects *rj,
    const struct crm_error *err)
{
	crm_db_rollback(db);
	crm_rejects_discard(rj);
	crm_die(err);
}

void
crm_batch_check_inputs(int argc, char **argv)
{
	struct crm_error err;
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) != 0) {
			crm_error_set(&err, CRM_EFAIL, "%s: %s", argv[i],
			    strerror(errno));
			crm_die(&err);
		}
}

#define BULK_MIN ((off_t)1 << 20)

/*
 * The size of what a pipe holds if every writer has closed it already
 * (`echo ... | crm-log` mostly finds it so), else -1: then it may carry
 * anything.  Nothing is read.
 */
static off_t
pipe_left(int fd)
{
	struct pollfd p;
	int n;

	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLHUP) ||
	    ioctl(fd, FIONREAD, &n) < 0)
		return -1;
	return n;
}

void
crm_batch_bulk(int argc, char **argv)
{
	struct stat sb;
	off_t total = 0, n;
	int i, rc, in;

	for (i = 0; i < (argc ? argc : 1); i++) {
		in = argc == 0 || strcmp(argv[i], "-") == 0;
		rc = in ? fstat(STDIN_FILENO, &sb) : stat(argv[i], &sb);
		if (rc == 0 && S_ISREG(sb.st_mode))
			n = sb.st_size;
		else if (rc == 0 && S_ISFIFO(sb.st_mode) && in)
			n = pipe_left(STDIN_FILENO);
		else
			n = -1;
		if (n < 0) {
			total = BULK_MIN;
			break;
		}
		total += n;
	}
	if (total >= BULK_MIN)
		crm_db_bulk();
}

void
crm_batch_end(struct crm_cli *c, struct crm_db *db, struct crm_rejects *rj,
    int dry, const char *counts_json)
{
	struct crm_error err;

	crm_error_clear(&err);
	crm_progress_end(c);
	if (crm_rejects_close(rj, &err) < 0) {
		crm_db_rollback(db);
		crm_die(&err);
	}
	if (crm_cli_commit(c, db, dry, counts_json, &err) < 0) {
		crm_rejects_discard(rj);
		crm_die(&err);
	}
	if (crm_rejects_commit(rj, &err) < 0)
		crm_die(&err);
	if (c->quiet && crm_rejects_count(rj) > 0)
		crm_warn("%lld %s rejected, written to %s",
		    (long long)crm_rejects_count(rj),
		    crm_num_word(crm_rejects_count(rj), "record", "records"),
		    rj->path);
}
