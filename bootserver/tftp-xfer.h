/* One TFTP read transfer as a pure state machine: which blocks to send,
 * what an ACK or a timeout means, when to give up.  No sockets, no clock
 * (the caller passes the time), no allocation; tftp-server.c does the I/O.
 *
 * Blocks are counted with 64-bit indices (1 is the first DATA block) and
 * put on the wire modulo 2^16 (tftp_block_wire()), so files of any size work
 * across the block-number rollover.
 *
 * Sending follows RFC 7440 (windowsize 1 is RFC 1350's lock-step): the
 * server sends a window of up to @windowsize blocks after the last one
 * acknowledged, then waits.  An ACK for a block not acknowledged before
 * starts the next window right after it (also when it lies inside the
 * window just sent: the client saw a gap).  A repeated ACK never sends
 * anything (the Sorcerer's Apprentice bug of RFC 1350 is avoided as RFC
 * 1123 4.2.3.1 asks): only a timeout resends, with exponential backoff.
 *
 * Also here: netascii conversion (RFC 764 end-of-line rules used by RFC
 * 1350), a pure function over buffers.
 */
#ifndef LR_TFTP_XFER_H
#define LR_TFTP_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The longest retransmission interval the backoff reaches (ms). */
#define TFTP_XFER_MAX_BACKOFF_MS	8000U

/** What the caller must do after an event. */
enum tftp_xfer_action {
	TFTP_XFER_NONE,		/* nothing (duplicate, old or stray ACK) */
	TFTP_XFER_SEND,		/* send the OACK (tftp_xfer_oack_pending()) or
				   blocks next .. win_end */
	TFTP_XFER_DONE,		/* the last block is acknowledged */
	TFTP_XFER_GIVE_UP,	/* retransmissions exhausted */
};

/** State of one transfer. */
struct tftp_xfer {
	uint64_t size;		/* bytes in the file */
	uint16_t blksize;	/* bytes per DATA block (negotiated) */
	uint16_t windowsize;	/* blocks per window (negotiated, >= 1) */
	uint64_t last;		/* index of the final block (shorter than
				   blksize, maybe empty): size / blksize + 1 */
	uint64_t acked;		/* last index acknowledged (0: none yet) */
	uint64_t sent;		/* highest index ever sent */
	uint64_t next;		/* next index to send in the current window */
	uint64_t win_end;	/* last index of the current window; the
				   window is sent when next > win_end */
	bool oack;		/* an OACK is out, waiting for its ACK 0 */
	unsigned retries;	/* retransmissions since the last progress */
	uint32_t base_ms;	/* first retransmission interval */
	uint32_t cur_ms;	/* the interval now (doubles on each timeout) */
	uint32_t max_ms;	/* the backoff stops doubling here */
	int64_t deadline_ns;	/* when to retransmit (monotonic clock) */
};

/**
 * tftp_xfer_init() - start a transfer.
 * @x: state to fill in
 * @size: file size in bytes
 * @blksize: negotiated block size (TFTP_BLKSIZE_MIN..TFTP_BLKSIZE_MAX)
 * @windowsize: negotiated window size (>= 1; 0 is taken as 1)
 * @oack: true if an OACK is sent first (then blocks wait for ACK 0)
 * @timeout_ms: first retransmission interval (>= 1)
 * @now_ns: the time now
 * The caller sends at once what TFTP_XFER_SEND would ask for: the OACK, or
 * the first window.  The backoff doubles up to TFTP_XFER_MAX_BACKOFF_MS, or
 * up to @timeout_ms if that is longer (a client's timeout option).
 */
void tftp_xfer_init(struct tftp_xfer *x, uint64_t size, uint16_t blksize,
		    uint16_t windowsize, bool oack, uint32_t timeout_ms,
		    int64_t now_ns);

/**
 * tftp_xfer_ack() - an ACK arrived.
 * @x: the transfer
 * @block: its 16-bit block number
 * @now_ns: the time now
 * Return: TFTP_XFER_SEND (a new window, from x->next), TFTP_XFER_DONE, or
 * TFTP_XFER_NONE (a duplicate, an ACK for a block never sent, or anything
 * but ACK 0 while the OACK waits).
 */
enum tftp_xfer_action tftp_xfer_ack(struct tftp_xfer *x, uint16_t block,
				    int64_t now_ns);

/**
 * tftp_xfer_timeout() - the deadline passed without progress.
 * @x: the transfer
 * @max_retries: retransmissions allowed since the last progress
 * @now_ns: the time now
 * Return: TFTP_XFER_SEND (resend the OACK or the window after the last
 * ACK; the interval doubled), or TFTP_XFER_GIVE_UP.
 */
enum tftp_xfer_action tftp_xfer_timeout(struct tftp_xfer *x,
					unsigned max_retries, int64_t now_ns);

/**
 * tftp_xfer_sent() - blocks x->next .. @upto went out.
 * @x: the transfer
 * @upto: the last index sent (x->next - 1 <= @upto <= x->win_end)
 */
void tftp_xfer_sent(struct tftp_xfer *x, uint64_t upto);

/** tftp_xfer_oack_pending() - true while the OACK waits for its ACK 0. */
static inline bool tftp_xfer_oack_pending(const struct tftp_xfer *x)
{
	return x->oack;
}

/** tftp_xfer_window_pending() - true while blocks of the window are unsent. */
static inline bool tftp_xfer_window_pending(const struct tftp_xfer *x)
{
	return !x->oack && x->next <= x->win_end;
}

/**
 * tftp_xfer_block_len() - bytes in block @index.
 * @x: the transfer
 * @index: 1 .. x->last
 * Return: x->blksize, or less for the last block (possibly 0).
 */
size_t tftp_xfer_block_len(const struct tftp_xfer *x, uint64_t index);

/**
 * tftp_xfer_range() - the bytes of blocks @first .. @first + @count - 1.
 * @x: the transfer
 * @first: first index (1 .. x->last)
 * @count: number of blocks (>= 1, not past x->last)
 * @len: output, the number of bytes
 * Return: the file offset of block @first.
 */
uint64_t tftp_xfer_range(const struct tftp_xfer *x, uint64_t first,
			 uint64_t count, size_t *len);

/**
 * tftp_netascii_len() - the size of @in after netascii conversion.
 * @in: the bytes (a local text file, lines ending in LF)
 * @len: their number
 * Return: @len plus one for every LF and every CR.
 */
size_t tftp_netascii_len(const uint8_t *in, size_t len);

/**
 * tftp_netascii_encode() - convert to netascii: LF becomes CR LF, a bare CR
 * becomes CR NUL (RFC 764 end-of-line rules).
 * @in: the bytes
 * @len: their number
 * @out: output, tftp_netascii_len(@in, @len) bytes
 * Return: the number of bytes written.
 */
size_t tftp_netascii_encode(const uint8_t *in, size_t len, uint8_t *out);

#endif
