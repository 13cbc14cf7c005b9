/*
 * error.h - the error object every libcrm function fills in.
 *
 * Library functions never print and never exit.  A function that can fail
 * takes a `struct crm_error *err` as its last argument, and on failure fills
 * it in and returns -1 (or NULL).  The code is also the exit status a command
 * should use, so cmd/ can hand it straight to exit(3):
 *
 *	CRM_EOK    0  success
 *	CRM_EFAIL  1  I/O, database or internal failure
 *	CRM_EUSAGE 2  the caller asked for something impossible (bad option value)
 *	CRM_EDATA  3  bad input data (a row, a value, a file's format)
 *
 * The message carries its own context ("contacts.csv:17: invalid email
 * 'bob@'") but not the program name; cmd/ prefixes that.
 */
#ifndef CRM_ERROR_H
#define CRM_ERROR_H

#include <stddef.h>

enum {
	CRM_EOK = 0,
	CRM_EFAIL = 1,
	CRM_EUSAGE = 2,
	CRM_EDATA = 3,
};

#define CRM_ERRMSG_MAX 1024

struct crm_error {
	int code;
	char msg[CRM_ERRMSG_MAX];
};

/* Clear err: code CRM_EOK, empty message. */
void crm_error_clear(struct crm_error *err);

/*
 * Set err to code and a printf-style message, and return -1 so that callers
 * can write `return crm_error_set(err, CRM_EDATA, "...")`.  err may be NULL.
 * A message longer than CRM_ERRMSG_MAX is truncated with "...".
 */
int crm_error_set(struct crm_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefix the message already in err with a printf-style context and ": ",
 * keeping its code; returns -1.  Used to add "file:line" to an error that a
 * lower layer raised without knowing where it came from.
 */
int crm_error_prefix(struct crm_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Quote a user value for a message: at most 60 bytes, control characters
 * shown as \xNN, into out (which must hold CRM_QUOTE_MAX bytes).  Returns out.
 */
#define CRM_QUOTE_MAX 256
const char *crm_quote(char *out, const char *s, size_t len);

#endif
