/* Unit tests for common/log.c. */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "log.h"
#include "testutil.h"
#include "util.h"

/** Where the tests capture log output. */
static FILE *capture;

/** capture_start() - send log output to a fresh temporary file. */
static void capture_start(void)
{
	if (capture)
		fclose(capture);
	capture = tmpfile();
	assert_non_null(capture);
	log_set_stream(capture);
}

/** assert_captured() - the captured output equals @want. */
static void assert_captured(const char *want)
{
	char *got = tu_stream_text(capture);

	assert_string_equal(got, want);
	free(got);
}

static int setup(void **state)
{
	log_init("lanroot", LOG_TARGET_STDERR, LOG_LVL_INFO);
	capture_start();
	return 0;
}

static int teardown(void **state)
{
	log_set_stream(NULL);
	log_init("lanroot", LOG_TARGET_STDERR, LOG_LVL_INFO);
	if (capture)
		fclose(capture);
	capture = NULL;
	return 0;
}

/** parse_json() - parse one JSON object line; fails the test if invalid. */
static json_t *parse_json(const char *text)
{
	json_error_t error;
	json_t *obj = json_loads(text, 0, &error);

	if (!obj)
		fail_msg("not JSON (%s): %s", error.text, text);
	assert_true(json_is_object(obj));
	return obj;
}

/** assert_ts() - "ts" is an RFC 3339 UTC time. */
static void assert_ts(json_t *obj)
{
	const char *ts = json_string_value(json_object_get(obj, "ts"));

	assert_non_null(ts);
	assert_int_equal(strlen(ts), 20);
	assert_int_equal(ts[10], 'T');
	assert_int_equal(ts[19], 'Z');
}

static void test_defaults(void **state)
{
	/* Before log_init(): stderr target, level info, name "lanroot". */
	capture_start();
	log_info("before init");
	log_debug("dropped");
	log_event(EV_INIT, "{s:s}", "state_dir", "/var/lib/lanroot");
	assert_captured("lanroot: before init\n"
			"event=lanroot.init state_dir=/var/lib/lanroot\n");
}

static void test_parse_names(void **state)
{
	enum log_target t = LOG_TARGET_STDERR;
	enum log_level l = LOG_LVL_ERR;

	assert_int_equal(log_parse_target("stderr", &t), 0);
	assert_int_equal(t, LOG_TARGET_STDERR);
	assert_int_equal(log_parse_target("syslog", &t), 0);
	assert_int_equal(t, LOG_TARGET_SYSLOG);
	assert_int_equal(log_parse_target("json", &t), 0);
	assert_int_equal(t, LOG_TARGET_JSON);
	assert_int_equal(log_parse_target("JSON", &t), -EINVAL);
	assert_int_equal(log_parse_target("", &t), -EINVAL);
	assert_int_equal(log_parse_target(NULL, &t), -EINVAL);
	assert_int_equal(t, LOG_TARGET_JSON);

	assert_int_equal(log_parse_level("error", &l), 0);
	assert_int_equal(l, LOG_LVL_ERR);
	assert_int_equal(log_parse_level("warn", &l), 0);
	assert_int_equal(l, LOG_LVL_WARN);
	assert_int_equal(log_parse_level("info", &l), 0);
	assert_int_equal(l, LOG_LVL_INFO);
	assert_int_equal(log_parse_level("debug", &l), 0);
	assert_int_equal(l, LOG_LVL_DEBUG);
	assert_int_equal(log_parse_level("warning", &l), -EINVAL);
	assert_int_equal(log_parse_level("err", &l), -EINVAL);
	assert_int_equal(l, LOG_LVL_DEBUG);
}

static void test_stderr_lines(void **state)
{
	log_msg(LOG_LVL_INFO, "hello %s %d", "world", 42);
	log_debug("not shown at info");
	log_err("cannot open registry: %s", strerror(ENOENT));
	log_warn("trailing newline stripped\n");
	assert_captured("lanroot: hello world 42\n"
			"lanroot: cannot open registry: No such file or directory\n"
			"lanroot: trailing newline stripped\n");
}

static void test_levels(void **state)
{
	log_init("lanroot-blockd", LOG_TARGET_STDERR, LOG_LVL_WARN);
	log_info("dropped");
	log_debug("dropped");
	log_warn("careful");
	log_err("broken");
	log_event(EV_DAEMON_START, NULL);	/* events are info: dropped */
	assert_captured("lanroot-blockd: careful\nlanroot-blockd: broken\n");

	capture_start();
	log_init("lanroot-blockd", LOG_TARGET_STDERR, LOG_LVL_ERR);
	log_warn("dropped");
	log_err("shown");
	assert_captured("lanroot-blockd: shown\n");

	capture_start();
	log_init(NULL, LOG_TARGET_STDERR, LOG_LVL_DEBUG);	/* keeps the name */
	log_debug("details");
	/* An out-of-range level is treated as debug, not as an index. */
	log_msg((enum log_level)99, "odd level");
	assert_captured("lanroot-blockd: details\nlanroot-blockd: odd level\n");
}

static void test_stderr_events(void **state)
{
	log_event(EV_IMAGE_IMPORT, "{s:s, s:i, s:b, s:n}", "image", "lab", "version", 3,
		  "ok", 1, "parent");
	log_event(EV_CLIENT_ADD, "{s:s, s:s, s:s}", "mac", "52:54:00:12:34:56",
		  "note", "two words", "empty", "");
	log_event(EV_DAEMON_STOP, NULL);
	log_event(EV_IMAGE_GC, "{s:s, s:f}", "quote", "a\"b=c", "ratio", 0.5);
	assert_captured("event=image.import image=lab version=3 ok=true parent=null\n"
			"event=client.add mac=52:54:00:12:34:56 note=\"two words\" empty=\"\"\n"
			"event=daemon.stop\n"
			"event=image.gc quote=\"a\\\"b=c\" ratio=0.5\n");
}

static void test_json_target(void **state)
{
	char *text, *nl;
	json_t *obj;

	log_init("lanroot-bootd", LOG_TARGET_JSON, LOG_LVL_INFO);
	log_warn("disk \"full\"");
	text = tu_stream_text(capture);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	assert_string_equal(nl, "\n");	/* exactly one line */
	obj = parse_json(text);
	assert_ts(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "prog")), "lanroot-bootd");
	assert_string_equal(json_string_value(json_object_get(obj, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(obj, "msg")), "disk \"full\"");
	json_decref(obj);
	free(text);

	capture_start();
	log_event(EV_CLIENT_ADD, "{s:s, s:I}", "mac", "52:54:00:12:34:56", "bytes",
		  (json_int_t)1 << 40);
	text = tu_stream_text(capture);
	assert_non_null(strchr(text, '\n'));
	assert_null(strchr(text, ' '));	/* compact */
	obj = parse_json(text);
	assert_ts(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "event")), "client.add");
	assert_string_equal(json_string_value(json_object_get(obj, "prog")), "lanroot-bootd");
	assert_string_equal(json_string_value(json_object_get(obj, "mac")), "52:54:00:12:34:56");
	assert_true(json_integer_value(json_object_get(obj, "bytes")) == (json_int_t)1 << 40);
	json_decref(obj);
	free(text);
}

static void test_event_format(void **state)
{
	char *line;
	json_t *obj;

	log_init("lanroot", LOG_TARGET_STDERR, LOG_LVL_INFO);
	line = log_event_format(EV_IMAGE_PUBLISH, "{s:s, s:i, s:o}", "image", "lab",
				"version", 7, "extra", json_pack("[i,i]", 1, 2));
	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	obj = parse_json(line);
	assert_int_equal(json_object_size(obj), 6);
	assert_ts(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "prog")), "lanroot");
	assert_string_equal(json_string_value(json_object_get(obj, "event")), "image.publish");
	assert_string_equal(json_string_value(json_object_get(obj, "image")), "lab");
	assert_int_equal(json_integer_value(json_object_get(obj, "version")), 7);
	assert_int_equal(json_array_size(json_object_get(obj, "extra")), 2);
	/* "ts", "prog", "event" come first, in that order */
	assert_true(str_has_prefix(line, "{\"ts\":"));
	assert_non_null(strstr(line, ",\"prog\":\"lanroot\",\"event\":\"image.publish\","));
	json_decref(obj);
	free(line);

	/* No fields. */
	line = log_event_format(EV_DAEMON_START, NULL);
	obj = parse_json(line);
	assert_int_equal(json_object_size(obj), 3);
	json_decref(obj);
	free(line);

	/* Reserved keys cannot be overwritten by fields. */
	line = log_event_format(EV_CLIENT_SET, "{s:s, s:s, s:s}", "event", "forged", "prog",
				"evil", "name", "pc1");
	obj = parse_json(line);
	assert_string_equal(json_string_value(json_object_get(obj, "event")), "client.set");
	assert_string_equal(json_string_value(json_object_get(obj, "prog")), "lanroot");
	assert_string_equal(json_string_value(json_object_get(obj, "name")), "pc1");
	json_decref(obj);
	free(line);

	/* Nothing was written by log_event_format(). */
	assert_captured("");
}

static void test_bad_event_format(void **state)
{
	char *line, *text;
	json_t *obj;

	/* A broken format: the error is logged, the event still comes out. */
	line = log_event_format(EV_IMAGE_DELETE, "{s:s", "image", "lab");
	assert_non_null(line);
	obj = parse_json(line);
	assert_string_equal(json_string_value(json_object_get(obj, "event")), "image.delete");
	assert_int_equal(json_object_size(obj), 3);
	json_decref(obj);
	free(line);
	text = tu_stream_text(capture);
	assert_true(str_has_prefix(text, "lanroot: event image.delete: bad field format: "));
	free(text);

	/* A NULL string argument is a format error too, not a crash. */
	capture_start();
	log_event(EV_IMAGE_DELETE, "{s:s}", "image", (const char *)NULL);
	text = tu_stream_text(capture);
	assert_non_null(strstr(text, "bad field format"));
	assert_non_null(strstr(text, "event=image.delete\n"));
	free(text);

	/* Fields that are not an object. */
	capture_start();
	line = log_event_format(EV_IMAGE_GC, "[i]", 1);
	obj = parse_json(line);
	assert_int_equal(json_object_size(obj), 3);
	json_decref(obj);
	free(line);
	assert_captured("lanroot: event image.gc: fields are not a JSON object\n");
}

static void test_syslog_target(void **state)
{
	/* Nothing to capture; it must simply work and leave stderr alone. */
	log_init("lanroot-test", LOG_TARGET_SYSLOG, LOG_LVL_DEBUG);
	log_debug("test-log: syslog target debug line");
	log_event(EV_DAEMON_RELOAD, "{s:s}", "why", "unit test");
	log_init("lanroot", LOG_TARGET_STDERR, LOG_LVL_INFO);
	assert_captured("");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_defaults, teardown),	/* first */
		cmocka_unit_test_setup_teardown(test_parse_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_event_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syslog_target, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
