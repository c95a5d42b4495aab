/* Unit tests for images/export.c: export names, tokens and root URLs. */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "export.h"
#include "token.h"
#include "util.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const uint8_t secret[SECRET_LEN] = { 0x5e, 0xc7, 0xe7, 1, 2, 3 };
static const uint8_t other_secret[SECRET_LEN] = { 0x5e, 0xc7, 0xe7, 1, 2, 4 };

/** resolved() - a resolved client booting lab version 3, persistent. */
static void resolved(struct reg_resolved *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->client.mac, "52:54:00:12:34:56");
	strcpy(r->client.name, "pc01");
	strcpy(r->group.name, "room1");
	strcpy(r->version.image, "lab");
	r->version.version = 3;
	strcpy(r->mode, MODE_PERSISTENT);
}

static void test_make_parse_round_trip(void **state)
{
	struct reg_resolved r;
	struct export_name e;
	char name[EXPORT_NAME_MAX], err[256];

	resolved(&r);
	assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, name), 0);
	assert_true(str_has_prefix(name, "52-54-00-12-34-56/lab/3/persistent/"));
	assert_int_equal(strlen(name), strlen("52-54-00-12-34-56/lab/3/persistent/") +
			 TOKEN_HEX_LEN);

	assert_int_equal(export_parse(name, &e, err, sizeof(err)), 0);
	assert_string_equal(e.mac, "52:54:00:12:34:56");
	assert_string_equal(e.image, "lab");
	assert_int_equal(e.version, 3);
	assert_string_equal(e.mode, "persistent");
	assert_true(export_token_ok(secret, sizeof(secret), &e));
	assert_false(export_token_ok(other_secret, sizeof(other_secret), &e));

	/* Same client, other notation of the MAC: same token. */
	strcpy(r.client.mac, "52-54-00-12-34-56");
	{
		char again[EXPORT_NAME_MAX];

		assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, again), 0);
		assert_string_equal(again, name);
	}
}

/** parse_ok() - parse @name, which must be accepted. */
static void parse_ok(const char *name, struct export_name *e)
{
	char err[256] = "";

	assert_int_equal(export_parse(name, e, err, sizeof(err)), 0);
}

/** parse_bad() - @name must be refused with a message containing @what. */
static void parse_bad(const char *name, const char *what)
{
	struct export_name e;
	char err[256] = "";

	assert_int_equal(export_parse(name, &e, err, sizeof(err)), -EINVAL);
	if (!strstr(err, what))
		fail_msg("'%s': message '%s' does not mention '%s'", name, err, what);
}

static void test_token_bound_to_fields(void **state)
{
	struct reg_resolved r;
	struct export_name e, forged;
	char name[EXPORT_NAME_MAX], other[EXPORT_NAME_MAX];

	resolved(&r);
	assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, name), 0);
	parse_ok(name, &e);

	/* Each field changed with the token kept: the token is wrong. */
	forged = e;
	strcpy(forged.mac, "52:54:00:12:34:57");
	assert_false(export_token_ok(secret, sizeof(secret), &forged));
	forged = e;
	strcpy(forged.image, "lab2");
	assert_false(export_token_ok(secret, sizeof(secret), &forged));
	forged = e;
	forged.version = 2;	/* a stale version */
	assert_false(export_token_ok(secret, sizeof(secret), &forged));
	forged = e;
	strcpy(forged.mode, MODE_RESET_ON_BOOT);
	assert_false(export_token_ok(secret, sizeof(secret), &forged));
	forged = e;
	forged.token[10] = forged.token[10] == 'a' ? 'b' : 'a';
	assert_false(export_token_ok(secret, sizeof(secret), &forged));

	/* Another client's token does not open this client's export. */
	strcpy(r.client.mac, "52:54:00:12:34:57");
	assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, other), 0);
	parse_ok(other, &forged);
	memcpy(e.token, forged.token, sizeof(e.token));
	assert_false(export_token_ok(secret, sizeof(secret), &e));

	assert_false(export_token_ok(NULL, 0, &e));
	assert_false(export_token_ok(secret, sizeof(secret), NULL));
}

static void test_parse_accepts(void **state)
{
	struct export_name e;

	parse_ok("52:54:00:12:34:56/lab/1/volatile/" HEX64, &e);
	assert_string_equal(e.mac, "52:54:00:12:34:56");
	parse_ok("5254.0012.3456/a.b_c-d/2147483647/reset-on-boot/0123456789abcdef/"
		 HEX64, &e);
	assert_string_equal(e.boot, "0123456789abcdef");
	assert_int_equal(e.version, 2147483647);
	assert_string_equal(e.image, "a.b_c-d");
	assert_string_equal(e.mode, "reset-on-boot");
	assert_string_equal(e.token, HEX64);
}

static void test_parse_field_count(void **state)
{
	parse_bad("", "empty");
	parse_bad("52-54-00-12-34-56", "1 '/'-separated fields");
	parse_bad("52-54-00-12-34-56/lab/3/persistent", "4 '/'-separated");
	parse_bad("52-54-00-12-34-56/lab/3/persistent/" HEX64 "/x/y", "more than 6");
	parse_bad("52-54-00-12-34-56/lab/3/persistent/" HEX64 "/", "only reset-on-boot");
	parse_bad("/52-54-00-12-34-56/lab/3/persistent/" HEX64, "invalid MAC");
	parse_bad("52-54-00-12-34-56/lab/3/reset-on-boot/" HEX64, "needs a boot id");
	parse_bad("52-54-00-12-34-56/lab/3/reset-on-boot/0123/" HEX64, "boot id is not");
	parse_bad("52-54-00-12-34-56/lab/3/reset-on-boot/0123456789ABCDEF/" HEX64,
		  "boot id is not");
	parse_bad("52-54-00-12-34-56//3/persistent/" HEX64, "image name");
}

static void test_parse_bad_fields(void **state)
{
	parse_bad("52-54-00-12-34-5g/lab/3/persistent/" HEX64, "MAC");
	parse_bad("01-00-5e-00-00-01/lab/3/persistent/" HEX64, "MAC");	/* multicast */
	parse_bad("00-00-00-00-00-00/lab/3/persistent/" HEX64, "MAC");
	parse_bad("52-54-00-12-34-56/-lab/3/persistent/" HEX64, "image name");
	parse_bad("52-54-00-12-34-56/la b/3/persistent/" HEX64, "image name");
	parse_bad("52-54-00-12-34-56/../3/persistent/" HEX64, "image name");
	parse_bad("52-54-00-12-34-56/lab/0/persistent/" HEX64, "version");
	parse_bad("52-54-00-12-34-56/lab/-3/persistent/" HEX64, "version");
	parse_bad("52-54-00-12-34-56/lab/+3/persistent/" HEX64, "version");
	parse_bad("52-54-00-12-34-56/lab/03/persistent/" HEX64, "version");
	parse_bad("52-54-00-12-34-56/lab/3x/persistent/" HEX64, "version");
	parse_bad("52-54-00-12-34-56/lab/2147483648/persistent/" HEX64, "version");
	parse_bad("52-54-00-12-34-56/lab/99999999999999999999/persistent/" HEX64, "version");
	parse_bad("52-54-00-12-34-56/lab/3/Persistent/" HEX64, "mode");
	parse_bad("52-54-00-12-34-56/lab/3/rw/" HEX64, "mode");
	parse_bad("52-54-00-12-34-56/lab/3/persistent/" "0123456789ABCDEF0123456789abcdef"
		  "0123456789abcdef0123456789abcdef", "hex");		/* uppercase */
	parse_bad("52-54-00-12-34-56/lab/3/persistent/" "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdeg", "hex");		/* not hex */
	parse_bad("52-54-00-12-34-56/lab/3/persistent/" "0123456789abcdef", "hex");
	parse_bad("52-54-00-12-34-56/lab/3/persistent/" HEX64 "0", "hex");	/* 65 */
}

static void test_parse_overlong(void **state)
{
	char name[2 * EXPORT_NAME_MAX], err[256];
	struct export_name e;

	/* An image name longer than the name rule allows. */
	snprintf(name, sizeof(name), "52-54-00-12-34-56/%0*d/3/persistent/" HEX64, 64, 7);
	parse_bad(name, "image name");
	/* A name longer than any export name. */
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	parse_bad(name, "too long");
	/* NULL arguments and a tiny message buffer are handled. */
	assert_int_equal(export_parse(NULL, &e, err, sizeof(err)), -EINVAL);
	assert_int_equal(export_parse("x", &e, err, 1), -EINVAL);
	assert_int_equal(export_parse("x", &e, NULL, 0), -EINVAL);
}

static void test_make_rejects_bad_client(void **state)
{
	struct reg_resolved r;
	char name[EXPORT_NAME_MAX];

	resolved(&r);
	strcpy(r.client.mac, "not-a-mac");
	assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, name), -EINVAL);
	resolved(&r);
	r.version.version = 0;
	assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, name), -EINVAL);
	resolved(&r);
	strcpy(r.mode, "bogus");
	assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, name), -EINVAL);
	resolved(&r);
	strcpy(r.version.image, "a/b");
	assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, name), -EINVAL);
	assert_int_equal(export_make(NULL, 0, &r, NULL, name), -EINVAL);
}

static void test_longest_name_fits(void **state)
{
	struct reg_resolved r;
	struct export_name e;
	char name[EXPORT_NAME_MAX];

	resolved(&r);
	memset(r.version.image, 'x', NAME_MAX_LEN);
	r.version.image[NAME_MAX_LEN] = '\0';
	r.version.version = 2147483647;
	strcpy(r.mode, MODE_RESET_ON_BOOT);
	assert_int_equal(export_make(secret, sizeof(secret), &r, "ffffffffffffffff", name), 0);
	parse_ok(name, &e);
	assert_true(export_token_ok(secret, sizeof(secret), &e));
}

static void test_boot_id(void **state)
{
	struct reg_resolved r;
	struct export_name e, forged;
	char name[EXPORT_NAME_MAX], pub[EXPORT_NAME_MAX];
	char b1[EXPORT_BOOT_LEN + 1], b2[EXPORT_BOOT_LEN + 1];

	export_boot_id_new(b1);
	usleep(2);
	export_boot_id_new(b2);
	assert_int_equal(strlen(b1), EXPORT_BOOT_LEN);
	assert_true(strcmp(b1, b2) < 0);	/* a later boot sorts after */

	resolved(&r);
	strcpy(r.mode, MODE_RESET_ON_BOOT);
	/* reset-on-boot needs a well-formed boot id; other modes take none. */
	assert_int_equal(export_make(secret, sizeof(secret), &r, NULL, name), -EINVAL);
	assert_int_equal(export_make(secret, sizeof(secret), &r, "12", name), -EINVAL);
	assert_int_equal(export_make(secret, sizeof(secret), &r, b1, name), 0);
	parse_ok(name, &e);
	assert_string_equal(e.boot, b1);
	assert_true(export_token_ok(secret, sizeof(secret), &e));
	/* The boot id is covered by the token. */
	forged = e;
	memcpy(forged.boot, b2, sizeof(forged.boot));
	assert_false(export_token_ok(secret, sizeof(secret), &forged));
	/* The public name drops the token only. */
	export_name_public(&e, pub);
	assert_true(str_has_prefix(name, pub));
	assert_int_equal(strlen(name), strlen(pub) + 1 + TOKEN_HEX_LEN);

	resolved(&r);
	assert_int_equal(export_make(secret, sizeof(secret), &r, b1, name), -EINVAL);
}

static void test_root_url(void **state)
{
	char url[EXPORT_NAME_MAX + 64];

	assert_int_equal(export_root_url("192.0.2.1", 10809, "a/b", url, sizeof(url)), 0);
	assert_string_equal(url, "nbd://192.0.2.1:10809/a/b");
	assert_int_equal(export_root_url("fe80::1", 10809, "x", url, sizeof(url)), 0);
	assert_string_equal(url, "nbd://[fe80::1]:10809/x");
	assert_int_equal(export_root_url("[::1]", 10810, "x", url, sizeof(url)), 0);
	assert_string_equal(url, "nbd://[::1]:10810/x");
	assert_int_equal(export_root_url("server.lan", 10809, "x", url, sizeof(url)), 0);
	assert_string_equal(url, "nbd://server.lan:10809/x");
	assert_int_equal(export_root_url("server.lan", 10809, "x", url, 20), -ENAMETOOLONG);
	assert_int_equal(export_root_url("server.lan", 0, "x", url, sizeof(url)), -EINVAL);
	assert_int_equal(export_root_url("server.lan", 65536, "x", url, sizeof(url)), -EINVAL);
	assert_int_equal(export_root_url("", 10809, "x", url, sizeof(url)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_parse_round_trip),
		cmocka_unit_test(test_token_bound_to_fields),
		cmocka_unit_test(test_parse_accepts),
		cmocka_unit_test(test_parse_field_count),
		cmocka_unit_test(test_parse_bad_fields),
		cmocka_unit_test(test_parse_overlong),
		cmocka_unit_test(test_make_rejects_bad_client),
		cmocka_unit_test(test_longest_name_fits),
		cmocka_unit_test(test_boot_id),
		cmocka_unit_test(test_root_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
