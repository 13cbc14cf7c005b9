/*
 * norm.h - normalising what people type: emails, phones, names, dates.
 *
 * Every function takes the raw value (NUL-terminated UTF-8), writes the
 * normalised form and returns 0, or returns -1 with err set to CRM_EDATA
 * and a message that quotes the value ("invalid email 'bob@'") but has no
 * file or line: the caller adds those.  Leading and trailing white space is
 * always ignored.
 */
#ifndef CRM_NORM_H
#define CRM_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates), else 0. */
int crm_utf8_valid(const char *s, size_t len);

/* Pointer to the first non-blank byte of s; *len gets the trimmed length. */
const char *crm_trim(const char *s, size_t *len);

/* 1 if s holds nothing but white space (or is NULL). */
int crm_blank(const char *s);

/*
 * Email, as the key a contact is found by: trimmed, in Unicode NFC and
 * fully case-folded (utf8proc), local part and domain alike, so that
 * "ELODIE@EXAMPLE.COM" with U+00C9, with "E" and U+0301, and in lower
 * case are one address ("STRASSE" and "straße" fold alike too).  A
 * domain in Unicode (IDN U-labels) is folded the same way and kept in
 * Unicode; its ASCII form (xn--...) is another key.  Checked after
 * folding for one '@', a dot-atom local part of at most 64 bytes and a
 * domain of at least two labels of letters, digits and hyphens (UTF-8
 * letters allowed), at most 254 bytes in all.  Quoted local parts,
 * address literals and invisible characters (controls, zero-width
 * spaces and joiners, bidirectional marks, embeddings, overrides and
 * isolates, non-ASCII spaces, private-use and unassigned code points)
 * are refused.
 */
int crm_norm_email(const char *in, struct crm_buf *out, struct crm_error *err);

/*
 * The key an older crm (before Unicode keys, schema 8) made of an email:
 * trimmed, ASCII letters lower-cased, nothing else changed and nothing
 * checked.  Only for finding what was recorded under it (the erased
 * list's hashes).
 */
int crm_norm_email_legacy(const char *in, struct crm_buf *out,
    struct crm_error *err);

/*
 * The key of a stored email for the migration to Unicode keys:
 * crm_norm_email() of it, or a copy of it unchanged when that refuses it
 * (the stored value was accepted by an older crm).  A new string to free,
 * or NULL on ENOMEM.
 */
char *crm_norm_email_rekey(const char *stored);

/*
 * Phone: crm_phone_parse() (phone.h) by libphonenumber's rules, with the
 * extension and type left out: out gets the E.164 number and *e164 1, or
 * (no region, no international prefix) the bare digits and *e164 0.
 */
int crm_norm_phone(const char *in, const char *region, struct crm_buf *out,
    int *e164, struct crm_error *err);

/*
 * The ISO 3166 alpha-2 code for a country as people write it, in any
 * language iso-codes translates its names to: the code itself ("gb"), the
 * alpha-3 code ("NGA"), the English name, official name or common name,
 * a translation ("Deutschland", "Côte d'Ivoire", "日本"), or one of a few
 * names ISO does not use ("UK", "Holland"); compared after
 * crm_norm_fold(), so case, accents and punctuation do not matter.  NULL
 * if it is none of them or names two countries.  The returned string is
 * static.  Defined in country.c over the table generated at build time.
 */
const char *crm_norm_country(const char *in);

/* 1 if region is an alpha-2 code libphonenumber has rules for. */
int crm_norm_region_known(const char *region);

/* Name: trimmed, runs of white space made one space, Unicode NFC. */
int crm_norm_name(const char *in, struct crm_buf *out, struct crm_error *err);

/* Free text: trimmed and NFC, inner white space (newlines too) kept. */
int crm_norm_text(const char *in, struct crm_buf *out, struct crm_error *err);

/*
 * A matching key: compatibility-decomposed, accents stripped, case-folded,
 * anything but letters and digits made a space, spaces collapsed.
 * "  José  MÜLLER-Lüdenscheidt" -> "jose muller ludenscheidt".
 * Appends to out.
 */
int crm_norm_fold(const char *in, struct crm_buf *out, struct crm_error *err);

/*
 * Calendar date: "YYYY-MM-DD" or "YYYYMMDD", checked against the calendar,
 * written as "YYYY-MM-DD" into out[11].
 */
int crm_norm_date(const char *in, char out[11], struct crm_error *err);

/*
 * ISO 8601 date or date-time to UTC seconds since 1970: "YYYY-MM-DD",
 * "YYYYMMDD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" (T or a space) followed by "Z",
 * "+HH:MM", "+HHMM", "+HH" or nothing (then UTC is assumed).  A date alone
 * is midnight UTC.  Offsets beyond +-14:00 are errors.
 */
int crm_norm_datetime(const char *in, int64_t *out, struct crm_error *err);

/* Days since 1970-01-01 of a proleptic Gregorian date (no checking). */
int64_t crm_days_from_civil(int y, int m, int d);

/* Format UTC seconds as "YYYY-MM-DDTHH:MM:SSZ" into out[21]. */
void crm_format_time(int64_t t, char out[21]);

/* Format UTC seconds as "YYYY-MM-DD" into out[11]. */
void crm_format_date(int64_t t, char out[11]);

/*
 * Yes/no: yes y true t 1 on / no n false f 0 off, any case.  *out is 1 or
 * 0, or -1 for an empty value.
 */
int crm_norm_bool(const char *in, int *out, struct crm_error *err);

/*
 * A duration such as "90d", "12w", "6m" (30-day months), "1y" (365 days)
 * or a bare number of days, in days.
 */
int crm_norm_days(const char *in, int64_t *days, struct crm_error *err);

/*
 * A comma-separated list of such durations, each above 0 ("30,90,365"):
 * at most max of them into days[], *n their count.  CRM_EDATA ("bad
 * window 'x'") for a bad one or one too many.
 */
int crm_norm_windows(const char *in, int64_t *days, size_t max, size_t *n,
    struct crm_error *err);

/* An ISO 4217 code: three letters, into out in capitals; CRM_EDATA. */
int crm_norm_currency(const char *in, char out[4], struct crm_error *err);

/* in in ASCII lower case, cut to size - 1 bytes, into out. */
void crm_norm_lower(const char *in, char *out, size_t size);

/*
 * Money: an optional sign, an optional currency symbol ($ EUR-sign
 * pound-sign yen-sign) or ISO code before or after, digits with an
 * optional decimal part.  When both '.' and ',' appear the last one is
 * the decimal point and the other groups thousands; a lone ',' followed
 * by exactly three digits groups thousands ("1,234" is 1234), otherwise
 * it is a decimal comma ("12,5" is 12.5); a separator that appears more
 * than once only groups ("1.234.567" is 1234567).  Spaces and apostrophes
 * group thousands too.  Grouping is checked: one grouping character, a
 * first group of 1 to 3 digits and later ones of exactly 3, separators
 * between digits, a digit after the decimal point; else CRM_EDATA
 * ("1,234,5", "1.2.3", "1..2", "1,,234" and "1,234.5.6" are errors).  *value gets the amount; currency[4] the ISO code the
 * symbol or code implied, or "" if none.
 */
int crm_norm_amount(const char *in, double *value, char currency[4],
    struct crm_error *err);

/* A plain decimal number (quantities): no grouping, no currency. */
int crm_norm_number(const char *in, double *value, struct crm_error *err);

/*
 * The current time in UTC seconds: $CRM_NOW (an ISO 8601 date or date-time,
 * for tests and back-filling) if set and valid, else time(2).
 */
int64_t crm_now(void);

#endif
