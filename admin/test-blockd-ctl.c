/* Unit tests for admin/blockd-ctl.c: the admin tool's calls on
 * lanroot-blockd's control socket, against a fake blockd (common/ctl's
 * server with a scripted handler, turned in a thread) on a real Unix
 * socket in a scratch directory.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"
#include "ctl.h"
#include "evloop.h"
#include "util.h"
#include "testutil.h"

/* Event loop turn while the server thread runs. */
#define TURN_MS 20
/* The client every test asks about, as the registry writes its MAC. */
#define PC01_MAC "52:54:00:12:34:56"
/* admin_blockd_wait_gone()'s deadline in the test that runs into it. */
#define SHORT_TIMEOUT_MS 300
/* What the fake blockd says when told to fail. */
#define FAKE_ERROR "boom"

/* How the fake blockd answers "sessions" and "versions". */
enum fake_mode {
	FAKE_GOOD,		/* as lanroot-blockd(8) says */
	FAKE_NO_ARRAY,		/* {"ok":true} and nothing else */
	FAKE_NOT_OBJECT,	/* an element that is a number */
	FAKE_NO_MAC,		/* a session without "mac" */
	FAKE_NEGATIVE,		/* a version with "sessions":-1 */
	FAKE_ERROR_REPLY,	/* {"ok":false,"error":FAKE_ERROR} */
};

/* A fake lanroot-blockd and an admin tool state pointing at it. */
struct fixture {
	char *dir;			/* scratch directory */
	char *path;			/* the control socket in it */
	struct admin a;			/* a.cfg.nbd_control = @path */
	struct evloop *loop;		/* the server's loop */
	struct ctl_server *srv;		/* the server, or NULL */
	pthread_t thread;		/* turns @loop while running */
	bool running;			/* @thread was started */
	atomic_bool stop;		/* asks @thread to end */
	enum fake_mode mode;		/* set before the server starts */
	atomic_int sessions_calls;	/* "sessions" requests answered */
	atomic_bool disconnected;	/* "disconnect" seen */
	int closing_polls;		/* "sessions" answers that still list pc01
					 * after the disconnect; -1: forever */
	json_t *last_disconnect;	/* the last "disconnect" request */
	json_t *last_release;		/* the last "release" request */
};

/**
 * fake_sessions() - two sessions of pc01 (MAC in capitals, which must
 * still match), one of pc02, one IMAGE@VERSION session without a client.
 * pc01's go away once disconnected and closing_polls answers have passed.
 */
static json_t *fake_sessions(struct fixture *f)
{
	json_t *arr = json_array();
	bool pc01 = true;
	int i;

	if (atomic_load(&f->disconnected)) {
		if (f->closing_polls == 0)
			pc01 = false;
		else if (f->closing_polls > 0)
			f->closing_polls--;
	}
	for (i = 0; pc01 && i < 2; i++)
		json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:i, s:s}",
			"id", i + 1, "client", "pc01", "mac", "52:54:00:12:34:56",
			"export", "52-54-00-12-34-56/lab/3/persistent", "image", "lab",
			"version", 3, "address", i ? "127.0.0.1:41236" : "127.0.0.1:41234"));
	json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:i}", "id", 3,
		"client", "pc02", "mac", "52:54:00:ab:cd:ef", "image", "lab", "version", 2));
	json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:i}", "id", 4,
		"client", "", "mac", "", "image", "lab", "version", 1));
	return arr;
}

/**
 * handler() - the fake blockd: ping, sessions, versions, disconnect,
 * release, answered as f->mode says.
 */
static json_t *handler(const char *cmd, json_t *req, void *arg)
{
	struct fixture *f = arg;
	json_t *r = ctl_reply_ok(), *arr;

	if (!strcmp(cmd, "ping")) {
		json_object_set_new(r, "pid", json_integer(getpid()));
		return r;
	}
	if (!strcmp(cmd, "disconnect")) {
		json_decref(f->last_disconnect);
		f->last_disconnect = json_incref(req);
		atomic_store(&f->disconnected, true);
		json_object_set_new(r, "disconnected", json_integer(2));
		return r;
	}
	if (!strcmp(cmd, "release")) {
		json_decref(f->last_release);
		f->last_release = json_incref(req);
		return r;
	}
	if (strcmp(cmd, "sessions") != 0 && strcmp(cmd, "versions") != 0) {
		json_decref(r);
		return ctl_reply_error("unknown command \"%s\"", cmd);
	}
	if (f->mode == FAKE_ERROR_REPLY) {
		json_decref(r);
		return ctl_reply_error(FAKE_ERROR);
	}
	if (f->mode == FAKE_NO_ARRAY)
		return r;
	if (!strcmp(cmd, "sessions")) {
		atomic_fetch_add(&f->sessions_calls, 1);
		arr = fake_sessions(f);
		if (f->mode == FAKE_NO_MAC)
			json_object_del(json_array_get(arr, 1), "mac");
	} else {
		arr = json_pack("[{s:s, s:i, s:i}, {s:s, s:i, s:i}, {s:s, s:i, s:i}]",
				"image", "lab", "version", 3, "sessions", 2,
				"image", "lab", "version", 2, "sessions", 1,
				"image", "lab", "version", 3, "sessions", 1);
		if (f->mode == FAKE_NEGATIVE)
			json_object_set_new(json_array_get(arr, 1), "sessions", json_integer(-1));
	}
	if (f->mode == FAKE_NOT_OBJECT)
		json_array_append_new(arr, json_integer(7));
	json_object_set_new(r, cmd, arr);
	return r;
}

static void *server_thread(void *arg)
{
	struct fixture *f = arg;

	while (!atomic_load(&f->stop))
		evloop_run_once(f->loop, TURN_MS);
	return NULL;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->dir = tu_scratch_make();
	f->path = tu_path(f->dir, "blockd.sock");
	f->a.cfg.nbd_control = f->path;
	f->loop = evloop_new();
	assert_non_null(f->loop);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->running) {
		atomic_store(&f->stop, true);
		assert_int_equal(pthread_join(f->thread, NULL), 0);
	}
	ctl_server_close(f->srv);
	evloop_free(f->loop);
	json_decref(f->last_disconnect);
	json_decref(f->last_release);
	free(f->path);
	tu_scratch_remove(f->dir);
	free(f);
	return 0;
}

/** server_start() - the fake blockd in @mode, answering from a thread. */
static void server_start(struct fixture *f, enum fake_mode mode)
{
	f->mode = mode;
	assert_int_equal(ctl_server_open(f->loop, f->path, 0, handler, f, &f->srv), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, server_thread, f), 0);
	f->running = true;
}

/** bound_socket() - a Unix socket bound to @path (not listening). */
static int bound_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(str_copy(sa.sun_path, sizeof(sa.sun_path), path), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* ---- whether blockd runs ----------------------------------------------------- */

/* No control socket configured: not running, and the message says why. */
static void test_not_configured(void **state)
{
	static char empty[] = "";
	struct fixture *f = *state;
	json_t *arr = (json_t *)1;
	char err[256] = "";

	f->a.cfg.nbd_control = NULL;
	assert_int_equal(admin_blockd_sessions(&f->a, &arr, err, sizeof(err)), -ENOENT);
	assert_null(arr);
	assert_non_null(strstr(err, "[nbd] control"));
	assert_int_equal(admin_blockd_probe(&f->a), BLOCKD_ABSENT);
	f->a.cfg.nbd_control = empty;
	assert_int_equal(admin_blockd_probe(&f->a), BLOCKD_ABSENT);
}

/* No socket file: not running. */
static void test_absent(void **state)
{
	struct fixture *f = *state;
	json_t *arr = NULL;
	char err[256] = "";
	int rc;

	rc = admin_blockd_versions(&f->a, &arr, err, sizeof(err));
	assert_int_equal(rc, -ENOENT);
	assert_int_equal(admin_blockd_state_of(rc), BLOCKD_ABSENT);
	assert_non_null(strstr(err, "not running"));
	assert_string_equal(admin_blockd_state_name(BLOCKD_ABSENT), "not running");
	assert_int_equal(admin_blockd_probe(&f->a), BLOCKD_ABSENT);
}

/* A socket file nobody listens on: stale. */
static void test_stale(void **state)
{
	struct fixture *f = *state;
	json_t *arr = NULL;
	char err[256] = "";
	int rc;

	close(bound_socket(f->path));
	rc = admin_blockd_sessions(&f->a, &arr, err, sizeof(err));
	assert_int_equal(rc, -ECONNREFUSED);
	assert_int_equal(admin_blockd_state_of(rc), BLOCKD_STALE);
	assert_non_null(strstr(err, "stale"));
	assert_string_equal(admin_blockd_state_name(BLOCKD_STALE), "not answering");
	assert_int_equal(admin_blockd_probe(&f->a), BLOCKD_STALE);
}

/* Running: ping gives the reply. */
static void test_ping(void **state)
{
	struct fixture *f = *state;
	json_t *reply = NULL;
	char err[256] = "";

	server_start(f, FAKE_GOOD);
	assert_int_equal(admin_blockd_ping(&f->a, &reply, err, sizeof(err)), BLOCKD_RUNNING);
	assert_non_null(reply);
	assert_int_equal(json_integer_value(json_object_get(reply, "pid")), getpid());
	json_decref(reply);
	assert_string_equal(admin_blockd_state_name(BLOCKD_RUNNING), "running");
}

/* Something accepts but never answers: running, no reply, a message. */
static void test_ping_no_reply(void **state)
{
	struct fixture *f = *state;
	json_t *reply = (json_t *)1;
	char err[256] = "";
	int fd = bound_socket(f->path);

	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(admin_blockd_ping(&f->a, &reply, err, sizeof(err)), BLOCKD_RUNNING);
	assert_null(reply);
	assert_non_null(strstr(err, "no reply"));
	close(fd);
}

/* ---- sessions and versions --------------------------------------------------- */

/* The sessions as sent; a client's found by its MAC in any case. */
static void test_sessions(void **state)
{
	struct fixture *f = *state;
	json_t *all = NULL, *mine;
	char err[256] = "";

	server_start(f, FAKE_GOOD);
	assert_int_equal(admin_blockd_sessions(&f->a, &all, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(all), 4);
	mine = admin_blockd_client_sessions(all, PC01_MAC);
	assert_int_equal(json_array_size(mine), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(mine, 1),
							      "address")), "127.0.0.1:41236");
	json_decref(mine);
	mine = admin_blockd_client_sessions(all, "52:54:00:AB:CD:EF");
	assert_int_equal(json_array_size(mine), 1);
	json_decref(mine);
	mine = admin_blockd_client_sessions(all, "52:54:00:00:00:01");
	assert_int_equal(json_array_size(mine), 0);
	json_decref(mine);
	json_decref(all);
}

/* Versions in use: counts summed per version; none for others, or no list. */
static void test_versions(void **state)
{
	struct fixture *f = *state;
	json_t *v = NULL;
	char err[256] = "";

	server_start(f, FAKE_GOOD);
	assert_int_equal(admin_blockd_versions(&f->a, &v, err, sizeof(err)), 0);
	assert_int_equal(admin_blockd_version_sessions(v, "lab", 3), 3);
	assert_int_equal(admin_blockd_version_sessions(v, "lab", 2), 1);
	assert_int_equal(admin_blockd_version_sessions(v, "lab", 4), 0);
	assert_int_equal(admin_blockd_version_sessions(v, "other", 3), 0);
	assert_int_equal(admin_blockd_version_sessions(NULL, "lab", 3), 0);
	json_decref(v);
}

/**
 * expect_bad() - "sessions" and "versions" of a blockd in @mode fail with
 * @rc, and the message of "sessions" holds @what.
 */
static void expect_bad(struct fixture *f, enum fake_mode mode, int rc, const char *what)
{
	json_t *arr = (json_t *)1;
	char err[256] = "";

	server_start(f, mode);
	assert_int_equal(admin_blockd_sessions(&f->a, &arr, err, sizeof(err)), rc);
	assert_null(arr);
	assert_non_null(strstr(err, what));
	if (mode == FAKE_NO_MAC)
		return;		/* only sessions have a MAC */
	arr = (json_t *)1;
	assert_int_equal(admin_blockd_versions(&f->a, &arr, err, sizeof(err)), rc);
	assert_null(arr);
	assert_int_equal(admin_blockd_state_of(rc), BLOCKD_RUNNING);
}

static void test_no_array(void **state)
{
	expect_bad(*state, FAKE_NO_ARRAY, -EPROTO, "has no \"sessions\" array");
}

static void test_not_object(void **state)
{
	expect_bad(*state, FAKE_NOT_OBJECT, -EPROTO, "element 4 is not an object");
}

static void test_no_mac(void **state)
{
	expect_bad(*state, FAKE_NO_MAC, -EPROTO, "element 1 has no string \"mac\"");
}

static void test_error_reply(void **state)
{
	expect_bad(*state, FAKE_ERROR_REPLY, -EREMOTEIO, "lanroot-blockd says: " FAKE_ERROR);
}

/* A negative session count is not a count. */
static void test_negative(void **state)
{
	struct fixture *f = *state;
	json_t *arr = (json_t *)1;
	char err[256] = "";

	server_start(f, FAKE_NEGATIVE);
	assert_int_equal(admin_blockd_versions(&f->a, &arr, err, sizeof(err)), -EPROTO);
	assert_null(arr);
	assert_non_null(strstr(err, "element 1 has no count \"sessions\""));
}

/* ---- disconnect, wait, release ------------------------------------------------ */

/* The requests carry the client and the hold; the count comes back. */
static void test_disconnect_release(void **state)
{
	struct fixture *f = *state;
	long long closed = -1;
	char err[256] = "";

	server_start(f, FAKE_GOOD);
	assert_int_equal(admin_blockd_disconnect(&f->a, PC01_MAC, 30, &closed, err, sizeof(err)),
			 0);
	assert_int_equal(closed, 2);
	assert_string_equal(json_string_value(json_object_get(f->last_disconnect, "client")),
			    PC01_MAC);
	assert_int_equal(json_integer_value(json_object_get(f->last_disconnect, "hold")), 30);
	assert_int_equal(admin_blockd_release(&f->a, PC01_MAC, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(f->last_release, "client")),
			    PC01_MAC);
	assert_null(json_object_get(f->last_release, "hold"));
}

/* Without blockd nothing is disconnected, and the caller learns so. */
static void test_disconnect_absent(void **state)
{
	struct fixture *f = *state;
	long long closed = -1;
	char err[256] = "";

	assert_int_equal(admin_blockd_disconnect(&f->a, PC01_MAC, 30, &closed, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(closed, 0);
	assert_int_equal(admin_blockd_release(&f->a, PC01_MAC, err, sizeof(err)), -ENOENT);
}

/* Closing sessions are waited for until they are gone. */
static void test_wait_gone(void **state)
{
	struct fixture *f = *state;
	size_t left = 99;
	char err[256] = "";

	f->closing_polls = 3;
	server_start(f, FAKE_GOOD);
	assert_int_equal(admin_blockd_disconnect(&f->a, PC01_MAC, 30, NULL, err, sizeof(err)), 0);
	assert_int_equal(admin_blockd_wait_gone(&f->a, PC01_MAC, 10000, &left, err, sizeof(err)),
			 0);
	assert_int_equal(left, 0);
	assert_int_equal(atomic_load(&f->sessions_calls), 4);
}

/* Sessions that never close: a timeout, with how many are left. */
static void test_wait_timeout(void **state)
{
	struct fixture *f = *state;
	long long start = monotonic_ns();
	size_t left = 0;
	char err[256] = "";

	f->closing_polls = -1;
	server_start(f, FAKE_GOOD);
	assert_int_equal(admin_blockd_disconnect(&f->a, PC01_MAC, 30, NULL, err, sizeof(err)), 0);
	assert_int_equal(admin_blockd_wait_gone(&f->a, PC01_MAC, SHORT_TIMEOUT_MS, &left, err,
						sizeof(err)), -ETIMEDOUT);
	assert_int_equal(left, 2);
	assert_non_null(strstr(err, "2 sessions are still open"));
	assert_true(monotonic_ns() - start >= SHORT_TIMEOUT_MS * 1000000LL);
}

/* A blockd that stops answering properly while waited for: its error. */
static void test_wait_bad_reply(void **state)
{
	struct fixture *f = *state;
	size_t left = 0;
	char err[256] = "";

	server_start(f, FAKE_ERROR_REPLY);
	assert_int_equal(admin_blockd_wait_gone(&f->a, PC01_MAC, 1000, &left, err, sizeof(err)),
			 -EREMOTEIO);
	assert_non_null(strstr(err, FAKE_ERROR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_not_configured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_no_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_array, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_mac, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_negative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_bad_reply, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
