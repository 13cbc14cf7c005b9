/*
 * match.h - comparing two values that may name the same thing.
 *
 * The pure core of record matching: string comparators, a phonetic code,
 * folding, a nickname table, token-order-free name comparison and q-gram
 * keys.  No database, no file, no global state that changes: every
 * function is safe to call from any thread.
 *
 * Blocking hands millions of candidate pairs to these functions, so they
 * come in two flavours:
 *
 *  - on code points (const uint32_t *, length): decode or fold each record
 *    once with crm_match_decode() or crm_match_fold(), then compare as often
 *    as needed.  These never allocate for strings up to CRM_MATCH_STACK code
 *    points; longer ones take scratch memory from malloc(3), and should that
 *    fail they compare only the first CRM_MATCH_STACK code points.  So they
 *    cannot fail and take no error argument.
 *  - on NUL-terminated UTF-8 (the _str functions): the same after decoding
 *    (not folding) both sides, for callers that compare a value once.
 *
 * Invalid UTF-8 never fails: each byte that does not start a valid sequence
 * decodes as U+FFFD.
 *
 * Similarities are in [0, 1], 1 meaning equal.  Two empty strings are
 * equal (similarity 1); an empty string and a non-empty one have
 * similarity 0.  Callers usually treat an empty field as missing rather
 * than compare it.
 */
#ifndef CRM_MATCH_H
#define CRM_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* Strings up to this many code points are compared without malloc. */
#define CRM_MATCH_STACK 128

/*
 * Decode UTF-8 s[0..len) into code points.  Writes at most cap of them to
 * out and returns how many s holds (which may exceed cap, as with
 * snprintf(3)).
 */
size_t crm_match_decode(const char *s, size_t len, uint32_t *out, size_t cap);

/*
 * Encode n code points as UTF-8 into out[cap], always NUL-terminated when
 * cap > 0 (a character that does not fit whole is dropped).  Returns the
 * number of bytes the whole encoding needs, not counting the NUL.
 */
size_t crm_match_encode(const uint32_t *cp, size_t n, char *out, size_t cap);

/*
 * Fold UTF-8 s[0..len) into a matching key, as code points: compatibility
 * decomposition (NFKD), marks stripped, case folded; letters and digits
 * kept, apostrophes dropped (O'Brien -> obrien), anything else a word break;
 * words separated by one space, none leading or trailing.  So "Müller",
 * "MULLER" and "muller" fold alike, as do "José" and "JOSE", and "ß" folds
 * to "ss".  The result is the same text crm_norm_fold() writes as UTF-8,
 * without its malloc.  Writes at most cap code points to out and returns
 * how many the folded key has (possibly more than cap).
 */
size_t crm_match_fold(const char *s, size_t len, uint32_t *out, size_t cap);

/*
 * Jaro similarity: m matching code points (equal and no further apart
 * than max(na, nb) / 2 - 1), t transpositions (half the matched code
 * points that are out of order, rounded down as in Winkler's strcmp95):
 * (m/na + m/nb + (m - t)/m) / 3, or 0 when m == 0.
 */
double crm_match_jaro(const uint32_t *a, size_t na, const uint32_t *b,
    size_t nb);

/*
 * Jaro-Winkler similarity: jaro + l * 0.1 * (1 - jaro) where l is the
 * length of the common prefix, at most 4.  As in Winkler's strcmp95 the
 * prefix only counts when jaro > 0.7.  MARTHA/MARHTA 0.961, DWAYNE/DUANE
 * 0.84, DIXON/DICKSONX 0.813.
 */
double crm_match_jw(const uint32_t *a, size_t na, const uint32_t *b,
    size_t nb);

/*
 * Optimal string alignment distance, the restricted Damerau-Levenshtein
 * distance: the fewest insertions, deletions, substitutions and
 * transpositions of two adjacent code points, where no substring is edited
 * twice.  CA/ABC is 3 (crm_match_dl() says 2).  This is the one to use in
 * bulk: O(na * nb) time and O(nb) memory.
 */
size_t crm_match_osa(const uint32_t *a, size_t na, const uint32_t *b,
    size_t nb);

/*
 * The true (unrestricted) Damerau-Levenshtein distance, by Lowrance and
 * Wagner's algorithm: transposed code points may be edited again, so
 * CA/ABC is 2.  Needs O(na * nb) memory; above about 40 code points a side
 * that comes from malloc, and if it fails the OSA distance (an upper
 * bound) is returned instead.
 */
size_t crm_match_dl(const uint32_t *a, size_t na, const uint32_t *b,
    size_t nb);

/* 1 - crm_match_osa(a, b) / max(na, nb); 1 when both are empty. */
double crm_match_osa_sim(const uint32_t *a, size_t na, const uint32_t *b,
    size_t nb);

/* The same on NUL-terminated UTF-8 (decoded, not folded). */
double crm_match_jaro_str(const char *a, const char *b);
double crm_match_jw_str(const char *a, const char *b);
size_t crm_match_osa_str(const char *a, const char *b);
size_t crm_match_dl_str(const char *a, const char *b);
double crm_match_osa_sim_str(const char *a, const char *b);

/*
 * Double Metaphone (Lawrence Philips, C/C++ Users Journal, June 2000): the
 * primary and the alternate code of a name for how it may sound in
 * English, "Smith" SM0/XMT, "Schmidt" XMT/SMT.  Two names sound alike when
 * any code of one equals any code of the other.
 *
 * s is UTF-8, folded here (accents go, so "Müller" codes as "Muller") except
 * that C-cedilla keeps its S sound and N-tilde codes as N, as in the
 * original; digits and other characters are ignored; only the first 128
 * letters are looked at.  Codes are cut to maxlen characters (4 is the
 * usual choice, at most CRM_MATCH_DM_MAX); the alternate equals the
 * primary when the name has no second reading.  Both are NUL-terminated,
 * and empty for a name with no letters.  Deviation: where the original
 * appends a space to the alternate (a final J), nothing is appended.
 */
#define CRM_MATCH_DM_MAX 16
void crm_match_dmetaphone(const char *s, int maxlen,
    char primary[CRM_MATCH_DM_MAX + 1], char alternate[CRM_MATCH_DM_MAX + 1]);

/*
 * The nickname table: a few hundred common English given-name diminutives
 * and spelling variants (bill, billy, will, liam -> william; peggy ->
 * margaret; catherine, kathy -> katherine), with a few Spanish and other
 * ones (pepe -> jose).  Lookups ignore ASCII case; give them folded names.
 *
 * crm_match_nick() writes up to max canonical forms of name to canon (the
 * strings are static) and returns how many the table has: "al" gives
 * albert, alan, alexander, alfred.  0 means name is not a known nickname
 * (it may be a canonical name itself, or unknown).
 */
int crm_match_nick(const char *name, const char **canon, int max);

/*
 * 1 if a and b are the same given name up to case, a nickname or a
 * spelling variant: equal, one the canonical form of the other, or both
 * sharing a canonical form (bill/william, bill/will, kathy/catherine).
 */
int crm_match_nick_same(const char *a, const char *b);

/*
 * Compare two personal names regardless of word order: "Smith John" and
 * "John Smith" score 1.  a and b are folded keys (crm_match_fold), words
 * separated by single spaces; at most 8 words a side are looked at.  Each
 * word of a is paired with at most one word of b so that the total
 * agreement, weighted by word lengths, is largest.  Two words agree 1 when
 * equal, 0.95 when nicknames of each other, 0.8 when one is the other's
 * initial, else their Jaro-Winkler similarity; unpaired words (a middle
 * name only one side has) count 0 but weigh only their length.  The result
 * is that weighted agreement or, when the two have different numbers of
 * words, the Jaro-Winkler similarity of the names with spaces removed if
 * that is larger ("Mary Ann" and "Maryann").  0 when either is empty.
 * About ten times the cost of one crm_match_jw() for two-word names (every
 * word pair is compared, nicknames looked up): where given name and
 * surname are separate fields, compare them field by field and keep this
 * for the pairs where they disagree (a swap).
 */
double crm_match_name(const uint32_t *a, size_t na, const uint32_t *b,
    size_t nb);

/* The same on UTF-8 names as people type them: folds both, then compares. */
double crm_match_name_str(const char *a, const char *b);

/*
 * Q-gram keys: every run of q consecutive code points (1 <= q <= 3) packed
 * into one 64-bit key, 21 bits a code point.  With pad, q-1 start and q-1
 * end markers (which no text contains) surround the string, so "ab" gives
 * the bigrams ^a ab b$.  Writes at most cap keys in string order and
 * returns how many there are (0 for an empty string or a bad q).  Usable as
 * blocking keys directly.
 */
size_t crm_match_qgrams(const uint32_t *s, size_t n, int q, int pad,
    uint64_t *keys, size_t cap);

/* Sort keys[0..n) and drop repeats, in place; returns the new count. */
size_t crm_match_qgram_set(uint64_t *keys, size_t n);

/*
 * Similarity of two sets made by crm_match_qgram_set(): Jaccard
 * |A & B| / |A | B| and Dice 2 |A & B| / (|A| + |B|).  1 when both are
 * empty.
 */
double crm_match_jaccard(const uint64_t *a, size_t na, const uint64_t *b,
    size_t nb);
double crm_match_dice(const uint64_t *a, size_t na, const uint64_t *b,
    size_t nb);

/*
 * Padded q-gram Jaccard and Dice similarity of two UTF-8 strings (decoded,
 * not folded), q clamped to 1..3: "the q-gram similarity" in one call.
 */
double crm_match_jaccard_str(const char *a, const char *b, int q);
double crm_match_dice_str(const char *a, const char *b, int q);

/*
 * Comparators on folded keys as record linkage keeps them: UTF-8 bytes
 * with a length, not NUL-terminated, at most CRM_MATCH_KEY_MAX code points
 * looked at (the rest is ignored).  Meant for the inner loop of a
 * comparison over millions of pairs: no allocation, cheap bounds first.
 */
#define CRM_MATCH_KEY_MAX 256

/* crm_match_osa() of the two keys. */
size_t crm_match_osa_utf8(const char *a, size_t na, const char *b,
    size_t nb);

/*
 * 1 if a and b are at most one edit apart (a substitution, an insertion,
 * a deletion or two neighbours transposed), in linear time on ASCII
 * (non-ASCII text goes through crm_match_osa_utf8()).
 */
int crm_match_one_edit(const char *a, size_t na, const char *b, size_t nb);

/*
 * How many bytes a and b have in common, as multisets: an upper bound on
 * the characters Jaro can match.
 */
size_t crm_match_common_bytes(const char *a, size_t na, const char *b,
    size_t nb);

/* Code points in UTF-8 s[0..n). */
size_t crm_match_ncp(const char *s, size_t n);

/* Length of the first UTF-8 character of s (1 for an empty s). */
size_t crm_match_char1(const char *s);

/*
 * Order-free similarity of two keys of one or more words separated by
 * single spaces: crm_match_jw() for single words, crm_match_name() else.
 */
double crm_match_words_sim(const char *a, size_t na, const char *b,
    size_t nb);

#endif
