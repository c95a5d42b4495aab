/* Unit tests for nbd/nbd-proto.c: parsers against hand-written wire bytes
 * (laid out as in doc/proto.md), truncation at every length, limits, and
 * request validation. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nbd-proto.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/**
 * heap_copy() - copy @len bytes to a buffer of exactly that size, so ASan
 * catches any read past the end.
 * @src: bytes
 * @len: number of bytes (0 gives a 1-byte allocation, still read-guarded
 *	 by the parsers' length checks)
 * Return: malloc'd copy.
 */
static uint8_t *heap_copy(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

/* ---- handshake ---------------------------------------------------------- */

static void test_handshake(void **state)
{
	static const uint8_t want[] = {
		'N', 'B', 'D', 'M', 'A', 'G', 'I', 'C',
		'I', 'H', 'A', 'V', 'E', 'O', 'P', 'T',
		0x00, 0x03,
	};
	uint8_t buf[NBD_HANDSHAKE_LEN];

	assert_int_equal(nbd_encode_handshake(buf, sizeof(buf),
					      NBD_FLAG_FIXED_NEWSTYLE |
					      NBD_FLAG_NO_ZEROES),
			 NBD_HANDSHAKE_LEN);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(nbd_encode_handshake(buf, sizeof(buf) - 1, 0),
			 -ENOBUFS);
}

static void test_client_flags(void **state)
{
	static const uint8_t both[] = { 0, 0, 0, 3 };
	static const uint8_t fixed[] = { 0, 0, 0, 1 };
	static const uint8_t unknown[] = { 0x80, 0, 0, 1 };
	const uint16_t all = NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES;
	char msg[NBD_MSG_LEN];
	uint32_t f = 0;

	assert_int_equal(nbd_parse_client_flags(both, 4, all, &f, msg), 0);
	assert_int_equal(f, NBD_FLAG_C_FIXED_NEWSTYLE | NBD_FLAG_C_NO_ZEROES);
	assert_int_equal(nbd_parse_client_flags(fixed, 4, all, &f, NULL), 0);
	assert_int_equal(f, NBD_FLAG_C_FIXED_NEWSTYLE);
	/* a flag the server did not offer */
	assert_int_equal(nbd_parse_client_flags(both, 4, NBD_FLAG_FIXED_NEWSTYLE,
						&f, msg), -EPROTO);
	assert_non_null(strstr(msg, "NO_ZEROES"));
	assert_int_equal(nbd_parse_client_flags(unknown, 4, all, &f, msg),
			 -EPROTO);
	assert_non_null(strstr(msg, "unknown bits 0x80000000"));
	/* wrong sizes */
	assert_int_equal(nbd_parse_client_flags(both, 3, all, &f, msg), -EINVAL);
	assert_int_equal(nbd_parse_client_flags(both, 0, all, &f, NULL),
			 -EINVAL);
}

/* ---- option header ------------------------------------------------------ */

static const uint8_t opt_go_header[] = {
	'I', 'H', 'A', 'V', 'E', 'O', 'P', 'T',
	0x00, 0x00, 0x00, 0x07,		/* NBD_OPT_GO */
	0x00, 0x00, 0x00, 0x0b,		/* 11 bytes of payload */
};

static void test_option_header(void **state)
{
	struct nbd_option_header h;
	char msg[NBD_MSG_LEN];
	uint8_t buf[NBD_OPTION_HEADER_LEN];
	size_t n;

	assert_int_equal(nbd_parse_option_header(opt_go_header,
						 sizeof(opt_go_header), &h,
						 msg), 0);
	assert_int_equal(h.option, NBD_OPT_GO);
	assert_int_equal(h.length, 11);

	for (n = 0; n < NBD_OPTION_HEADER_LEN; n++) {
		uint8_t *p = heap_copy(opt_go_header, n);

		assert_int_equal(nbd_parse_option_header(p, n, &h, msg),
				 -EINVAL);
		assert_non_null(strstr(msg, "truncated"));
		free(p);
	}

	memcpy(buf, opt_go_header, sizeof(buf));
	buf[7] = 'X';
	assert_int_equal(nbd_parse_option_header(buf, sizeof(buf), &h, msg),
			 -EPROTO);
	assert_non_null(strstr(msg, "IHAVEOPT"));

	/* exactly at the limit, then one over, then the largest */
	memcpy(buf, opt_go_header, sizeof(buf));
	buf[12] = 0x00; buf[13] = 0x01; buf[14] = 0x00; buf[15] = 0x00;
	assert_int_equal(nbd_parse_option_header(buf, sizeof(buf), &h, msg), 0);
	assert_int_equal(h.length, NBD_MAX_OPTION_LEN);
	buf[15] = 0x01;
	assert_int_equal(nbd_parse_option_header(buf, sizeof(buf), &h, msg),
			 -E2BIG);
	assert_int_equal(h.length, NBD_MAX_OPTION_LEN + 1);
	assert_non_null(strstr(msg, "length 65537"));
	memset(buf + 12, 0xff, 4);
	assert_int_equal(nbd_parse_option_header(buf, sizeof(buf), &h, NULL),
			 -E2BIG);
}

/* ---- NBD_OPT_EXPORT_NAME ------------------------------------------------ */

static void test_export_name(void **state)
{
	static const uint8_t nul[] = { 'a', 0, 'b' };
	struct nbd_string s;
	char msg[NBD_MSG_LEN];
	uint8_t *big;

	assert_int_equal(nbd_parse_opt_export_name((const uint8_t *)"disk", 4,
						   &s, msg), 0);
	assert_int_equal(s.len, 4);
	assert_memory_equal(s.ptr, "disk", 4);
	/* the empty name is the default export */
	assert_int_equal(nbd_parse_opt_export_name((const uint8_t *)"", 0, &s,
						   msg), 0);
	assert_int_equal(s.len, 0);
	assert_int_equal(nbd_parse_opt_export_name(nul, sizeof(nul), &s, msg),
			 -EINVAL);
	assert_non_null(strstr(msg, "export name contains a NUL"));

	big = malloc(NBD_MAX_STRING_LEN + 1);
	assert_non_null(big);
	memset(big, 'x', NBD_MAX_STRING_LEN + 1);
	assert_int_equal(nbd_parse_opt_export_name(big, NBD_MAX_STRING_LEN, &s,
						   msg), 0);
	assert_int_equal(nbd_parse_opt_export_name(big, NBD_MAX_STRING_LEN + 1,
						   &s, msg), -EINVAL);
	assert_non_null(strstr(msg, "export name length 4097"));
	free(big);
}

/* ---- NBD_OPT_INFO / NBD_OPT_GO ------------------------------------------ */

/* name "ab", two requests: NBD_INFO_NAME, NBD_INFO_BLOCK_SIZE */
static const uint8_t go_payload[] = {
	0x00, 0x00, 0x00, 0x02, 'a', 'b',
	0x00, 0x02,
	0x00, 0x01, 0x00, 0x03,
};

static void test_opt_go(void **state)
{
	static const uint8_t empty[] = { 0, 0, 0, 0, 0, 0 };
	struct nbd_opt_go go;
	char msg[NBD_MSG_LEN];
	size_t n;

	assert_int_equal(nbd_parse_opt_go(go_payload, sizeof(go_payload), &go,
					  msg), 0);
	assert_int_equal(go.name.len, 2);
	assert_memory_equal(go.name.ptr, "ab", 2);
	assert_int_equal(go.nr_requests, 2);
	assert_int_equal(nbd_opt_go_request(&go, 0), NBD_INFO_NAME);
	assert_int_equal(nbd_opt_go_request(&go, 1), NBD_INFO_BLOCK_SIZE);

	/* zero-length name, no requests */
	assert_int_equal(nbd_parse_opt_go(empty, sizeof(empty), &go, msg), 0);
	assert_int_equal(go.name.len, 0);
	assert_int_equal(go.nr_requests, 0);

	/* every truncation fails, without reading past the end */
	for (n = 0; n < sizeof(go_payload); n++) {
		uint8_t *p = heap_copy(go_payload, n);

		assert_int_equal(nbd_parse_opt_go(p, n, &go, msg), -EINVAL);
		free(p);
	}
}

static void test_opt_go_bad(void **state)
{
	uint8_t buf[sizeof(go_payload) + 2];
	struct nbd_opt_go go;
	char msg[NBD_MSG_LEN];

	/* request count larger than the bytes sent */
	memcpy(buf, go_payload, sizeof(go_payload));
	buf[7] = 3;
	assert_int_equal(nbd_parse_opt_go(buf, sizeof(go_payload), &go, msg),
			 -EINVAL);
	assert_non_null(strstr(msg, "information request count 3"));
	/* request count smaller than the bytes sent */
	buf[7] = 1;
	assert_int_equal(nbd_parse_opt_go(buf, sizeof(go_payload), &go, msg),
			 -EINVAL);
	/* trailing bytes */
	memcpy(buf, go_payload, sizeof(go_payload));
	buf[sizeof(go_payload)] = 0;
	assert_int_equal(nbd_parse_opt_go(buf, sizeof(go_payload) + 1, &go,
					  msg), -EINVAL);
	/* name length past the end */
	memcpy(buf, go_payload, sizeof(go_payload));
	buf[3] = 0x40;
	assert_int_equal(nbd_parse_opt_go(buf, sizeof(go_payload), &go, msg),
			 -EINVAL);
	assert_non_null(strstr(msg, "export name length 64 runs past"));
	/* name length over the string limit */
	buf[2] = 0x10; buf[3] = 0x01;
	assert_int_equal(nbd_parse_opt_go(buf, sizeof(go_payload), &go, msg),
			 -EINVAL);
	assert_non_null(strstr(msg, "over the limit"));
	/* huge name length must not wrap */
	memset(buf, 0xff, 4);
	assert_int_equal(nbd_parse_opt_go(buf, sizeof(go_payload), &go, msg),
			 -EINVAL);
	/* NUL inside the name */
	memcpy(buf, go_payload, sizeof(go_payload));
	buf[5] = 0;
	assert_int_equal(nbd_parse_opt_go(buf, sizeof(go_payload), &go, msg),
			 -EINVAL);
	assert_non_null(strstr(msg, "NUL"));
}

/* ---- NBD_OPT_{LIST,SET}_META_CONTEXT ------------------------------------ */

/* export "d", two queries: "base:allocation" and "x:" */
static const uint8_t meta_payload[] = {
	0x00, 0x00, 0x00, 0x01, 'd',
	0x00, 0x00, 0x00, 0x02,
	0x00, 0x00, 0x00, 0x0f,
	'b', 'a', 's', 'e', ':', 'a', 'l', 'l', 'o', 'c', 'a', 't', 'i', 'o',
	'n',
	0x00, 0x00, 0x00, 0x02, 'x', ':',
};

static void test_opt_meta(void **state)
{
	static const uint8_t none[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	struct nbd_opt_meta m;
	char msg[NBD_MSG_LEN];
	size_t n;

	assert_int_equal(nbd_parse_opt_meta(meta_payload, sizeof(meta_payload),
					    &m, msg), 0);
	assert_int_equal(m.name.len, 1);
	assert_int_equal(m.nr_queries, 2);
	assert_int_equal(m.queries[0].len, 15);
	assert_memory_equal(m.queries[0].ptr, "base:allocation", 15);
	assert_int_equal(m.queries[1].len, 2);
	assert_memory_equal(m.queries[1].ptr, "x:", 2);

	assert_int_equal(nbd_parse_opt_meta(none, sizeof(none), &m, msg), 0);
	assert_int_equal(m.name.len, 0);
	assert_int_equal(m.nr_queries, 0);

	for (n = 0; n < sizeof(meta_payload); n++) {
		uint8_t *p = heap_copy(meta_payload, n);

		assert_int_equal(nbd_parse_opt_meta(p, n, &m, msg), -EINVAL);
		free(p);
	}
}

static void test_opt_meta_bad(void **state)
{
	uint8_t buf[sizeof(meta_payload) + 1];
	struct nbd_opt_meta m;
	char msg[NBD_MSG_LEN];
	uint8_t *many;
	size_t i, len;

	/* trailing byte */
	memcpy(buf, meta_payload, sizeof(meta_payload));
	buf[sizeof(meta_payload)] = 'z';
	assert_int_equal(nbd_parse_opt_meta(buf, sizeof(buf), &m, msg),
			 -EINVAL);
	assert_non_null(strstr(msg, "after the last query"));
	/* query count that cannot fit */
	memcpy(buf, meta_payload, sizeof(meta_payload));
	memset(buf + 5, 0xff, 4);
	assert_int_equal(nbd_parse_opt_meta(buf, sizeof(meta_payload), &m,
					    msg), -EINVAL);
	assert_non_null(strstr(msg, "query count 4294967295"));
	/* query count one too many */
	memcpy(buf, meta_payload, sizeof(meta_payload));
	buf[8] = 3;
	assert_int_equal(nbd_parse_opt_meta(buf, sizeof(meta_payload), &m,
					    msg), -EINVAL);
	/* query length past the end */
	memcpy(buf, meta_payload, sizeof(meta_payload));
	buf[12] = 0x20;
	assert_int_equal(nbd_parse_opt_meta(buf, sizeof(meta_payload), &m,
					    msg), -EINVAL);
	assert_non_null(strstr(msg, "query length 32 runs past"));

	/* more queries than we look at: -E2BIG; exactly the limit is fine */
	len = 4 + 4 + (NBD_MAX_META_QUERIES + 1) * 4;
	many = calloc(1, len);
	assert_non_null(many);
	many[7] = NBD_MAX_META_QUERIES + 1;
	assert_int_equal(nbd_parse_opt_meta(many, len, &m, msg), -E2BIG);
	many[7] = NBD_MAX_META_QUERIES;
	assert_int_equal(nbd_parse_opt_meta(many, len - 4, &m, msg), 0);
	assert_int_equal(m.nr_queries, NBD_MAX_META_QUERIES);
	for (i = 0; i < NBD_MAX_META_QUERIES; i++)
		assert_int_equal(m.queries[i].len, 0);
	free(many);
}

/* ---- option replies ----------------------------------------------------- */

#define REP_MAGIC 0x00, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9

static void test_rep_ack_and_error(void **state)
{
	static const uint8_t ack[] = {
		REP_MAGIC, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0,
	};
	static const uint8_t err[] = {
		REP_MAGIC, 0, 0, 0, 7, 0x80, 0, 0, 6, 0, 0, 0, 2, 'n', 'o',
	};
	uint8_t buf[64];

	assert_int_equal(nbd_encode_option_reply(buf, sizeof(buf),
						 NBD_OPT_STRUCTURED_REPLY,
						 NBD_REP_ACK, NULL, 0),
			 sizeof(ack));
	assert_memory_equal(buf, ack, sizeof(ack));
	assert_int_equal(nbd_encode_rep_error(buf, sizeof(buf), NBD_OPT_GO,
					      NBD_REP_ERR_UNKNOWN, "no"),
			 sizeof(err));
	assert_memory_equal(buf, err, sizeof(err));
	assert_int_equal(nbd_encode_rep_error(buf, sizeof(err) - 1, NBD_OPT_GO,
					      NBD_REP_ERR_UNKNOWN, "no"),
			 -ENOBUFS);
	/* not an error type */
	assert_int_equal(nbd_encode_rep_error(buf, sizeof(buf), NBD_OPT_GO,
					      NBD_REP_ACK, "no"), -EINVAL);
	/* no message */
	assert_int_equal(nbd_encode_rep_error(buf, sizeof(buf), NBD_OPT_GO,
					      NBD_REP_ERR_UNSUP, NULL),
			 NBD_OPTION_REPLY_HEADER_LEN);
}

static void test_rep_server(void **state)
{
	static const uint8_t want[] = {
		REP_MAGIC, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 9,
		0, 0, 0, 2, 'i', 'm', 'g', '1', '6',
	};
	uint8_t buf[64];
	char *big;

	assert_int_equal(nbd_encode_rep_server(buf, sizeof(buf), "im", "g16"),
			 sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(nbd_encode_rep_server(buf, sizeof(buf), "im", NULL),
			 sizeof(want) - 3);
	assert_int_equal(buf[NBD_OPTION_REPLY_HEADER_LEN - 1], 6);
	assert_int_equal(nbd_encode_rep_server(buf, sizeof(want) - 1, "im",
					       "g16"), -ENOBUFS);
	big = malloc(NBD_MAX_STRING_LEN + 2);
	assert_non_null(big);
	memset(big, 'n', NBD_MAX_STRING_LEN + 1);
	big[NBD_MAX_STRING_LEN + 1] = '\0';
	assert_int_equal(nbd_encode_rep_server(buf, sizeof(buf), big, NULL),
			 -EINVAL);
	free(big);
}

static void test_rep_info(void **state)
{
	static const uint8_t exp[] = {
		REP_MAGIC, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 12,
		0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0x01, 0x0f,
	};
	static const uint8_t name[] = {
		REP_MAGIC, 0, 0, 0, 6, 0, 0, 0, 3, 0, 0, 0, 5,
		0, 1, 'a', 'b', 'c',
	};
	static const uint8_t bs[] = {
		REP_MAGIC, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 14,
		0, 3, 0, 0, 0x02, 0, 0, 0, 0x10, 0, 0x02, 0, 0, 0,
	};
	uint8_t buf[64];

	assert_int_equal(nbd_encode_rep_info_export(buf, sizeof(buf),
						    NBD_OPT_GO, 0x10000,
						    NBD_FLAG_HAS_FLAGS |
						    NBD_FLAG_SEND_FLUSH |
						    NBD_FLAG_SEND_FUA |
						    NBD_FLAG_CAN_MULTI_CONN |
						    NBD_FLAG_READ_ONLY),
			 sizeof(exp));
	assert_memory_equal(buf, exp, sizeof(exp));
	assert_int_equal(nbd_encode_rep_info_export(buf, sizeof(exp) - 1,
						    NBD_OPT_GO, 0, 0),
			 -ENOBUFS);
	assert_int_equal(nbd_encode_rep_info_string(buf, sizeof(buf),
						    NBD_OPT_INFO,
						    NBD_INFO_NAME, "abc"),
			 sizeof(name));
	assert_memory_equal(buf, name, sizeof(name));
	assert_int_equal(nbd_encode_rep_info_string(buf, sizeof(buf),
						    NBD_OPT_INFO,
						    NBD_INFO_DESCRIPTION, ""),
			 NBD_OPTION_REPLY_HEADER_LEN + 2);
	assert_int_equal(nbd_encode_rep_info_string(buf, sizeof(buf),
						    NBD_OPT_INFO,
						    NBD_INFO_EXPORT, "abc"),
			 -EINVAL);
	assert_int_equal(nbd_encode_rep_info_block_size(buf, sizeof(buf),
							NBD_OPT_GO, 512, 4096,
							NBD_MAX_PAYLOAD),
			 sizeof(bs));
	assert_memory_equal(buf, bs, sizeof(bs));
	/* block size constraints */
	assert_int_equal(nbd_encode_rep_info_block_size(buf, sizeof(buf),
							NBD_OPT_GO, 3, 4096,
							4096), -EINVAL);
	assert_int_equal(nbd_encode_rep_info_block_size(buf, sizeof(buf),
							NBD_OPT_GO, 1 << 17,
							1 << 17, 1 << 20),
			 -EINVAL);
	assert_int_equal(nbd_encode_rep_info_block_size(buf, sizeof(buf),
							NBD_OPT_GO, 512, 4096,
							1000), -EINVAL);
	assert_int_equal(nbd_encode_rep_info_block_size(buf, sizeof(buf),
							NBD_OPT_GO, 1, 4096,
							0xffffffffU),
			 sizeof(bs));
}

static void test_rep_meta_context(void **state)
{
	static const uint8_t want[] = {
		REP_MAGIC, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 19,
		0, 0, 0, 1,
		'b', 'a', 's', 'e', ':', 'a', 'l', 'l', 'o', 'c', 'a', 't', 'i',
		'o', 'n',
	};
	uint8_t buf[64];

	assert_int_equal(nbd_encode_rep_meta_context(buf, sizeof(buf),
						     NBD_OPT_SET_META_CONTEXT,
						     1, "base:allocation"),
			 sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(nbd_encode_rep_meta_context(buf, 10,
						     NBD_OPT_SET_META_CONTEXT,
						     1, "base:allocation"),
			 -ENOBUFS);
}

static void test_export_name_reply(void **state)
{
	static const uint8_t head[] = {
		0, 0, 0, 0, 0x40, 0, 0, 0, 0x00, 0x03,
	};
	uint8_t buf[160];

	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(nbd_encode_export_name_reply(buf, sizeof(buf),
						      0x40000000ULL, 3, false),
			 NBD_EXPORT_NAME_REPLY_LEN + NBD_EXPORT_NAME_ZEROES);
	assert_memory_equal(buf, head, sizeof(head));
	for (size_t i = sizeof(head); i < 134; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(buf[134], 0xaa);
	assert_int_equal(nbd_encode_export_name_reply(buf, 10, 1, 3, true), 10);
	assert_int_equal(nbd_encode_export_name_reply(buf, 133, 1, 3, false),
			 -ENOBUFS);
}

/* ---- requests ----------------------------------------------------------- */

/* WRITE, FUA, cookie 0x0102030405060708, offset 4096, length 512 */
static const uint8_t write_req[] = {
	0x25, 0x60, 0x95, 0x13,
	0x00, 0x01, 0x00, 0x01,
	1, 2, 3, 4, 5, 6, 7, 8,
	0, 0, 0, 0, 0, 0, 0x10, 0x00,
	0, 0, 0x02, 0x00,
};

static void test_parse_request(void **state)
{
	struct nbd_request r;
	char msg[NBD_MSG_LEN];
	uint8_t buf[NBD_REQUEST_LEN];
	size_t n;

	assert_int_equal(nbd_parse_request(write_req, sizeof(write_req), &r,
					   msg), 0);
	assert_int_equal(r.flags, NBD_CMD_FLAG_FUA);
	assert_int_equal(r.type, NBD_CMD_WRITE);
	assert_true(r.cookie == 0x0102030405060708ULL);
	assert_int_equal(r.offset, 4096);
	assert_int_equal(r.length, 512);
	assert_int_equal(nbd_request_payload(&r), 512);
	r.type = NBD_CMD_READ;
	assert_int_equal(nbd_request_payload(&r), 0);

	for (n = 0; n < NBD_REQUEST_LEN; n++) {
		uint8_t *p = heap_copy(write_req, n);

		assert_int_equal(nbd_parse_request(p, n, &r, msg), -EINVAL);
		assert_non_null(strstr(msg, "truncated"));
		free(p);
	}
	memcpy(buf, write_req, sizeof(buf));
	buf[0] = 0x67;
	assert_int_equal(nbd_parse_request(buf, sizeof(buf), &r, msg), -EPROTO);
	assert_non_null(strstr(msg, "magic"));
}

/** A full-featured writable 1 MiB export with structured replies. */
static const struct nbd_export_caps rw_caps = {
	.size = 1024 * 1024,
	.tflags = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA |
		  NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES |
		  NBD_FLAG_SEND_DF | NBD_FLAG_SEND_FAST_ZERO |
		  NBD_FLAG_CAN_MULTI_CONN,
	.structured = true,
	.meta_context = true,
};

/** A minimal read-only export without any negotiation. */
static const struct nbd_export_caps ro_caps = {
	.size = 1024 * 1024,
	.tflags = NBD_FLAG_HAS_FLAGS | NBD_FLAG_READ_ONLY,
};

/**
 * check() - run nbd_check_request() on a request built from arguments.
 * @caps: export
 * @type: NBD_CMD_*
 * @flags: NBD_CMD_FLAG_*
 * @offset: offset
 * @length: length
 * @error: output, the NBD error
 * Return: what nbd_check_request() returned.
 */
static int check(const struct nbd_export_caps *caps, uint16_t type,
		 uint16_t flags, uint64_t offset, uint32_t length,
		 uint32_t *error)
{
	struct nbd_request r = {
		.flags = flags, .type = type, .cookie = 1,
		.offset = offset, .length = length,
	};
	char msg[NBD_MSG_LEN] = "";
	int rc = nbd_check_request(&r, caps, error, msg);

	/* a rejected request always says why */
	if (rc != 0)
		assert_true(msg[0] != '\0');
	return rc;
}

/** One request and the verdict the spec asks for. */
struct req_case {
	const struct nbd_export_caps *caps;
	uint16_t type, flags;
	uint64_t offset;
	uint32_t length;
	int rc;			/* 0, -EINVAL or -EPROTO */
	uint32_t error;		/* NBD_E* when rc is -EINVAL */
};

static void test_check_request(void **state)
{
	const uint64_t sz = rw_caps.size;
	const struct req_case cases[] = {
		/* plain valid commands */
		{ &rw_caps, NBD_CMD_READ, 0, 0, 4096, 0, 0 },
		{ &rw_caps, NBD_CMD_READ, 0, sz - 1, 1, 0, 0 },
		{ &rw_caps, NBD_CMD_READ, 0, sz, 0, 0, 0 },
		{ &rw_caps, NBD_CMD_WRITE, NBD_CMD_FLAG_FUA, 0, 512, 0, 0 },
		{ &rw_caps, NBD_CMD_FLUSH, 0, 0, 0, 0, 0 },
		{ &rw_caps, NBD_CMD_TRIM, NBD_CMD_FLAG_FUA, 0, (uint32_t)sz, 0, 0 },
		{ &rw_caps, NBD_CMD_WRITE_ZEROES,
		  NBD_CMD_FLAG_NO_HOLE | NBD_CMD_FLAG_FAST_ZERO, 0, 4096, 0, 0 },
		{ &rw_caps, NBD_CMD_BLOCK_STATUS, NBD_CMD_FLAG_REQ_ONE, 0,
		  (uint32_t)sz, 0, 0 },
		{ &rw_caps, NBD_CMD_READ, NBD_CMD_FLAG_DF, 0, 4096, 0, 0 },
		/* FUA is allowed on any command once SEND_FUA is offered */
		{ &rw_caps, NBD_CMD_READ, NBD_CMD_FLAG_FUA, 0, 1, 0, 0 },
		{ &rw_caps, NBD_CMD_DISC, 0xffff, 5, 5, 0, 0 },
		/* unknown and not negotiated commands */
		{ &rw_caps, 99, 0, 0, 1, -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_RESIZE, 0, 0, 0, -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_CACHE, 0, 0, 1, -EINVAL, NBD_EINVAL },
		{ &ro_caps, NBD_CMD_FLUSH, 0, 0, 0, -EINVAL, NBD_EINVAL },
		{ &ro_caps, NBD_CMD_TRIM, 0, 0, 1, -EINVAL, NBD_EPERM },
		{ &ro_caps, NBD_CMD_WRITE_ZEROES, 0, 0, 1, -EINVAL, NBD_EPERM },
		{ &ro_caps, NBD_CMD_BLOCK_STATUS, 0, 0, 1, -EINVAL, NBD_EINVAL },
		/* flags on the wrong command, or not offered */
		{ &rw_caps, NBD_CMD_WRITE, NBD_CMD_FLAG_NO_HOLE, 0, 1,
		  -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_WRITE, NBD_CMD_FLAG_DF, 0, 1,
		  -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_READ, NBD_CMD_FLAG_REQ_ONE, 0, 1,
		  -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_TRIM, NBD_CMD_FLAG_FAST_ZERO, 0, 1,
		  -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_READ, NBD_CMD_FLAG_PAYLOAD_LEN, 0, 1,
		  -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_READ, 0x8000, 0, 1, -EINVAL, NBD_EINVAL },
		{ &ro_caps, NBD_CMD_READ, NBD_CMD_FLAG_FUA, 0, 1,
		  -EINVAL, NBD_EINVAL },
		{ &ro_caps, NBD_CMD_READ, NBD_CMD_FLAG_DF, 0, 1,
		  -EINVAL, NBD_EINVAL },
		/* FLUSH must have zero offset and length */
		{ &rw_caps, NBD_CMD_FLUSH, 0, 1, 0, -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_FLUSH, 0, 0, 1, -EINVAL, NBD_EINVAL },
		/* read-only export */
		{ &ro_caps, NBD_CMD_WRITE, 0, 0, 1, -EINVAL, NBD_EPERM },
		{ &ro_caps, NBD_CMD_WRITE, 0, sz, 1, -EINVAL, NBD_EPERM },
		{ &ro_caps, NBD_CMD_READ, 0, 0, 1, 0, 0 },
		/* past the end, and 64-bit overflow of offset + length */
		{ &rw_caps, NBD_CMD_READ, 0, sz, 1, -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_READ, 0, sz - 1, 2, -EINVAL, NBD_EINVAL },
		{ &rw_caps, NBD_CMD_READ, 0, UINT64_MAX, 2, -EINVAL,
		  NBD_EINVAL },
		{ &rw_caps, NBD_CMD_READ, 0, UINT64_MAX - 1, 1, -EINVAL,
		  NBD_EINVAL },
		{ &rw_caps, NBD_CMD_WRITE, 0, sz, 1, -EINVAL, NBD_ENOSPC },
		{ &rw_caps, NBD_CMD_WRITE, 0, UINT64_MAX, 4096, -EINVAL,
		  NBD_ENOSPC },
		{ &rw_caps, NBD_CMD_TRIM, 0, sz - 512, 1024, -EINVAL,
		  NBD_ENOSPC },
		{ &rw_caps, NBD_CMD_WRITE_ZEROES, 0, UINT64_MAX, 1, -EINVAL,
		  NBD_ENOSPC },
		{ &rw_caps, NBD_CMD_BLOCK_STATUS, 0, sz, 1, -EINVAL,
		  NBD_EINVAL },
		/* payload limits */
		{ &rw_caps, NBD_CMD_READ, 0, 0, NBD_MAX_PAYLOAD + 1, -EINVAL,
		  NBD_EOVERFLOW },
		{ &rw_caps, NBD_CMD_WRITE, 0, 0, NBD_MAX_PAYLOAD + 1, -EPROTO,
		  0 },
		{ &rw_caps, NBD_CMD_WRITE, 0, 0, UINT32_MAX, -EPROTO, 0 },
		{ &ro_caps, NBD_CMD_WRITE, 0, 0, UINT32_MAX, -EPROTO, 0 },
		/* large trims have no payload and are fine within the export */
		{ &rw_caps, NBD_CMD_TRIM, 0, 0, (uint32_t)sz, 0, 0 },
	};
	struct nbd_export_caps big = rw_caps;
	uint32_t error;
	size_t i;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const struct req_case *c = &cases[i];
		int rc = check(c->caps, c->type, c->flags, c->offset, c->length,
			       &error);

		if (rc != c->rc || error != c->error)
			fail_msg("case %zu (cmd %u flags 0x%x off %llu len %u): "
				 "rc %d error %u, expected rc %d error %u", i,
				 c->type, c->flags,
				 (unsigned long long)c->offset, c->length, rc,
				 error, c->rc, c->error);
	}

	/* DF needs structured replies as well as the flag */
	big.structured = false;
	assert_int_equal(check(&big, NBD_CMD_READ, NBD_CMD_FLAG_DF, 0, 1,
			       &error), -EINVAL);
	assert_int_equal(check(&big, NBD_CMD_BLOCK_STATUS, 0, 0, 1, &error),
			 -EINVAL);
	/* an export of the largest size: the end is reachable */
	big = rw_caps;
	big.size = UINT64_MAX;
	assert_int_equal(check(&big, NBD_CMD_READ, 0, UINT64_MAX - 1, 1,
			       &error), 0);
	assert_int_equal(check(&big, NBD_CMD_READ, 0, UINT64_MAX - 1, 2,
			       &error), -EINVAL);
	/* an empty export */
	big.size = 0;
	assert_int_equal(check(&big, NBD_CMD_READ, 0, 0, 0, &error), 0);
	assert_int_equal(check(&big, NBD_CMD_READ, 0, 0, 1, &error), -EINVAL);
}

/* ---- transmission replies ----------------------------------------------- */

#define COOKIE_BYTES 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1
#define COOKIE 0xdeadbeef00000001ULL

static void test_simple_reply(void **state)
{
	static const uint8_t want[] = {
		0x67, 0x44, 0x66, 0x98, 0, 0, 0, 28, COOKIE_BYTES,
	};
	uint8_t buf[NBD_SIMPLE_REPLY_LEN];

	assert_int_equal(nbd_encode_simple_reply(buf, sizeof(buf), NBD_ENOSPC,
						 COOKIE), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(nbd_encode_simple_reply(buf, sizeof(buf) - 1, 0, 0),
			 -ENOBUFS);
}

static void test_chunks(void **state)
{
	static const uint8_t none[] = {
		0x66, 0x8e, 0x33, 0xef, 0, 1, 0, 0, COOKIE_BYTES, 0, 0, 0, 0,
	};
	static const uint8_t data[] = {
		0x66, 0x8e, 0x33, 0xef, 0, 0, 0, 1, COOKIE_BYTES, 0, 0, 0x10, 8,
		0, 0, 0, 0, 0, 0, 0x02, 0,
	};
	static const uint8_t hole[] = {
		0x66, 0x8e, 0x33, 0xef, 0, 1, 0, 2, COOKIE_BYTES, 0, 0, 0, 12,
		0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0,
	};
	static const uint8_t bs[] = {
		0x66, 0x8e, 0x33, 0xef, 0, 1, 0, 5, COOKIE_BYTES, 0, 0, 0, 20,
		0, 0, 0, 1,
		0, 0, 0x10, 0, 0, 0, 0, 0,
		0, 0, 0x20, 0, 0, 0, 0, 3,
	};
	static const uint8_t err[] = {
		0x66, 0x8e, 0x33, 0xef, 0, 1, 0x80, 1, COOKIE_BYTES, 0, 0, 0, 9,
		0, 0, 0, 22, 0, 3, 'b', 'a', 'd',
	};
	const struct nbd_extent ext[] = {
		{ 0x1000, 0 }, { 0x2000, NBD_STATE_HOLE | NBD_STATE_ZERO },
	};
	const struct nbd_extent zero[] = { { 0, 0 } };
	uint8_t buf[64];

	assert_int_equal(nbd_encode_chunk_none(buf, sizeof(buf), COOKIE),
			 sizeof(none));
	assert_memory_equal(buf, none, sizeof(none));
	assert_int_equal(nbd_encode_chunk_none(buf, 19, COOKIE), -ENOBUFS);

	assert_int_equal(nbd_encode_chunk_data_header(buf, sizeof(buf), 0,
						      COOKIE, 512, 4096),
			 sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));
	assert_int_equal(nbd_encode_chunk_data_header(buf, sizeof(buf), 0,
						      COOKIE, 512, 0), -EINVAL);
	assert_int_equal(nbd_encode_chunk_data_header(buf, sizeof(buf), 0,
						      COOKIE, 0, UINT32_MAX - 7),
			 -EINVAL);
	assert_int_equal(nbd_encode_chunk_data_header(buf, 27, 0, COOKIE, 0, 1),
			 -ENOBUFS);

	assert_int_equal(nbd_encode_chunk_hole(buf, sizeof(buf),
					       NBD_REPLY_FLAG_DONE, COOKIE,
					       1ULL << 32, 4096),
			 sizeof(hole));
	assert_memory_equal(buf, hole, sizeof(hole));
	assert_int_equal(nbd_encode_chunk_hole(buf, sizeof(buf), 0, COOKIE, 0,
					       0), -EINVAL);

	assert_int_equal(nbd_encode_chunk_block_status(buf, sizeof(buf),
						       NBD_REPLY_FLAG_DONE,
						       COOKIE, 1, ext, 2),
			 sizeof(bs));
	assert_memory_equal(buf, bs, sizeof(bs));
	assert_int_equal(nbd_encode_chunk_block_status(buf, sizeof(buf), 0,
						       COOKIE, 1, ext, 0),
			 -EINVAL);
	assert_int_equal(nbd_encode_chunk_block_status(buf, sizeof(buf), 0,
						       COOKIE, 1, zero, 1),
			 -EINVAL);
	assert_int_equal(nbd_encode_chunk_block_status(buf, sizeof(bs) - 1, 0,
						       COOKIE, 1, ext, 2),
			 -ENOBUFS);

	assert_int_equal(nbd_encode_chunk_error(buf, sizeof(buf),
						NBD_REPLY_FLAG_DONE, COOKIE,
						NBD_EINVAL, "bad"),
			 sizeof(err));
	assert_memory_equal(buf, err, sizeof(err));
	assert_int_equal(nbd_encode_chunk_error(buf, sizeof(buf), 0, COOKIE, 0,
						"bad"), -EINVAL);
	assert_int_equal(nbd_encode_chunk_error(buf, sizeof(buf), 0, COOKIE,
						NBD_EIO, NULL),
			 NBD_CHUNK_HEADER_LEN + 6);
}

/* ---- round trip: what we encode, a client-side reading agrees with ------ */

static void test_long_error_message_is_cut(void **state)
{
	size_t msglen = NBD_MAX_STRING_LEN + 100;
	size_t cap = NBD_CHUNK_HEADER_LEN + 6 + msglen;
	char *m = malloc(msglen + 1);
	uint8_t *buf = malloc(cap);
	ssize_t n;

	assert_non_null(m);
	assert_non_null(buf);
	memset(m, 'e', msglen);
	m[msglen] = '\0';
	n = nbd_encode_chunk_error(buf, cap, 0, 1, NBD_EIO, m);
	assert_int_equal(n, NBD_CHUNK_HEADER_LEN + 6 + NBD_MAX_STRING_LEN);
	/* header length and message length agree with what was written */
	assert_int_equal((buf[16] << 24 | buf[17] << 16 | buf[18] << 8 |
			  buf[19]), 6 + NBD_MAX_STRING_LEN);
	assert_int_equal(buf[24] << 8 | buf[25], NBD_MAX_STRING_LEN);
	n = nbd_encode_rep_error(buf, cap, NBD_OPT_GO, NBD_REP_ERR_POLICY, m);
	assert_int_equal(n, NBD_OPTION_REPLY_HEADER_LEN + NBD_MAX_STRING_LEN);
	free(m);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_client_flags),
		cmocka_unit_test(test_option_header),
		cmocka_unit_test(test_export_name),
		cmocka_unit_test(test_opt_go),
		cmocka_unit_test(test_opt_go_bad),
		cmocka_unit_test(test_opt_meta),
		cmocka_unit_test(test_opt_meta_bad),
		cmocka_unit_test(test_rep_ack_and_error),
		cmocka_unit_test(test_rep_server),
		cmocka_unit_test(test_rep_info),
		cmocka_unit_test(test_rep_meta_context),
		cmocka_unit_test(test_export_name_reply),
		cmocka_unit_test(test_parse_request),
		cmocka_unit_test(test_check_request),
		cmocka_unit_test(test_simple_reply),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_long_error_message_is_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
