/* NBD wire format: constants, parsers and encoders over byte buffers.
 *
 * Everything here is a pure function over memory: no sockets, no I/O, no
 * allocation.  Parsers never read outside [buf, buf + len) and describe what
 * was wrong in a caller-supplied message buffer (char msg[NBD_MSG_LEN], may be
 * NULL).  Encoders write into a caller buffer and return the number of bytes
 * written, or -ENOBUFS when it is too small.  All integers on the wire are
 * big-endian ("Conventions" in the specification).
 *
 * Reference: doc/proto.md of the NetworkBlockDevice/nbd repository ("the
 * specification" below); section names are quoted beside each group.
 */
#ifndef LANROOT_NBD_PROTO_H
#define LANROOT_NBD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- magics ("Newstyle negotiation", "Request message", replies) -------- */

#define NBD_MAGIC			0x4e42444d41474943ULL	/* "NBDMAGIC" */
#define NBD_IHAVEOPT			0x49484156454f5054ULL	/* "IHAVEOPT" */
#define NBD_REP_MAGIC			0x0003e889045565a9ULL	/* option replies */
#define NBD_REQUEST_MAGIC		0x25609513U
#define NBD_SIMPLE_REPLY_MAGIC		0x67446698U
#define NBD_STRUCTURED_REPLY_MAGIC	0x668e33efU

/* ---- "Handshake flags" (16 bits, server) -------------------------------- */

#define NBD_FLAG_FIXED_NEWSTYLE		(1U << 0)
#define NBD_FLAG_NO_ZEROES		(1U << 1)

/* ---- "Client flags" (32 bits, client) ----------------------------------- */

#define NBD_FLAG_C_FIXED_NEWSTYLE	(1U << 0)
#define NBD_FLAG_C_NO_ZEROES		(1U << 1)

/* ---- "Transmission flags" (16 bits) ------------------------------------- */

#define NBD_FLAG_HAS_FLAGS		(1U << 0)
#define NBD_FLAG_READ_ONLY		(1U << 1)
#define NBD_FLAG_SEND_FLUSH		(1U << 2)
#define NBD_FLAG_SEND_FUA		(1U << 3)
#define NBD_FLAG_ROTATIONAL		(1U << 4)
#define NBD_FLAG_SEND_TRIM		(1U << 5)
#define NBD_FLAG_SEND_WRITE_ZEROES	(1U << 6)
#define NBD_FLAG_SEND_DF		(1U << 7)
#define NBD_FLAG_CAN_MULTI_CONN		(1U << 8)
#define NBD_FLAG_SEND_RESIZE		(1U << 9)
#define NBD_FLAG_SEND_CACHE		(1U << 10)
#define NBD_FLAG_SEND_FAST_ZERO		(1U << 11)
#define NBD_FLAG_BLOCK_STAT_PAYLOAD	(1U << 12)

/* ---- "Option types" ----------------------------------------------------- */

#define NBD_OPT_EXPORT_NAME		1U
#define NBD_OPT_ABORT			2U
#define NBD_OPT_LIST			3U
#define NBD_OPT_PEEK_EXPORT		4U	/* withdrawn */
#define NBD_OPT_STARTTLS		5U
#define NBD_OPT_INFO			6U
#define NBD_OPT_GO			7U
#define NBD_OPT_STRUCTURED_REPLY	8U
#define NBD_OPT_LIST_META_CONTEXT	9U
#define NBD_OPT_SET_META_CONTEXT	10U
#define NBD_OPT_EXTENDED_HEADERS	11U

/* ---- "Option reply types" ----------------------------------------------- */

#define NBD_REP_ACK			1U
#define NBD_REP_SERVER			2U
#define NBD_REP_INFO			3U
#define NBD_REP_META_CONTEXT		4U
/* Error replies have bit 31 set. */
#define NBD_REP_FLAG_ERROR		(1U << 31)
#define NBD_REP_ERR_UNSUP		(NBD_REP_FLAG_ERROR | 1U)
#define NBD_REP_ERR_POLICY		(NBD_REP_FLAG_ERROR | 2U)
#define NBD_REP_ERR_INVALID		(NBD_REP_FLAG_ERROR | 3U)
#define NBD_REP_ERR_PLATFORM		(NBD_REP_FLAG_ERROR | 4U)
#define NBD_REP_ERR_TLS_REQD		(NBD_REP_FLAG_ERROR | 5U)
#define NBD_REP_ERR_UNKNOWN		(NBD_REP_FLAG_ERROR | 6U)
#define NBD_REP_ERR_SHUTDOWN		(NBD_REP_FLAG_ERROR | 7U)
#define NBD_REP_ERR_BLOCK_SIZE_REQD	(NBD_REP_FLAG_ERROR | 8U)
#define NBD_REP_ERR_TOO_BIG		(NBD_REP_FLAG_ERROR | 9U)
#define NBD_REP_ERR_EXT_HEADER_REQD	(NBD_REP_FLAG_ERROR | 10U)

/* ---- information types of NBD_REP_INFO ("NBD_REP_INFO") ----------------- */

#define NBD_INFO_EXPORT			0U
#define NBD_INFO_NAME			1U
#define NBD_INFO_DESCRIPTION		2U
#define NBD_INFO_BLOCK_SIZE		3U

/* ---- "Request types" ---------------------------------------------------- */

#define NBD_CMD_READ			0U
#define NBD_CMD_WRITE			1U
#define NBD_CMD_DISC			2U
#define NBD_CMD_FLUSH			3U
#define NBD_CMD_TRIM			4U
#define NBD_CMD_CACHE			5U
#define NBD_CMD_WRITE_ZEROES		6U
#define NBD_CMD_BLOCK_STATUS		7U
#define NBD_CMD_RESIZE			8U

/* ---- "Command flags" ---------------------------------------------------- */

#define NBD_CMD_FLAG_FUA		(1U << 0)
#define NBD_CMD_FLAG_NO_HOLE		(1U << 1)
#define NBD_CMD_FLAG_DF			(1U << 2)
#define NBD_CMD_FLAG_REQ_ONE		(1U << 3)
#define NBD_CMD_FLAG_FAST_ZERO		(1U << 4)
#define NBD_CMD_FLAG_PAYLOAD_LEN	(1U << 5)

/* ---- "Structured reply flags" and "Structured reply types" -------------- */

#define NBD_REPLY_FLAG_DONE		(1U << 0)
#define NBD_REPLY_TYPE_NONE		0U
#define NBD_REPLY_TYPE_OFFSET_DATA	1U
#define NBD_REPLY_TYPE_OFFSET_HOLE	2U
#define NBD_REPLY_TYPE_BLOCK_STATUS	5U
/* Error chunk types have bit 15 set. */
#define NBD_REPLY_TYPE_FLAG_ERROR	(1U << 15)
#define NBD_REPLY_TYPE_ERROR		(NBD_REPLY_TYPE_FLAG_ERROR | 1U)
#define NBD_REPLY_TYPE_ERROR_OFFSET	(NBD_REPLY_TYPE_FLAG_ERROR | 2U)

/* ---- "base:allocation" status flags ------------------------------------- */

#define NBD_STATE_HOLE			(1U << 0)
#define NBD_STATE_ZERO			(1U << 1)

/* ---- "Error values" ----------------------------------------------------- */

#define NBD_EPERM			1U
#define NBD_EIO				5U
#define NBD_ENOMEM			12U
#define NBD_EINVAL			22U
#define NBD_ENOSPC			28U
#define NBD_EOVERFLOW			75U
#define NBD_ENOTSUP			95U
#define NBD_ESHUTDOWN			108U

/* ---- sizes of the fixed parts of messages ------------------------------- */

#define NBD_HANDSHAKE_LEN		18	/* NBDMAGIC, IHAVEOPT, flags */
#define NBD_CLIENT_FLAGS_LEN		4
#define NBD_OPTION_HEADER_LEN		16	/* IHAVEOPT, option, length */
#define NBD_OPTION_REPLY_HEADER_LEN	20	/* magic, option, type, length */
#define NBD_EXPORT_NAME_REPLY_LEN	10	/* size, flags */
#define NBD_EXPORT_NAME_ZEROES		124	/* reserved, unless NO_ZEROES */
#define NBD_REQUEST_LEN			28
#define NBD_SIMPLE_REPLY_LEN		16
#define NBD_CHUNK_HEADER_LEN		20
#define NBD_EXTENT_LEN			8	/* one block status descriptor */

/* ---- our limits --------------------------------------------------------- */

/** Longest string (export name, message, query): the spec's MUST bound. */
#define NBD_MAX_STRING_LEN		4096
/** Longest option payload we accept; longer ones get NBD_REP_ERR_TOO_BIG. */
#define NBD_MAX_OPTION_LEN		(64U * 1024)
/** Longest READ or WRITE payload we accept (and NBD_INFO_BLOCK_SIZE max). */
#define NBD_MAX_PAYLOAD			(32U * 1024 * 1024)
/** Most queries in one NBD_OPT_{LIST,SET}_META_CONTEXT we look at. */
#define NBD_MAX_META_QUERIES		16
/** Size of the message buffers parsers fill in. */
#define NBD_MSG_LEN			160

/** A string inside a parsed buffer: not NUL-terminated, never contains NUL. */
struct nbd_string {
	const char *ptr;	/* first byte, inside the parsed buffer */
	uint32_t len;		/* number of bytes, <= NBD_MAX_STRING_LEN */
};

/** The fixed part of an option ("Newstyle negotiation"). */
struct nbd_option_header {
	uint32_t option;	/* NBD_OPT_* (any value; unknown ones too) */
	uint32_t length;	/* payload bytes that follow, <= NBD_MAX_OPTION_LEN */
};

/** The payload of NBD_OPT_INFO / NBD_OPT_GO. */
struct nbd_opt_go {
	struct nbd_string name;	/* export name (may be empty: default export) */
	uint16_t nr_requests;	/* number of NBD_INFO_* requests */
	const uint8_t *requests; /* nr_requests big-endian uint16 in the buffer */
};

/** The payload of NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT. */
struct nbd_opt_meta {
	struct nbd_string name;	/* export name */
	uint32_t nr_queries;	/* number of queries, <= NBD_MAX_META_QUERIES */
	struct nbd_string queries[NBD_MAX_META_QUERIES]; /* the queries */
};

/** A transmission request ("Request message"). */
struct nbd_request {
	uint16_t flags;		/* NBD_CMD_FLAG_* */
	uint16_t type;		/* NBD_CMD_* */
	uint64_t cookie;	/* "handle": opaque, echoed in the reply */
	uint64_t offset;	/* byte offset into the export */
	uint32_t length;	/* bytes; for NBD_CMD_WRITE the payload follows */
};

/** What a request is checked against: the export and the negotiation. */
struct nbd_export_caps {
	uint64_t size;		/* export size in bytes */
	uint16_t tflags;	/* transmission flags sent to the client */
	bool structured;	/* NBD_OPT_STRUCTURED_REPLY was acknowledged */
	bool meta_context;	/* at least one metadata context was selected */
};

/** One block status descriptor ("NBD_REPLY_TYPE_BLOCK_STATUS"). */
struct nbd_extent {
	uint32_t length;	/* bytes, nonzero */
	uint32_t flags;		/* NBD_STATE_* */
};

/* ---- handshake ---------------------------------------------------------- */

/**
 * nbd_encode_handshake() - the server's greeting (NBDMAGIC, IHAVEOPT, flags).
 * @buf: output, at least NBD_HANDSHAKE_LEN bytes
 * @size: size of @buf
 * @hflags: handshake flags (NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES)
 * Return: NBD_HANDSHAKE_LEN, or -ENOBUFS.
 */
ssize_t nbd_encode_handshake(uint8_t *buf, size_t size, uint16_t hflags);

/**
 * nbd_parse_client_flags() - check the client's 32-bit flags.
 * @buf: the bytes received
 * @len: number of bytes (must be NBD_CLIENT_FLAGS_LEN)
 * @hflags: the handshake flags the server sent
 * @cflags: output, the client flags
 * @msg: output message on error (NBD_MSG_LEN bytes), or NULL
 * Return: 0; -EINVAL if @len is wrong; -EPROTO for an unknown flag or one
 * the server did not offer (the spec says the server MUST then disconnect).
 */
int nbd_parse_client_flags(const uint8_t *buf, size_t len, uint16_t hflags,
			   uint32_t *cflags, char *msg);

/**
 * nbd_parse_option_header() - parse IHAVEOPT, option and length.
 * @buf: the bytes received
 * @len: number of bytes (at least NBD_OPTION_HEADER_LEN)
 * @hdr: output
 * @msg: output message on error, or NULL
 * Return: 0; -EINVAL if truncated; -EPROTO for a wrong magic (disconnect);
 * -E2BIG if the payload is longer than NBD_MAX_OPTION_LEN (@hdr is still
 * filled in, so the caller may skip the payload and answer
 * NBD_REP_ERR_TOO_BIG, or disconnect).
 */
int nbd_parse_option_header(const uint8_t *buf, size_t len,
			    struct nbd_option_header *hdr, char *msg);

/**
 * nbd_parse_opt_export_name() - parse the payload of NBD_OPT_EXPORT_NAME.
 * @buf: the payload
 * @len: its length (from the option header)
 * @name: output, pointing into @buf
 * @msg: output message on error, or NULL
 * Return: 0, or -EINVAL (too long, contains NUL).
 */
int nbd_parse_opt_export_name(const uint8_t *buf, size_t len,
			      struct nbd_string *name, char *msg);

/**
 * nbd_parse_opt_go() - parse the payload of NBD_OPT_INFO or NBD_OPT_GO.
 * @buf: the payload
 * @len: its length (from the option header)
 * @go: output, pointing into @buf
 * @msg: output message on error, or NULL
 * Return: 0, or -EINVAL (answer NBD_REP_ERR_INVALID).
 */
int nbd_parse_opt_go(const uint8_t *buf, size_t len, struct nbd_opt_go *go,
		     char *msg);

/**
 * nbd_opt_go_request() - the @i-th information request of a parsed GO/INFO.
 * @go: from nbd_parse_opt_go()
 * @i: index, below @go->nr_requests
 * Return: the NBD_INFO_* value requested.
 */
uint16_t nbd_opt_go_request(const struct nbd_opt_go *go, uint16_t i);

/**
 * nbd_parse_opt_meta() - parse NBD_OPT_LIST_META_CONTEXT/SET_META_CONTEXT.
 * @buf: the payload
 * @len: its length (from the option header)
 * @meta: output, pointing into @buf
 * @msg: output message on error, or NULL
 * Return: 0; -EINVAL if malformed (NBD_REP_ERR_INVALID); -E2BIG for more
 * than NBD_MAX_META_QUERIES queries (NBD_REP_ERR_TOO_BIG).
 */
int nbd_parse_opt_meta(const uint8_t *buf, size_t len,
		       struct nbd_opt_meta *meta, char *msg);

/* ---- option replies ("Fixed newstyle negotiation") ---------------------- */

/**
 * nbd_encode_option_reply() - an option reply with an arbitrary payload.
 * @buf: output
 * @size: size of @buf
 * @option: the option being answered
 * @type: NBD_REP_*
 * @payload: @len bytes, or NULL when @len is 0
 * @len: payload length
 * Return: bytes written, -ENOBUFS, or -EINVAL (@len over NBD_MAX_OPTION_LEN).
 */
ssize_t nbd_encode_option_reply(uint8_t *buf, size_t size, uint32_t option,
				uint32_t type, const void *payload, size_t len);

/**
 * nbd_encode_rep_server() - one NBD_REP_SERVER entry answering NBD_OPT_LIST.
 * @buf: output
 * @size: size of @buf
 * @name: export name (NUL-terminated)
 * @description: text for humans after the name, or NULL
 * Return: bytes written, -ENOBUFS, or -EINVAL (a string too long).
 */
ssize_t nbd_encode_rep_server(uint8_t *buf, size_t size, const char *name,
			      const char *description);

/**
 * nbd_encode_rep_info_export() - NBD_REP_INFO with NBD_INFO_EXPORT.
 * @buf: output
 * @size: size of @buf
 * @option: NBD_OPT_INFO or NBD_OPT_GO
 * @export_size: export size in bytes
 * @tflags: transmission flags
 * Return: bytes written, or -ENOBUFS.
 */
ssize_t nbd_encode_rep_info_export(uint8_t *buf, size_t size, uint32_t option,
				   uint64_t export_size, uint16_t tflags);

/**
 * nbd_encode_rep_info_string() - NBD_REP_INFO with NBD_INFO_NAME or
 * NBD_INFO_DESCRIPTION.
 * @buf: output
 * @size: size of @buf
 * @option: NBD_OPT_INFO or NBD_OPT_GO
 * @info: NBD_INFO_NAME or NBD_INFO_DESCRIPTION
 * @text: the name or description (NUL-terminated)
 * Return: bytes written, -ENOBUFS, or -EINVAL (other @info, @text too long).
 */
ssize_t nbd_encode_rep_info_string(uint8_t *buf, size_t size, uint32_t option,
				   uint16_t info, const char *text);

/**
 * nbd_encode_rep_info_block_size() - NBD_REP_INFO with NBD_INFO_BLOCK_SIZE.
 * @buf: output
 * @size: size of @buf
 * @option: NBD_OPT_INFO or NBD_OPT_GO
 * @min: minimum block size
 * @preferred: preferred block size
 * @max: maximum block size
 * Return: bytes written, -ENOBUFS, or -EINVAL if the sizes break "Block size
 * constraints" (@min and @preferred powers of two, @min <= 64 KiB, @max a
 * multiple of @min or 0xffffffff).
 */
ssize_t nbd_encode_rep_info_block_size(uint8_t *buf, size_t size,
				       uint32_t option, uint32_t min,
				       uint32_t preferred, uint32_t max);

/**
 * nbd_encode_rep_meta_context() - one NBD_REP_META_CONTEXT.
 * @buf: output
 * @size: size of @buf
 * @option: NBD_OPT_LIST_META_CONTEXT or NBD_OPT_SET_META_CONTEXT
 * @id: context id (0 when listing)
 * @name: context name, e.g. "base:allocation"
 * Return: bytes written, -ENOBUFS, or -EINVAL (@name too long).
 */
ssize_t nbd_encode_rep_meta_context(uint8_t *buf, size_t size, uint32_t option,
				    uint32_t id, const char *name);

/**
 * nbd_encode_rep_error() - an error reply with a message for people.
 * @buf: output
 * @size: size of @buf
 * @option: the option being refused
 * @type: an NBD_REP_ERR_* value
 * @message: NUL-terminated text, or NULL for none (cut at
 * NBD_MAX_STRING_LEN bytes)
 * Return: bytes written, -ENOBUFS, or -EINVAL (@type not an error).
 */
ssize_t nbd_encode_rep_error(uint8_t *buf, size_t size, uint32_t option,
			     uint32_t type, const char *message);

/**
 * nbd_encode_export_name_reply() - the answer to NBD_OPT_EXPORT_NAME.
 * @buf: output
 * @size: size of @buf
 * @export_size: export size in bytes
 * @tflags: transmission flags
 * @no_zeroes: both sides set NO_ZEROES: leave out the 124 zero bytes
 * Return: bytes written (10 or 134), or -ENOBUFS.
 */
ssize_t nbd_encode_export_name_reply(uint8_t *buf, size_t size,
				     uint64_t export_size, uint16_t tflags,
				     bool no_zeroes);

/* ---- transmission ------------------------------------------------------- */

/**
 * nbd_parse_request() - parse a request header.
 * @buf: the bytes received
 * @len: number of bytes (at least NBD_REQUEST_LEN)
 * @req: output
 * @msg: output message on error, or NULL
 * Return: 0; -EINVAL if truncated; -EPROTO for a wrong magic (the stream
 * cannot be resynchronised: disconnect).
 */
int nbd_parse_request(const uint8_t *buf, size_t len, struct nbd_request *req,
		      char *msg);

/**
 * nbd_check_request() - validate a parsed request against the export.
 * @req: from nbd_parse_request()
 * @caps: the export and what was negotiated
 * @error: output, the NBD_E* value to reply with (0 when valid)
 * @msg: output message on error, or NULL
 *
 * NBD_CMD_DISC is always valid (it gets no reply).  When this fails for an
 * NBD_CMD_WRITE the caller must still consume nbd_request_payload() bytes.
 * Return: 0 if the request may be carried out; -EINVAL if it must be
 * answered with *@error; -EPROTO if the connection must be dropped (a write
 * payload over NBD_MAX_PAYLOAD, which we will not read).
 */
int nbd_check_request(const struct nbd_request *req,
		      const struct nbd_export_caps *caps, uint32_t *error,
		      char *msg);

/**
 * nbd_request_payload() - bytes that follow the request header on the wire.
 * @req: a parsed request
 * Return: @req->length for NBD_CMD_WRITE, else 0.
 */
uint32_t nbd_request_payload(const struct nbd_request *req);

/**
 * nbd_encode_simple_reply() - a simple reply header (data, if any, follows).
 * @buf: output
 * @size: size of @buf
 * @error: NBD_E* value, 0 for success
 * @cookie: the request's cookie
 * Return: NBD_SIMPLE_REPLY_LEN, or -ENOBUFS.
 */
ssize_t nbd_encode_simple_reply(uint8_t *buf, size_t size, uint32_t error,
				uint64_t cookie);

/**
 * nbd_encode_chunk_none() - NBD_REPLY_TYPE_NONE, always with
 * NBD_REPLY_FLAG_DONE.
 * @buf: output
 * @size: size of @buf
 * @cookie: the request's cookie
 * Return: NBD_CHUNK_HEADER_LEN, or -ENOBUFS.
 */
ssize_t nbd_encode_chunk_none(uint8_t *buf, size_t size, uint64_t cookie);

/**
 * nbd_encode_chunk_data_header() - the header of NBD_REPLY_TYPE_OFFSET_DATA;
 * @data_len bytes of data must follow it.
 * @buf: output
 * @size: size of @buf
 * @flags: NBD_REPLY_FLAG_DONE or 0
 * @cookie: the request's cookie
 * @offset: export offset of the data
 * @data_len: bytes of data, 1 .. UINT32_MAX - 8
 * Return: bytes written (28), -ENOBUFS, or -EINVAL (@data_len).
 */
ssize_t nbd_encode_chunk_data_header(uint8_t *buf, size_t size, uint16_t flags,
				     uint64_t cookie, uint64_t offset,
				     uint32_t data_len);

/**
 * nbd_encode_chunk_hole() - NBD_REPLY_TYPE_OFFSET_HOLE.
 * @buf: output
 * @size: size of @buf
 * @flags: NBD_REPLY_FLAG_DONE or 0
 * @cookie: the request's cookie
 * @offset: export offset of the hole
 * @hole_len: bytes that read as zero, nonzero
 * Return: bytes written (32), -ENOBUFS, or -EINVAL (@hole_len 0).
 */
ssize_t nbd_encode_chunk_hole(uint8_t *buf, size_t size, uint16_t flags,
			      uint64_t cookie, uint64_t offset,
			      uint32_t hole_len);

/**
 * nbd_encode_chunk_block_status() - NBD_REPLY_TYPE_BLOCK_STATUS.
 * @buf: output
 * @size: size of @buf
 * @flags: NBD_REPLY_FLAG_DONE or 0
 * @cookie: the request's cookie
 * @context_id: the metadata context these extents describe
 * @extents: the descriptors, each with a nonzero length
 * @nr_extents: how many, at least 1
 * Return: bytes written, -ENOBUFS, or -EINVAL.
 */
ssize_t nbd_encode_chunk_block_status(uint8_t *buf, size_t size,
				      uint16_t flags, uint64_t cookie,
				      uint32_t context_id,
				      const struct nbd_extent *extents,
				      size_t nr_extents);

/**
 * nbd_encode_chunk_error() - NBD_REPLY_TYPE_ERROR with a message.
 * @buf: output
 * @size: size of @buf
 * @flags: NBD_REPLY_FLAG_DONE or 0
 * @cookie: the request's cookie
 * @error: NBD_E* value, nonzero
 * @message: NUL-terminated text, or NULL (cut at NBD_MAX_STRING_LEN bytes)
 * Return: bytes written, -ENOBUFS, or -EINVAL (@error 0).
 */
ssize_t nbd_encode_chunk_error(uint8_t *buf, size_t size, uint16_t flags,
			       uint64_t cookie, uint32_t error,
			       const char *message);

#endif /* LANROOT_NBD_PROTO_H */
