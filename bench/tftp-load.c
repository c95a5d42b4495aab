/* tftp-load: many TFTP reads of one file at once from one process, for
 * bench/bench-tftp.sh.
 *
 *   tftp-load --host ADDR --port PORT --file NAME [--clients N]
 *             [--blksize B] [--windowsize W] [--size BYTES] [--out FILE]
 *             [--timeout S] [--retries N]
 *
 * Starts N read requests (mode octet, options blksize B and, when W > 1,
 * windowsize W) back to back, each from its own UDP socket, and serves them
 * all from one epoll loop: one process for the whole load, so that the
 * client side costs one recv and (per window) one send per block, with no
 * process switches of its own.  The data is counted, not kept, except that
 * of the first transfer when --out is given (written at its offsets, for a
 * checksum).  ACKs follow RFC 1350 / RFC 7440: after every W in-order
 * blocks and after the last (short) block; an out-of-order or repeated
 * block is answered once with the ACK of the last in-order block; without
 * progress for --timeout seconds the last ACK (or the request) is sent
 * again, at most --retries times.
 *
 * Prints one line:
 *   clients=… ok=… failed=… bytes=… seconds=… mib_per_s=… blksize=…
 *   windowsize=… fastest=… slowest=… resent=… dup_acks=…
 * seconds is the wall time from the first request to the last block;
 * blksize and windowsize are what the server granted the first transfer.
 * Exit 0 when every transfer ended with its last block (and with --size,
 * with exactly that many bytes); 1 otherwise; 2 for a usage error.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "tftp-proto.h"

#define EXIT_USAGE 2
#define DEFAULT_CLIENTS 1u
#define MAX_CLIENTS 4096u
#define DEFAULT_TIMEOUT_S 1u
#define DEFAULT_RETRIES 5u
#define MAX_RETRIES 100u
#define RCVBUF_BYTES (1 << 20)	/* per socket: room for big windows */
#define POLL_MS 50		/* epoll timeout: how often timers are checked */
#define EVENTS_MAX 64
#define PKT_MAX (TFTP_HEADER_LEN + TFTP_BLKSIZE_MAX)
#define NS_PER_S 1000000000.0
#define MIB 1048576.0

enum xfer_state {
	XS_REQUESTED,		/* RRQ sent, nothing back yet */
	XS_RUNNING,		/* receiving DATA */
	XS_DONE,
	XS_FAILED,
};

/* One transfer. */
struct xfer {
	int fd;			/* its UDP socket (connected to the server's TID once known) */
	enum xfer_state state;
	uint32_t blksize;	/* granted */
	uint32_t windowsize;	/* granted */
	uint16_t last_block;	/* last block received in order (0 before the first) */
	bool dup_acked;		/* an ACK of last_block answered a stray block already */
	uint32_t in_window;	/* in-order blocks since the last ACK */
	uint64_t blocks;	/* in-order blocks so far */
	uint64_t bytes;
	double progress;	/* time of the last progress (or of the request) */
	double finished;	/* time of the last block */
	uint32_t retries;	/* resends since the last progress */
};

/* What to run, and the totals. */
struct load {
	struct sockaddr_in server;
	const char *file;
	const char *out;	/* the first transfer's data goes here, or NULL */
	int out_fd;
	uint32_t clients;
	uint32_t blksize;	/* asked for */
	uint32_t windowsize;	/* asked for (1: not asked) */
	uint64_t size;		/* expected bytes per transfer, 0 = unchecked */
	uint32_t timeout_s;
	uint32_t retries;
	uint8_t req[TFTP_MAX_REQUEST_LEN];
	size_t req_len;
	struct xfer *x;
	uint64_t resent;	/* requests and ACKs sent again on a timeout */
	uint64_t dup_acks;	/* ACKs answering a stray block */
};

/** now_s() - the monotonic clock in seconds. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / NS_PER_S;
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: tftp-load --host ADDR --port PORT --file NAME [--clients N]\n"
		"                 [--blksize B] [--windowsize W] [--size BYTES] [--out FILE]\n"
		"                 [--timeout S] [--retries N]\n");
}

/**
 * build_request() - the RRQ for @l->file with the options asked for, in
 * @l->req.  Return 0, or -ENAMETOOLONG when it does not fit 512 bytes.
 */
static int build_request(struct load *l)
{
	char opts[64];
	size_t name_len = strlen(l->file), pos = 0;
	int n;

	if (name_len > TFTP_MAX_FILENAME_LEN)
		return -ENAMETOOLONG;
	l->req[pos++] = 0;
	l->req[pos++] = TFTP_OP_RRQ;
	memcpy(l->req + pos, l->file, name_len + 1);
	pos += name_len + 1;
	memcpy(l->req + pos, "octet", sizeof("octet"));
	pos += sizeof("octet");
	/* Options as NUL-separated pairs; snprintf's own NULs mark the ends. */
	n = snprintf(opts, sizeof(opts), "blksize%c%" PRIu32, 0, l->blksize);
	if (n < 0 || (size_t)n + 1 > sizeof(opts) || pos + (size_t)n + 1 > sizeof(l->req))
		return -ENAMETOOLONG;
	memcpy(l->req + pos, opts, (size_t)n + 1);
	pos += (size_t)n + 1;
	if (l->windowsize > 1) {
		n = snprintf(opts, sizeof(opts), "windowsize%c%" PRIu32, 0, l->windowsize);
		if (n < 0 || (size_t)n + 1 > sizeof(opts) ||
		    pos + (size_t)n + 1 > sizeof(l->req))
			return -ENAMETOOLONG;
		memcpy(l->req + pos, opts, (size_t)n + 1);
		pos += (size_t)n + 1;
	}
	l->req_len = pos;
	return 0;
}

/** send_ack() - ACK @block on transfer @x (connected).  Return 0 or -errno. */
static int send_ack(struct xfer *x, uint16_t block)
{
	uint8_t ack[TFTP_HEADER_LEN] = { 0, TFTP_OP_ACK, (uint8_t)(block >> 8),
					 (uint8_t)block };

	if (send(x->fd, ack, sizeof(ack), 0) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/**
 * parse_oack() - take blksize and windowsize from an OACK of @len bytes.
 * Options the server left out keep the RFC 1350 defaults.  Return 0, or
 * -EPROTO for a malformed OACK or a grant above what was asked.
 */
static int parse_oack(const struct load *l, struct xfer *x, const uint8_t *p, size_t len)
{
	size_t pos = TFTP_OPCODE_LEN;

	x->blksize = TFTP_DEFAULT_BLKSIZE;
	x->windowsize = TFTP_WINDOWSIZE_MIN;
	while (pos < len) {
		const char *name = (const char *)p + pos, *val;
		const uint8_t *nul = memchr(p + pos, 0, len - pos), *vnul;
		uint32_t v;

		if (!nul)
			return -EPROTO;
		val = (const char *)nul + 1;
		if ((size_t)((const uint8_t *)val - p) >= len)
			return -EPROTO;
		vnul = memchr(val, 0, len - (size_t)((const uint8_t *)val - p));
		if (!vnul)
			return -EPROTO;
		if (strcasecmp(name, "blksize") == 0) {
			if (parse_u32(val, TFTP_BLKSIZE_MIN, l->blksize, &v) < 0)
				return -EPROTO;
			x->blksize = v;
		} else if (strcasecmp(name, "windowsize") == 0) {
			if (parse_u32(val, TFTP_WINDOWSIZE_MIN, l->windowsize, &v) < 0)
				return -EPROTO;
			x->windowsize = v;
		}
		pos = (size_t)(vnul - p) + 1;
	}
	return 0;
}

/** fail() - end transfer @i of @l with a message. */
static void fail(struct load *l, uint32_t i, const char *what)
{
	struct xfer *x = &l->x[i];

	fprintf(stderr, "tftp-load: transfer %" PRIu32 " of %s: %s (after %" PRIu64
		" bytes)\n", i, l->file, what, x->bytes);
	x->state = XS_FAILED;
	close(x->fd);
	x->fd = -1;
}

/**
 * on_data() - a DATA packet of @len bytes for transfer @i.
 * Return 0, or -errno when the transfer failed (already reported).
 */
static int on_data(struct load *l, uint32_t i, const uint8_t *p, size_t len, double now)
{
	struct xfer *x = &l->x[i];
	uint16_t block = (uint16_t)(p[2] << 8 | p[3]);
	size_t n = len - TFTP_HEADER_LEN;
	int rc;

	if (block != (uint16_t)(x->last_block + 1) || n > x->blksize) {
		/* Out of order or repeated: ACK what we have, once. */
		if (x->dup_acked)
			return 0;
		x->dup_acked = true;
		x->in_window = 0;
		l->dup_acks++;
		return send_ack(x, x->last_block);
	}
	if (i == 0 && l->out_fd >= 0 && n > 0 &&
	    pwrite(l->out_fd, p + TFTP_HEADER_LEN, n,
		   (off_t)(x->blocks * x->blksize)) != (ssize_t)n) {
		fail(l, i, "cannot write --out file");
		return -EIO;
	}
	x->last_block = block;
	x->blocks++;
	x->bytes += n;
	x->dup_acked = false;
	x->progress = now;
	x->retries = 0;
	if (n < x->blksize) {
		x->finished = now;
		rc = send_ack(x, block);
		x->state = XS_DONE;
		close(x->fd);
		x->fd = -1;
		return rc;
	}
	if (++x->in_window >= x->windowsize) {
		x->in_window = 0;
		return send_ack(x, block);
	}
	return 0;
}

/**
 * on_packet() - handle what arrived on transfer @i: learn the server's
 * TID from the first packet, then OACK, DATA or ERROR.
 */
static void on_packet(struct load *l, uint32_t i, double now)
{
	static uint8_t buf[PKT_MAX + 1];
	struct xfer *x = &l->x[i];

	while (x->state == XS_REQUESTED || x->state == XS_RUNNING) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t len = recvfrom(x->fd, buf, sizeof(buf), 0,
				       (struct sockaddr *)&from, &flen);
		uint16_t op;

		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			fail(l, i, strerror(errno));
			return;
		}
		if (len < TFTP_HEADER_LEN)
			continue;	/* not TFTP: ignore */
		op = (uint16_t)(buf[0] << 8 | buf[1]);
		if (x->state == XS_REQUESTED) {
			if (from.sin_addr.s_addr != l->server.sin_addr.s_addr)
				continue;
			if (connect(x->fd, (struct sockaddr *)&from, flen) < 0) {
				fail(l, i, strerror(errno));
				return;
			}
			x->state = XS_RUNNING;
			x->progress = now;
			x->retries = 0;
			x->blksize = TFTP_DEFAULT_BLKSIZE;	/* if DATA comes first */
			x->windowsize = TFTP_WINDOWSIZE_MIN;
			if (op == TFTP_OP_OACK) {
				if (parse_oack(l, x, buf, (size_t)len) < 0) {
					fail(l, i, "malformed OACK");
					return;
				}
				if (send_ack(x, 0) < 0) {
					fail(l, i, strerror(errno));
					return;
				}
				continue;
			}
		}
		if (op == TFTP_OP_ERROR) {
			char msg[TFTP_MAX_ERROR_MSG_LEN + 32];

			buf[len] = 0;
			snprintf(msg, sizeof(msg), "ERROR %u from the server: %.*s",
				 (unsigned)(buf[2] << 8 | buf[3]), TFTP_MAX_ERROR_MSG_LEN,
				 (const char *)buf + 4);
			fail(l, i, msg);
			return;
		}
		if (op == TFTP_OP_OACK) {
			/* A repeated OACK: our ACK 0 was lost. */
			if (x->blocks == 0 && send_ack(x, 0) < 0) {
				fail(l, i, strerror(errno));
				return;
			}
			continue;
		}
		if (op != TFTP_OP_DATA)
			continue;
		if (on_data(l, i, buf, (size_t)len, now) < 0) {
			if (x->state != XS_FAILED)
				fail(l, i, strerror(errno));
			return;
		}
	}
}

/** check_timers() - resend for transfers without progress; give up after --retries. */
static void check_timers(struct load *l, double now)
{
	for (uint32_t i = 0; i < l->clients; i++) {
		struct xfer *x = &l->x[i];
		int rc = 0;

		if (x->state != XS_REQUESTED && x->state != XS_RUNNING)
			continue;
		if (now - x->progress < (double)l->timeout_s * (1u << (x->retries < 3 ? x->retries : 3)))
			continue;
		if (x->retries >= l->retries) {
			fail(l, i, "timed out");
			continue;
		}
		x->retries++;
		x->progress = now;
		x->dup_acked = false;
		x->in_window = 0;
		l->resent++;
		if (x->state == XS_REQUESTED) {
			if (sendto(x->fd, l->req, l->req_len, 0, (struct sockaddr *)&l->server,
				   sizeof(l->server)) < 0)
				rc = -errno;
		} else {
			rc = send_ack(x, x->last_block);
		}
		if (rc < 0)
			fail(l, i, strerror(-rc));
	}
}

/**
 * run() - start every transfer and serve them until each is done or
 * failed.  Return 0, or -errno when the load could not be set up.
 */
static int run(struct load *l, double *t_start)
{
	struct epoll_event ev[EVENTS_MAX];
	uint32_t active = l->clients;
	int ep = epoll_create1(EPOLL_CLOEXEC), rc = 0;
	double last_check;

	if (ep < 0)
		return -errno;
	for (uint32_t i = 0; i < l->clients; i++) {
		struct xfer *x = &l->x[i];
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };
		int bufsz = RCVBUF_BYTES;

		x->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (x->fd < 0) {
			rc = -errno;
			goto err;
		}
		(void)setsockopt(x->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
		if (epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &e) < 0) {
			rc = -errno;
			goto err;
		}
	}
	*t_start = now_s();
	for (uint32_t i = 0; i < l->clients; i++) {
		struct xfer *x = &l->x[i];

		x->progress = *t_start;
		if (sendto(x->fd, l->req, l->req_len, 0, (struct sockaddr *)&l->server,
			   sizeof(l->server)) < 0) {
			rc = -errno;
			goto err;
		}
	}
	last_check = *t_start;
	while (active > 0) {
		int n = epoll_wait(ep, ev, EVENTS_MAX, POLL_MS);
		double now = now_s();

		if (n < 0 && errno != EINTR) {
			rc = -errno;
			goto err;
		}
		for (int k = 0; k < n; k++) {
			uint32_t i = ev[k].data.u32;

			if (l->x[i].fd >= 0)
				on_packet(l, i, now);
		}
		if (now - last_check >= (double)POLL_MS / 1000.0) {
			check_timers(l, now);
			last_check = now;
		}
		active = 0;
		for (uint32_t i = 0; i < l->clients; i++)
			if (l->x[i].state == XS_REQUESTED || l->x[i].state == XS_RUNNING)
				active++;
	}
err:
	close(ep);
	return rc;
}

/**
 * parse_args() - fill @l from the command line.
 * Return 0, or EXIT_USAGE after printing what was wrong.
 */
static int parse_args(int argc, char **argv, struct load *l)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "file", required_argument, NULL, 'f' },
		{ "clients", required_argument, NULL, 'n' },
		{ "blksize", required_argument, NULL, 'b' },
		{ "windowsize", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = NULL;
	uint32_t port = 0;
	int ch;

	l->clients = DEFAULT_CLIENTS;
	l->blksize = TFTP_DEFAULT_BLKSIZE;
	l->windowsize = TFTP_WINDOWSIZE_MIN;
	l->timeout_s = DEFAULT_TIMEOUT_S;
	l->retries = DEFAULT_RETRIES;
	l->out_fd = -1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc = 0;

		switch (ch) {
		case 'H': host = optarg; break;
		case 'p': rc = parse_u32(optarg, 1, UINT16_MAX, &port); break;
		case 'f': l->file = optarg; break;
		case 'n': rc = parse_u32(optarg, 1, MAX_CLIENTS, &l->clients); break;
		case 'b':
			rc = parse_u32(optarg, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, &l->blksize);
			break;
		case 'w':
			rc = parse_u32(optarg, TFTP_WINDOWSIZE_MIN, TFTP_WINDOWSIZE_MAX,
				       &l->windowsize);
			break;
		case 's': rc = parse_u64(optarg, 0, UINT64_MAX, &l->size); break;
		case 'o': l->out = optarg; break;
		case 't': rc = parse_u32(optarg, 1, TFTP_TIMEOUT_MAX, &l->timeout_s); break;
		case 'r': rc = parse_u32(optarg, 0, MAX_RETRIES, &l->retries); break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		if (rc < 0) {
			const char *name = "?";

			for (const struct option *lo = longopts; lo->name; lo++)
				if (lo->val == ch)
					name = lo->name;
			fprintf(stderr, "tftp-load: invalid value '%s' for --%s\n", optarg, name);
			return EXIT_USAGE;
		}
	}
	if (optind != argc || !host || !port || !l->file) {
		usage(stderr);
		return EXIT_USAGE;
	}
	l->server.sin_family = AF_INET;
	l->server.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &l->server.sin_addr) != 1) {
		fprintf(stderr, "tftp-load: --host '%s' is not an IPv4 address\n", host);
		return EXIT_USAGE;
	}
	if (build_request(l) < 0) {
		fprintf(stderr, "tftp-load: --file '%s' is too long for a request\n", l->file);
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct load l = { 0 };
	uint32_t ok = 0, failed = 0;
	uint64_t bytes = 0;
	double t_start = 0, t_end = 0, fastest = 0, slowest = 0, secs;
	int rc;

	rc = parse_args(argc, argv, &l);
	if (rc)
		return rc;
	l.x = calloc(l.clients, sizeof(*l.x));
	if (!l.x) {
		fprintf(stderr, "tftp-load: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < l.clients; i++)
		l.x[i].fd = -1;
	if (l.out) {
		l.out_fd = open(l.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (l.out_fd < 0) {
			fprintf(stderr, "tftp-load: cannot create %s: %s\n", l.out,
				strerror(errno));
			return 1;
		}
	}
	rc = run(&l, &t_start);
	if (rc < 0) {
		fprintf(stderr, "tftp-load: %s\n", strerror(-rc));
		return 1;
	}
	for (uint32_t i = 0; i < l.clients; i++) {
		struct xfer *x = &l.x[i];
		double t = x->finished - t_start;

		if (x->fd >= 0)
			close(x->fd);
		if (x->state != XS_DONE) {
			failed++;
			continue;
		}
		if (l.size && x->bytes != l.size) {
			fprintf(stderr, "tftp-load: transfer %" PRIu32 " got %" PRIu64
				" bytes, not %" PRIu64 "\n", i, x->bytes, l.size);
			failed++;
			continue;
		}
		ok++;
		bytes += x->bytes;
		if (x->finished > t_end)
			t_end = x->finished;
		if (ok == 1 || t < fastest)
			fastest = t;
		if (t > slowest)
			slowest = t;
	}
	if (l.out_fd >= 0 && close(l.out_fd) < 0) {
		fprintf(stderr, "tftp-load: writing %s: %s\n", l.out, strerror(errno));
		failed++;
	}
	secs = ok ? t_end - t_start : 0;
	printf("clients=%" PRIu32 " ok=%" PRIu32 " failed=%" PRIu32 " bytes=%" PRIu64
	       " seconds=%.3f mib_per_s=%.1f blksize=%" PRIu32 " windowsize=%" PRIu32
	       " fastest=%.3f slowest=%.3f resent=%" PRIu64 " dup_acks=%" PRIu64 "\n",
	       l.clients, ok, failed, bytes, secs, secs > 0 ? (double)bytes / MIB / secs : 0.0,
	       l.x[0].blksize, l.x[0].windowsize, fastest, slowest, l.resent, l.dup_acks);
	free(l.x);
	return failed ? 1 : 0;
}
