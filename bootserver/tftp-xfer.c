/* One TFTP read transfer as a pure state machine (see tftp-xfer.h). */
#include <config.h>

#include <string.h>

#include "tftp-proto.h"
#include "tftp-xfer.h"

#define NS_PER_MS	1000000LL
#define ASCII_CR	'\r'
#define ASCII_LF	'\n'
#define ASCII_NUL	'\0'

/**
 * arm() - set the retransmission deadline from the current interval.
 * @x: the transfer
 * @now_ns: the time now
 */
static void arm(struct tftp_xfer *x, int64_t now_ns)
{
	x->deadline_ns = now_ns + (int64_t)x->cur_ms * NS_PER_MS;
}

/**
 * open_window() - make the window start right after the last ACK.
 * @x: the transfer
 */
static void open_window(struct tftp_xfer *x)
{
	uint64_t end = x->acked + x->windowsize;

	x->next = x->acked + 1;
	x->win_end = end < x->last ? end : x->last;
}

void tftp_xfer_init(struct tftp_xfer *x, uint64_t size, uint16_t blksize,
		    uint16_t windowsize, bool oack, uint32_t timeout_ms,
		    int64_t now_ns)
{
	memset(x, 0, sizeof(*x));
	x->size = size;
	x->blksize = blksize ? blksize : TFTP_DEFAULT_BLKSIZE;
	x->windowsize = windowsize ? windowsize : 1;
	x->last = size / x->blksize + 1;
	x->oack = oack;
	x->base_ms = timeout_ms ? timeout_ms : 1;
	x->cur_ms = x->base_ms;
	x->max_ms = x->base_ms > TFTP_XFER_MAX_BACKOFF_MS ?
		    x->base_ms : TFTP_XFER_MAX_BACKOFF_MS;
	if (oack) {
		x->next = 1;
		x->win_end = 0;
	} else {
		open_window(x);
	}
	arm(x, now_ns);
}

enum tftp_xfer_action tftp_xfer_ack(struct tftp_xfer *x, uint16_t block,
				    int64_t now_ns)
{
	uint64_t index;

	if (x->oack) {
		/* RFC 2347: the client accepts the OACK with ACK 0 */
		if (block != 0)
			return TFTP_XFER_NONE;
		x->oack = false;
	} else {
		if (tftp_classify_ack(block, x->acked, x->sent, &index) !=
		    TFTP_ACK_NEW)
			return TFTP_XFER_NONE;	/* never resend on a duplicate */
		x->acked = index;
		if (index == x->last)
			return TFTP_XFER_DONE;
	}
	/* progress: the next window, at the base interval */
	open_window(x);
	x->retries = 0;
	x->cur_ms = x->base_ms;
	arm(x, now_ns);
	return TFTP_XFER_SEND;
}

enum tftp_xfer_action tftp_xfer_timeout(struct tftp_xfer *x,
					unsigned max_retries, int64_t now_ns)
{
	if (x->retries >= max_retries)
		return TFTP_XFER_GIVE_UP;
	x->retries++;
	x->cur_ms = x->cur_ms > x->max_ms / 2 ? x->max_ms : x->cur_ms * 2;
	if (!x->oack)
		open_window(x);	/* RFC 7440: resend the whole window */
	arm(x, now_ns);
	return TFTP_XFER_SEND;
}

void tftp_xfer_sent(struct tftp_xfer *x, uint64_t upto)
{
	if (upto < x->next || upto > x->win_end)
		return;
	x->next = upto + 1;
	if (upto > x->sent)
		x->sent = upto;
}

size_t tftp_xfer_block_len(const struct tftp_xfer *x, uint64_t index)
{
	if (index < x->last)
		return x->blksize;
	if (index > x->last)
		return 0;
	return (size_t)(x->size - (x->last - 1) * x->blksize);
}

uint64_t tftp_xfer_range(const struct tftp_xfer *x, uint64_t first,
			 uint64_t count, size_t *len)
{
	uint64_t off = (first - 1) * x->blksize;
	uint64_t end = off + count * x->blksize;

	if (end > x->size)
		end = x->size;
	*len = end > off ? (size_t)(end - off) : 0;
	return off;
}

size_t tftp_netascii_len(const uint8_t *in, size_t len)
{
	size_t n = len, i;

	for (i = 0; i < len; i++)
		if (in[i] == ASCII_LF || in[i] == ASCII_CR)
			n++;
	return n;
}

size_t tftp_netascii_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == ASCII_LF) {
			out[o++] = ASCII_CR;
			out[o++] = ASCII_LF;
		} else if (in[i] == ASCII_CR) {
			/* every local CR is data: CR NUL on the wire */
			out[o++] = ASCII_CR;
			out[o++] = ASCII_NUL;
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}
