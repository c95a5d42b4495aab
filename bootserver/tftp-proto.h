/* TFTP wire format: constants, parsers and encoders over byte buffers.
 *
 * Everything here is a pure function over memory: no sockets, no I/O, no
 * allocation.  Parsers never read outside [buf, buf + len) and describe what
 * was wrong in a caller-supplied message buffer (char msg[TFTP_MSG_LEN], may
 * be NULL).  Encoders write into a caller buffer and return the number of
 * bytes written, or -ENOBUFS when it is too small.  Integers on the wire are
 * big-endian 16-bit; option values are decimal ASCII.
 *
 * References: RFC 1350 (the protocol), RFC 2347 (option extension), RFC 2348
 * (blksize), RFC 2349 (timeout, tsize), RFC 7440 (windowsize).
 *
 * Policy decisions (the RFCs leave them open):
 * - An option with a value that is not a plain decimal number, or is out of
 *   the RFC's range, is ignored (left out of the OACK, so that transfer
 *   falls back to the RFC 1350 default) rather than answered with ERROR 8:
 *   RFC 2347 lets a server drop any option it does not accept, and boot
 *   firmware copes better with a missing option than with an error.  The
 *   request still parses; the message buffer names the first such option.
 * - An option given twice makes the whole request invalid (-EPROTO, answer
 *   ERROR 8): which of the two values the client means is unknowable.
 * - Unknown options are skipped silently.
 * - Option names and modes are case-insensitive (RFC 1350, RFC 2347).
 * - The whole request must fit RFC 2347's 512 bytes.
 */
#ifndef LANROOT_TFTP_PROTO_H
#define LANROOT_TFTP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- opcodes (RFC 1350 section 5, RFC 2347 for OACK) -------------------- */

#define TFTP_OP_RRQ		1U
#define TFTP_OP_WRQ		2U
#define TFTP_OP_DATA		3U
#define TFTP_OP_ACK		4U
#define TFTP_OP_ERROR		5U
#define TFTP_OP_OACK		6U

/* ---- error codes (RFC 1350 appendix, RFC 2347 for 8) -------------------- */

#define TFTP_ERR_UNDEF		0U	/* see the message */
#define TFTP_ERR_NOT_FOUND	1U
#define TFTP_ERR_ACCESS		2U
#define TFTP_ERR_DISK_FULL	3U
#define TFTP_ERR_ILLEGAL_OP	4U
#define TFTP_ERR_UNKNOWN_TID	5U
#define TFTP_ERR_EXISTS		6U
#define TFTP_ERR_NO_USER	7U
#define TFTP_ERR_OPTION		8U	/* option negotiation refused */
#define TFTP_ERR_MAX		TFTP_ERR_OPTION

/* ---- transfer modes (RFC 1350 section 1) -------------------------------- */

#define TFTP_MODE_NETASCII	1U
#define TFTP_MODE_OCTET		2U

/* ---- options (bits of struct tftp_request.options and friends) ---------- */

#define TFTP_OPT_BLKSIZE	(1U << 0)	/* RFC 2348 */
#define TFTP_OPT_TSIZE		(1U << 1)	/* RFC 2349 */
#define TFTP_OPT_TIMEOUT	(1U << 2)	/* RFC 2349 */
#define TFTP_OPT_WINDOWSIZE	(1U << 3)	/* RFC 7440 */

/* ---- sizes and ranges from the RFCs ------------------------------------- */

#define TFTP_OPCODE_LEN		2
#define TFTP_HEADER_LEN		4	/* DATA and ACK: opcode, block */
#define TFTP_DEFAULT_BLKSIZE	512	/* RFC 1350 */
#define TFTP_MAX_REQUEST_LEN	512	/* RFC 2347: whole RRQ/WRQ packet */
#define TFTP_BLKSIZE_MIN	8	/* RFC 2348 */
#define TFTP_BLKSIZE_MAX	65464	/* RFC 2348 */
#define TFTP_TIMEOUT_MIN	1	/* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX	255	/* RFC 2349, seconds */
#define TFTP_WINDOWSIZE_MIN	1	/* RFC 7440 */
#define TFTP_WINDOWSIZE_MAX	65535	/* RFC 7440 */
/** Block numbers are 16 bits and wrap from 65535 to 0. */
#define TFTP_BLOCK_MODULO	65536ULL

/* ---- our limits --------------------------------------------------------- */

/** Longest file name we accept in a request (bytes, without the NUL). */
#define TFTP_MAX_FILENAME_LEN	255
/** Longest ERROR message we send or accept (bytes, without the NUL). */
#define TFTP_MAX_ERROR_MSG_LEN	255
/** Longest OACK we can produce: four options with their largest values. */
#define TFTP_MAX_OACK_LEN	80
/** Size of the message buffers parsers fill in. */
#define TFTP_MSG_LEN		160

/** A string inside a parsed buffer: not NUL-terminated, never contains NUL. */
struct tftp_string {
	const char *ptr;	/* first byte, inside the parsed buffer */
	uint16_t len;		/* number of bytes */
};

/** A parsed RRQ or WRQ with its RFC 2347 options. */
struct tftp_request {
	uint16_t opcode;	/* TFTP_OP_RRQ or TFTP_OP_WRQ */
	struct tftp_string filename; /* as sent: nonempty, no path checks */
	uint8_t mode;		/* TFTP_MODE_* */
	uint32_t options;	/* TFTP_OPT_* the client asked for, valid */
	uint32_t ignored;	/* TFTP_OPT_* present but invalid: ignored */
	uint16_t blksize;	/* if TFTP_OPT_BLKSIZE: 8..65464 */
	uint64_t tsize;		/* if TFTP_OPT_TSIZE: in a WRQ the size; in an
				   RRQ 0 (other values are not refused) */
	uint8_t timeout;	/* if TFTP_OPT_TIMEOUT: 1..255 seconds */
	uint16_t windowsize;	/* if TFTP_OPT_WINDOWSIZE: 1..65535 */
};

/** What the server is willing to grant (input of tftp_negotiate()). */
struct tftp_limits {
	uint16_t max_blksize;	/* e.g. path MTU - IP - UDP - 4 headers;
				   below TFTP_BLKSIZE_MIN: refuse blksize */
	uint16_t max_windowsize; /* 0: refuse windowsize */
	bool timeout;		/* accept the client's timeout */
	bool tsize;		/* answer tsize */
};

/** The options the server accepts: what goes into the OACK. */
struct tftp_oack {
	uint32_t options;	/* TFTP_OPT_* to acknowledge */
	uint16_t blksize;	/* values, as for struct tftp_request */
	uint64_t tsize;
	uint8_t timeout;
	uint16_t windowsize;
};

/** How an ACK relates to the transfer (tftp_classify_ack()). */
enum tftp_ack_kind {
	TFTP_ACK_NEW,		/* acknowledges blocks not acknowledged before */
	TFTP_ACK_DUP,		/* repeats the last ACK: do not resend */
	TFTP_ACK_OLD,		/* older, or for a block not sent: ignore */
};

/* ---- parsers ------------------------------------------------------------ */

/**
 * tftp_opcode() - the opcode of a packet.
 * @buf: the UDP payload
 * @len: its length
 * Return: the opcode (any value, also unknown ones), or -EINVAL if @len is
 * shorter than TFTP_OPCODE_LEN.
 */
int tftp_opcode(const uint8_t *buf, size_t len);

/**
 * tftp_parse_request() - parse an RRQ or WRQ with its options.
 * @buf: the UDP payload, starting with the opcode
 * @len: its length
 * @req: output; filename points into @buf
 * @msg: output message (TFTP_MSG_LEN bytes) or NULL.  On success it is empty,
 *	 or names the first option that was ignored (see @req->ignored).
 * Return: 0; -EINVAL for a malformed request (wrong opcode, truncated,
 * missing NUL, empty or too long file name, unknown mode, an option name
 * without value, an empty option name); -EMSGSIZE for a request over
 * TFTP_MAX_REQUEST_LEN; -EOPNOTSUPP for mode "mail"; -EPROTO for an option
 * given twice.  tftp_error_code() gives the ERROR code to answer with.
 */
int tftp_parse_request(const uint8_t *buf, size_t len,
		       struct tftp_request *req, char *msg);

/**
 * tftp_parse_ack() - parse an ACK.
 * @buf: the UDP payload
 * @len: its length (exactly TFTP_HEADER_LEN)
 * @block: output, the 16-bit block number
 * @msg: output message or NULL
 * Return: 0, or -EINVAL (not an ACK, wrong length).
 */
int tftp_parse_ack(const uint8_t *buf, size_t len, uint16_t *block,
		   char *msg);

/**
 * tftp_parse_error() - parse an ERROR packet.
 * @buf: the UDP payload
 * @len: its length
 * @code: output, the error code as sent (any 16-bit value)
 * @text: output, the message inside @buf (may be empty)
 * @msg: output message or NULL
 * Return: 0, or -EINVAL (not an ERROR, truncated, message without its NUL,
 * bytes after the NUL, message over TFTP_MAX_ERROR_MSG_LEN).
 */
int tftp_parse_error(const uint8_t *buf, size_t len, uint16_t *code,
		     struct tftp_string *text, char *msg);

/**
 * tftp_error_code() - the ERROR code to answer a failed parse with.
 * @err: a negative errno from tftp_parse_request()
 * Return: TFTP_ERR_OPTION for -EPROTO, TFTP_ERR_ILLEGAL_OP for -EINVAL,
 * -EMSGSIZE and -EOPNOTSUPP, TFTP_ERR_UNDEF otherwise.
 */
uint16_t tftp_error_code(int err);

/* ---- negotiation -------------------------------------------------------- */

/**
 * tftp_negotiate() - decide which requested options to acknowledge.
 * @req: a parsed request
 * @lim: what the server grants
 * @file_size: the file size, answered for tsize in an RRQ
 * @oack: output
 * blksize and windowsize are clamped to @lim; tsize in an RRQ is answered
 * with @file_size, in a WRQ echoed; timeout is echoed.  Options the client
 * did not ask for are never added (RFC 2347).
 * Return: the number of options to acknowledge (0: send no OACK; the
 * transfer then uses the RFC 1350 defaults).
 */
int tftp_negotiate(const struct tftp_request *req,
		   const struct tftp_limits *lim, uint64_t file_size,
		   struct tftp_oack *oack);

/* ---- encoders ----------------------------------------------------------- */

/**
 * tftp_encode_oack() - an OACK with the options of @oack.
 * @buf: output
 * @size: size of @buf (TFTP_MAX_OACK_LEN always suffices)
 * @oack: from tftp_negotiate()
 * Return: bytes written, -ENOBUFS, or -EINVAL (no options, or a value out
 * of its RFC range).
 */
ssize_t tftp_encode_oack(uint8_t *buf, size_t size,
			 const struct tftp_oack *oack);

/**
 * tftp_encode_data_header() - the opcode and block number of a DATA packet.
 * @buf: output; the caller appends the data after TFTP_HEADER_LEN bytes
 * @size: size of @buf
 * @block: block number on the wire (tftp_block_wire())
 * Return: TFTP_HEADER_LEN, or -ENOBUFS.
 */
ssize_t tftp_encode_data_header(uint8_t *buf, size_t size, uint16_t block);

/**
 * tftp_encode_ack() - an ACK packet.
 * @buf: output
 * @size: size of @buf
 * @block: block number on the wire
 * Return: TFTP_HEADER_LEN, or -ENOBUFS.
 */
ssize_t tftp_encode_ack(uint8_t *buf, size_t size, uint16_t block);

/**
 * tftp_encode_error() - an ERROR packet.
 * @buf: output
 * @size: size of @buf
 * @code: TFTP_ERR_* (0..TFTP_ERR_MAX)
 * @text: message for people; cut to TFTP_MAX_ERROR_MSG_LEN bytes
 * Return: bytes written, -ENOBUFS, or -EINVAL (unknown @code).
 */
ssize_t tftp_encode_error(uint8_t *buf, size_t size, uint16_t code,
			  const char *text);

/* ---- block numbers ------------------------------------------------------ */

/**
 * tftp_block_wire() - the 16-bit block number of a 64-bit block index.
 * @index: block index (1 is the first DATA block; 0 the OACK)
 * Return: @index modulo TFTP_BLOCK_MODULO (rollover to 0, as tftp-hpa,
 * iPXE and EDK2 expect).
 */
uint16_t tftp_block_wire(uint64_t index);

/**
 * tftp_classify_ack() - map an ACK's 16-bit block number into the transfer.
 * @block: the block number from the ACK
 * @acked: index of the last block acknowledged (0 after the OACK's ACK 0)
 * @sent: index of the last block sent; @acked <= @sent <= @acked + 65535
 * @index: output, for TFTP_ACK_NEW and TFTP_ACK_DUP the 64-bit index
 * The ACK 0 that answers an OACK is the caller's to check (block 0 while
 * waiting for it); from then on @acked starts at 0.
 * Every index in (@acked, @sent] has a distinct 16-bit number, so a new ACK
 * is never mistaken for an old one, across any number of wraps.  Only the
 * last ACK is recognised as a duplicate; anything else is old.
 * Return: TFTP_ACK_NEW (@index in @acked + 1 .. @sent), TFTP_ACK_DUP
 * (@index == @acked), or TFTP_ACK_OLD (neither; also returned if @sent is
 * out of its range).
 */
enum tftp_ack_kind tftp_classify_ack(uint16_t block, uint64_t acked,
				     uint64_t sent, uint64_t *index);

#endif /* LANROOT_TFTP_PROTO_H */
