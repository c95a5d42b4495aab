/* Strict parsers for numbers, sizes, booleans and names.  Each rejects
 * empty input, trailing garbage, signs where none belong, and overflow.
 */
#ifndef LR_PARSE_H
#define LR_PARSE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/**
 * parse_u64() - decimal unsigned integer within [@min, @max].
 * Return: 0; -EINVAL if @s is not a number; -ERANGE if outside the range.
 */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int parse_int(const char *s, int min, int max, int *out);

/**
 * parse_size() - a byte count with an optional binary suffix:
 * "4096", "64K", "64KiB", "2M", "2G", "1T" (K = 1024).
 * Return: 0, -EINVAL, or -ERANGE on overflow of uint64_t.
 */
int parse_size(const char *s, uint64_t *out);

/**
 * parse_bool() - "yes|no|true|false|on|off|1|0" (any case).
 * Return: 0 or -EINVAL.
 */
int parse_bool(const char *s, bool *out);

/**
 * name_valid() - whether @s is a valid image, group or client name:
 * 1–63 characters of [A-Za-z0-9._-], starting with a letter or digit.
 * Names become directory names and URL path parts, hence the rule.
 */
bool name_valid(const char *s);

/** hex_digit_value() - the value of hex digit @c (either case), or -1. */
int hex_digit_value(char c);

#define NAME_MAX_LEN 63

/**
 * split_list() - the items of a comma-separated config list, white space
 * around each trimmed: "eth1, eth2" → {"eth1", "eth2"}.  An empty string
 * (or only blanks) is an empty list; an empty item ("a,,b", "a,") is
 * -EINVAL.  *@items is a NULL-terminated array; free it with
 * split_list_free().  Return 0 or -EINVAL.
 */
int split_list(const char *s, char ***items, size_t *n);
void split_list_free(char **items);

#endif
