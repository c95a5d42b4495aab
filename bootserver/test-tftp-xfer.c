/* Unit tests for bootserver/tftp-xfer.c: windows, ACKs (new, duplicate,
 * old, inside the window), the OACK's ACK 0, block-number rollover over
 * whole files, timeouts with backoff and giving up, block lengths and file
 * ranges, netascii conversion. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "tftp-proto.h"
#include "tftp-xfer.h"

#define MS	1000000LL	/* ns per ms */
#define T0	(1000 * MS)	/* an arbitrary start time */

/** send_all() - pretend the whole pending window went out. */
static void send_all(struct tftp_xfer *x)
{
	tftp_xfer_sent(x, x->win_end);
}

static void test_small_file_lockstep(void **state)
{
	struct tftp_xfer x;

	(void)state;
	tftp_xfer_init(&x, 1000, 512, 1, false, 1000, T0);
	assert_int_equal(x.last, 2);
	assert_false(tftp_xfer_oack_pending(&x));
	assert_true(tftp_xfer_window_pending(&x));
	assert_int_equal(x.next, 1);
	assert_int_equal(x.win_end, 1);
	assert_int_equal(x.deadline_ns, T0 + 1000 * MS);
	send_all(&x);
	assert_false(tftp_xfer_window_pending(&x));
	assert_int_equal(tftp_xfer_ack(&x, 1, T0 + 5 * MS), TFTP_XFER_SEND);
	assert_int_equal(x.next, 2);
	assert_int_equal(x.win_end, 2);
	assert_int_equal(x.deadline_ns, T0 + 1005 * MS);
	assert_int_equal(tftp_xfer_block_len(&x, 1), 512);
	assert_int_equal(tftp_xfer_block_len(&x, 2), 488);
	send_all(&x);
	assert_int_equal(tftp_xfer_ack(&x, 2, T0), TFTP_XFER_DONE);
}

static void test_exact_multiple_and_empty(void **state)
{
	struct tftp_xfer x;
	size_t len;

	(void)state;
	/* a file of whole blocks ends with an empty block (RFC 1350 6) */
	tftp_xfer_init(&x, 1024, 512, 8, false, 1000, T0);
	assert_int_equal(x.last, 3);
	assert_int_equal(x.win_end, 3);
	assert_int_equal(tftp_xfer_block_len(&x, 3), 0);
	assert_int_equal(tftp_xfer_range(&x, 1, 3, &len), 0);
	assert_int_equal(len, 1024);
	assert_int_equal(tftp_xfer_range(&x, 3, 1, &len), 1024);
	assert_int_equal(len, 0);
	send_all(&x);
	assert_int_equal(tftp_xfer_ack(&x, 2, T0), TFTP_XFER_SEND);
	assert_int_equal(x.next, 3);
	assert_int_equal(tftp_xfer_ack(&x, 3, T0), TFTP_XFER_DONE);

	/* an empty file is one empty block */
	tftp_xfer_init(&x, 0, 1468, 16, false, 1000, T0);
	assert_int_equal(x.last, 1);
	assert_int_equal(x.win_end, 1);
	assert_int_equal(tftp_xfer_block_len(&x, 1), 0);
	send_all(&x);
	assert_int_equal(tftp_xfer_ack(&x, 1, T0), TFTP_XFER_DONE);
}

static void test_oack_waits_for_ack0(void **state)
{
	struct tftp_xfer x;

	(void)state;
	tftp_xfer_init(&x, 100000, 1468, 4, true, 1000, T0);
	assert_true(tftp_xfer_oack_pending(&x));
	assert_false(tftp_xfer_window_pending(&x));
	/* anything but ACK 0 is ignored while the OACK waits */
	assert_int_equal(tftp_xfer_ack(&x, 1, T0), TFTP_XFER_NONE);
	assert_int_equal(tftp_xfer_ack(&x, 65535, T0), TFTP_XFER_NONE);
	assert_true(tftp_xfer_oack_pending(&x));
	/* a timeout resends the OACK */
	assert_int_equal(tftp_xfer_timeout(&x, 5, T0 + 1000 * MS), TFTP_XFER_SEND);
	assert_true(tftp_xfer_oack_pending(&x));
	assert_int_equal(tftp_xfer_ack(&x, 0, T0), TFTP_XFER_SEND);
	assert_false(tftp_xfer_oack_pending(&x));
	assert_int_equal(x.next, 1);
	assert_int_equal(x.win_end, 4);
	assert_int_equal(x.retries, 0);
	send_all(&x);
	/* a repeated ACK 0 is a duplicate now */
	assert_int_equal(tftp_xfer_ack(&x, 0, T0), TFTP_XFER_NONE);
	assert_int_equal(x.next, 5);
}

static void test_duplicate_ack_sends_nothing(void **state)
{
	struct tftp_xfer x;
	int i;

	(void)state;
	tftp_xfer_init(&x, 10 * 512, 512, 1, false, 1000, T0);
	send_all(&x);
	assert_int_equal(tftp_xfer_ack(&x, 1, T0), TFTP_XFER_SEND);
	send_all(&x);
	/* the sorcerer's apprentice: the late duplicate of ACK 1 */
	for (i = 0; i < 3; i++)
		assert_int_equal(tftp_xfer_ack(&x, 1, T0), TFTP_XFER_NONE);
	assert_false(tftp_xfer_window_pending(&x));
	assert_int_equal(x.sent, 2);
	/* an ACK for a block never sent */
	assert_int_equal(tftp_xfer_ack(&x, 3, T0), TFTP_XFER_NONE);
	assert_int_equal(tftp_xfer_ack(&x, 9, T0), TFTP_XFER_NONE);
	assert_int_equal(tftp_xfer_ack(&x, 2, T0), TFTP_XFER_SEND);
}

static void test_window_slides(void **state)
{
	struct tftp_xfer x;

	(void)state;
	tftp_xfer_init(&x, 20 * 100 + 50, 100, 4, false, 1000, T0);
	assert_int_equal(x.last, 21);
	assert_int_equal(x.win_end, 4);
	tftp_xfer_sent(&x, 2);	/* partly sent (socket full) */
	assert_true(tftp_xfer_window_pending(&x));
	assert_int_equal(x.next, 3);
	assert_int_equal(x.sent, 2);
	send_all(&x);
	assert_int_equal(x.sent, 4);
	assert_int_equal(tftp_xfer_ack(&x, 4, T0), TFTP_XFER_SEND);
	assert_int_equal(x.next, 5);
	assert_int_equal(x.win_end, 8);
	send_all(&x);
	/* the client saw a gap after 6: the window restarts at 7 */
	assert_int_equal(tftp_xfer_ack(&x, 6, T0), TFTP_XFER_SEND);
	assert_int_equal(x.acked, 6);
	assert_int_equal(x.next, 7);
	assert_int_equal(x.win_end, 10);
	send_all(&x);
	assert_int_equal(x.sent, 10);
	/* older ACKs and the duplicate are ignored */
	assert_int_equal(tftp_xfer_ack(&x, 5, T0), TFTP_XFER_NONE);
	assert_int_equal(tftp_xfer_ack(&x, 6, T0), TFTP_XFER_NONE);
	assert_int_equal(tftp_xfer_ack(&x, 10, T0), TFTP_XFER_SEND);
	assert_int_equal(tftp_xfer_ack(&x, 8, T0), TFTP_XFER_NONE);
	/* sent() outside the window changes nothing */
	tftp_xfer_sent(&x, 20);
	assert_int_equal(x.next, 11);
	tftp_xfer_sent(&x, 9);
	assert_int_equal(x.next, 11);
	/* the last window is cut at the last block */
	x.acked = 18;
	x.sent = 18;
	assert_int_equal(tftp_xfer_ack(&x, 19, T0), TFTP_XFER_NONE);
	x.sent = 20;
	assert_int_equal(tftp_xfer_ack(&x, 19, T0), TFTP_XFER_SEND);
	assert_int_equal(x.win_end, 21);
	assert_int_equal(tftp_xfer_block_len(&x, 21), 50);
	send_all(&x);
	assert_int_equal(tftp_xfer_ack(&x, 21, T0), TFTP_XFER_DONE);
}

/**
 * run_whole_file() - send a file window by window, acknowledging the end of
 * each window with its 16-bit number, and count the windows.
 */
static uint64_t run_whole_file(uint64_t size, uint16_t blksize, uint16_t ws)
{
	struct tftp_xfer x;
	enum tftp_xfer_action a = TFTP_XFER_SEND;
	uint64_t windows = 0;

	tftp_xfer_init(&x, size, blksize, ws, true, 1000, T0);
	assert_int_equal(tftp_xfer_ack(&x, 0, T0), TFTP_XFER_SEND);
	while (a == TFTP_XFER_SEND) {
		assert_true(x.win_end - x.next < ws);
		send_all(&x);
		windows++;
		/* a stale duplicate first: never a new window */
		assert_int_equal(tftp_xfer_ack(&x, tftp_block_wire(x.acked), T0),
				 TFTP_XFER_NONE);
		a = tftp_xfer_ack(&x, tftp_block_wire(x.win_end), T0);
	}
	assert_int_equal(a, TFTP_XFER_DONE);
	assert_int_equal(x.acked, x.last);
	return windows;
}

static void test_rollover(void **state)
{
	uint64_t size = 40ULL << 20;	/* 81920 blocks of 512: past 65535 */

	(void)state;
	assert_int_equal(run_whole_file(size, 512, 1), size / 512 + 1);
	assert_int_equal(run_whole_file(size, 512, 16), (size / 512 + 1 + 15) / 16);
	assert_int_equal(run_whole_file(size + 7, 512, 1000), 82);
	/* 2^16 blocks exactly: block 65536 is wire 0 */
	assert_int_equal(run_whole_file(65535ULL * 512, 512, 1), 65536);
}

static void test_rollover_lockstep_wire_zero(void **state)
{
	struct tftp_xfer x;

	(void)state;
	tftp_xfer_init(&x, 70000ULL * 512, 512, 1, false, 1000, T0);
	x.acked = 65535;
	x.sent = 65535;
	x.next = 65536;
	x.win_end = 65536;
	send_all(&x);
	/* ACK 0 now means block 65536, not the OACK */
	assert_int_equal(tftp_xfer_ack(&x, 0, T0), TFTP_XFER_SEND);
	assert_int_equal(x.acked, 65536);
	assert_int_equal(x.next, 65537);
	assert_int_equal(tftp_block_wire(x.next), 1);
	send_all(&x);
	assert_int_equal(tftp_xfer_ack(&x, 0, T0), TFTP_XFER_NONE);
	assert_int_equal(tftp_xfer_ack(&x, 65535, T0), TFTP_XFER_NONE);
	assert_int_equal(tftp_xfer_ack(&x, 1, T0), TFTP_XFER_SEND);
	assert_int_equal(x.acked, 65537);
}

static void test_timeout_backoff_and_give_up(void **state)
{
	struct tftp_xfer x;
	int64_t now = T0;
	static const uint32_t want[] = { 2000, 4000, 8000, 8000, 8000 };
	size_t i;

	(void)state;
	tftp_xfer_init(&x, 8 * 1468, 1468, 4, false, 1000, T0);
	send_all(&x);
	assert_int_equal(tftp_xfer_ack(&x, 2, now), TFTP_XFER_SEND);
	send_all(&x);
	assert_int_equal(x.sent, 6);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		now = x.deadline_ns;
		assert_int_equal(tftp_xfer_timeout(&x, 5, now), TFTP_XFER_SEND);
		assert_int_equal(x.cur_ms, want[i]);
		assert_int_equal(x.deadline_ns, now + want[i] * MS);
		/* the window after the last ACK, again */
		assert_int_equal(x.next, 3);
		assert_int_equal(x.win_end, 6);
		send_all(&x);
	}
	assert_int_equal(x.retries, 5);
	assert_int_equal(tftp_xfer_timeout(&x, 5, x.deadline_ns), TFTP_XFER_GIVE_UP);

	/* progress resets the count and the interval */
	assert_int_equal(tftp_xfer_ack(&x, 4, now), TFTP_XFER_SEND);
	assert_int_equal(x.retries, 0);
	assert_int_equal(x.cur_ms, 1000);
	assert_int_equal(x.deadline_ns, now + 1000 * MS);

	/* no retries at all: the first timeout gives up */
	tftp_xfer_init(&x, 10, 512, 1, false, 1000, T0);
	assert_int_equal(tftp_xfer_timeout(&x, 0, T0), TFTP_XFER_GIVE_UP);
}

static void test_client_timeout_above_backoff_cap(void **state)
{
	struct tftp_xfer x;

	(void)state;
	tftp_xfer_init(&x, 10, 512, 0, false, 20000, T0);
	assert_int_equal(x.windowsize, 1);
	assert_int_equal(x.max_ms, 20000);
	assert_int_equal(tftp_xfer_timeout(&x, 3, T0), TFTP_XFER_SEND);
	assert_int_equal(x.cur_ms, 20000);
	tftp_xfer_init(&x, 10, 512, 1, false, 5000, T0);
	assert_int_equal(tftp_xfer_timeout(&x, 3, T0), TFTP_XFER_SEND);
	assert_int_equal(x.cur_ms, 8000);
}

static void test_range(void **state)
{
	struct tftp_xfer x;
	size_t len;

	(void)state;
	tftp_xfer_init(&x, 65464ULL * 3 + 1, 65464, 64, false, 1000, T0);
	assert_int_equal(x.last, 4);
	assert_int_equal(tftp_xfer_range(&x, 1, 4, &len), 0);
	assert_int_equal(len, 65464 * 3 + 1);
	assert_int_equal(tftp_xfer_range(&x, 2, 2, &len), 65464);
	assert_int_equal(len, 65464 * 2);
	assert_int_equal(tftp_xfer_range(&x, 4, 1, &len), 65464 * 3);
	assert_int_equal(len, 1);
	assert_int_equal(tftp_xfer_block_len(&x, 5), 0);
	/* a large file: offsets past 4 GiB */
	tftp_xfer_init(&x, 6ULL << 30, 512, 1, false, 1000, T0);
	assert_int_equal(tftp_xfer_range(&x, 10000000, 1, &len), 9999999ULL * 512);
	assert_int_equal(len, 512);
}

static void test_netascii(void **state)
{
	static const uint8_t in[] = "a\nb\rc\r\n";
	static const uint8_t want[] = "a\r\nb\r\0c\r\0\r\n";
	uint8_t out[32];
	size_t n = sizeof(in) - 1;

	(void)state;
	assert_int_equal(tftp_netascii_len(in, n), sizeof(want) - 1);
	assert_int_equal(tftp_netascii_encode(in, n, out), sizeof(want) - 1);
	assert_memory_equal(out, want, sizeof(want) - 1);
	assert_int_equal(tftp_netascii_len(in, 0), 0);
	assert_int_equal(tftp_netascii_encode((const uint8_t *)"xyz", 3, out), 3);
	assert_memory_equal(out, "xyz", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_file_lockstep),
		cmocka_unit_test(test_exact_multiple_and_empty),
		cmocka_unit_test(test_oack_waits_for_ack0),
		cmocka_unit_test(test_duplicate_ack_sends_nothing),
		cmocka_unit_test(test_window_slides),
		cmocka_unit_test(test_rollover),
		cmocka_unit_test(test_rollover_lockstep_wire_zero),
		cmocka_unit_test(test_timeout_backoff_and_give_up),
		cmocka_unit_test(test_client_timeout_above_backoff_cap),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_netascii),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
