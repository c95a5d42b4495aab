/* Logging for operators: human lines on stderr, syslog, or JSON lines.
 *
 * Every line is built in memory first and written with one call, so lines
 * from several threads never interleave.  Events (log_event) are logged at
 * the info level: "log_level = warn" hides them.
 */
#include <config.h>

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "util.h"

/* Event lines: compact, and reals (durations, rates) to 6 significant
 * digits rather than jansson's 17 ("seconds=0.00517826"). */
#define LOG_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(6))

/** Longest program name kept; openlog() keeps a pointer to our copy. */
#define LOG_IDENT_MAX 64
/** Default program name before log_init(). */
#define LOG_IDENT_DEFAULT "lanroot"

/** The logging configuration shared by the whole process. */
static struct {
	char ident[LOG_IDENT_MAX];	/* program name in every line */
	enum log_target target;		/* where lines go */
	enum log_level level;		/* lines above it are dropped */
	FILE *stream;			/* stderr-target stream, NULL = stderr */
	bool syslog_open;		/* openlog() has been called */
} log_state = {
	.ident = LOG_IDENT_DEFAULT,
	.target = LOG_TARGET_STDERR,
	.level = LOG_LVL_INFO,
};

/** Names of the levels, indexed by enum log_level. */
static const char *const level_names[] = {
	[LOG_LVL_ERR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

/** syslog(3) priorities, indexed by enum log_level. */
static const int level_priority[] = {
	[LOG_LVL_ERR] = LOG_ERR,
	[LOG_LVL_WARN] = LOG_WARNING,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

/** Names of the targets, indexed by enum log_target. */
static const char *const target_names[] = {
	[LOG_TARGET_STDERR] = "stderr",
	[LOG_TARGET_SYSLOG] = "syslog",
	[LOG_TARGET_JSON] = "json",
};

/**
 * log_init() - choose the program name, target and level.
 * @ident:  program name ("lanroot-blockd"); NULL keeps the current one
 * @target: where lines go
 * @level:  lines above this level are dropped
 */
void log_init(const char *ident, enum log_target target, enum log_level level)
{
	if (log_state.syslog_open) {
		closelog();
		log_state.syslog_open = false;
	}
	if (ident)
		str_copy(log_state.ident, sizeof(log_state.ident), ident);
	log_state.target = target;
	log_state.level = level;
	if (target == LOG_TARGET_SYSLOG) {
		openlog(log_state.ident, LOG_PID, LOG_DAEMON);
		log_state.syslog_open = true;
	}
}

/**
 * log_parse_target() - map a target name from the config file.
 * @name: "stderr", "syslog" or "json"
 * @out:  receives the target
 * Return: 0 or -EINVAL.
 */
int log_parse_target(const char *name, enum log_target *out)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(target_names); i++) {
		if (!strcmp(name, target_names[i])) {
			*out = (enum log_target)i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * log_parse_level() - map a level name from the config file.
 * @name: "error", "warn", "info" or "debug"
 * @out:  receives the level
 * Return: 0 or -EINVAL.
 */
int log_parse_level(const char *name, enum log_level *out)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(name, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * log_set_stream() - send stderr and JSON target output to @fp (tests).
 * @fp: stream, or NULL for stderr again
 */
void log_set_stream(FILE *fp)
{
	log_state.stream = fp;
}

/**
 * log_write_line() - write one finished line (without newline) to the
 * stream in a single call.
 * @line: the text
 */
static void log_write_line(const char *line)
{
	FILE *fp = log_state.stream ? log_state.stream : stderr;

	flockfile(fp);
	fputs(line, fp);
	fputc('\n', fp);
	fflush(fp);
	funlockfile(fp);
}

/**
 * level_valid() - clamp an out-of-range level to the nearest valid one.
 * @level: level given by a caller
 * Return: a valid level.
 */
static enum log_level level_valid(enum log_level level)
{
	if ((unsigned)level > LOG_LVL_DEBUG)
		return LOG_LVL_DEBUG;
	return level;
}

/**
 * log_vmsg() - log a free-text line.
 * @level: its level
 * @fmt:   printf format
 * @ap:    arguments
 */
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char *msg, *line;
	size_t len;

	level = level_valid(level);
	if (level > log_state.level)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';

	switch (log_state.target) {
	case LOG_TARGET_SYSLOG:
		syslog(level_priority[level], "%s", msg);
		break;
	case LOG_TARGET_JSON: {
		char ts[32];
		json_t *obj;

		now_rfc3339(ts);
		obj = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "prog", log_state.ident,
				"level", level_names[level], "msg", msg);
		line = obj ? json_dumps(obj, LOG_JSON_FLAGS) : NULL;
		json_decref(obj);
		if (line) {
			log_write_line(line);
			free(line);
		}
		break;
	}
	case LOG_TARGET_STDERR:
	default:
		line = xasprintf("%s: %s", log_state.ident, msg);
		log_write_line(line);
		free(line);
		break;
	}
	free(msg);
}

/**
 * log_msg() - log a free-text line, printf-style.
 * @level: its level
 * @fmt:   printf format
 */
void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/**
 * event_build() - the JSON object of an event: "ts", "prog", "event", then
 * the fields packed from @fmt.  A bad format is logged and the event is
 * built without its fields.
 * @event: event name
 * @fmt:   json_pack() object format, or NULL
 * @ap:    its arguments
 * Return: a new reference, or NULL if memory ran out.
 */
static json_t *event_build(const char *event, const char *fmt, va_list ap)
{
	json_error_t error;
	json_t *obj, *fields = NULL;
	char ts[32];

	now_rfc3339(ts);
	obj = json_pack("{s:s, s:s, s:s}", "ts", ts, "prog", log_state.ident,
			"event", event ? event : "");
	if (!obj)
		return NULL;
	if (fmt) {
		fields = json_vpack_ex(&error, 0, fmt, ap);
		if (!fields) {
			log_msg(LOG_LVL_ERR, "event %s: bad field format: %s", event, error.text);
		} else if (!json_is_object(fields)) {
			log_msg(LOG_LVL_ERR, "event %s: fields are not a JSON object", event);
		} else {
			/* The reserved keys win over fields of the same name. */
			json_object_update_missing(obj, fields);
		}
		json_decref(fields);
	}
	return obj;
}

/**
 * kv_append() - append " key=value" to @line; strings with spaces, quotes,
 * '=' or control characters (and empty ones) are written as JSON strings,
 * other values as compact JSON.
 * @line:  the line so far (freed)
 * @key:   field name
 * @value: field value
 * Return: the longer line.
 */
static char *kv_append(char *line, const char *key, json_t *value)
{
	char *text = NULL, *out;

	if (json_is_string(value)) {
		const char *s = json_string_value(value);
		bool plain = *s != '\0';
		const char *p;

		for (p = s; *p && plain; p++)
			if ((unsigned char)*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
			    *p == 0x7f)
				plain = false;
		if (plain && strlen(s) == json_string_length(value))
			text = xstrdup(s);
	}
	if (!text)
		text = json_dumps(value, LOG_JSON_FLAGS | JSON_ENCODE_ANY);
	out = xasprintf("%s %s=%s", line, key, text ? text : "?");
	free(text);
	free(line);
	return out;
}

/**
 * event_emit() - write a built event to the chosen target.
 * @obj: the event object
 */
static void event_emit(json_t *obj)
{
	const char *key;
	json_t *value;
	char *line;

	switch (log_state.target) {
	case LOG_TARGET_SYSLOG:
		line = json_dumps(obj, LOG_JSON_FLAGS);
		if (line)
			syslog(LOG_INFO, "%s", line);
		free(line);
		break;
	case LOG_TARGET_JSON:
		line = json_dumps(obj, LOG_JSON_FLAGS);
		if (line)
			log_write_line(line);
		free(line);
		break;
	case LOG_TARGET_STDERR:
	default:
		line = xasprintf("event=%s",
				 json_string_value(json_object_get(obj, "event")));
		json_object_foreach(obj, key, value) {
			if (!strcmp(key, "ts") || !strcmp(key, "prog") || !strcmp(key, "event"))
				continue;
			line = kv_append(line, key, value);
		}
		log_write_line(line);
		free(line);
		break;
	}
}

/**
 * log_event() - emit a structured event (see log.h).
 * @event: stable event name from events.h
 * @fmt:   json_pack() object format for the fields, or NULL
 */
void log_event(const char *event, const char *fmt, ...)
{
	va_list ap;
	json_t *obj;

	if (LOG_LVL_INFO > log_state.level)
		return;
	va_start(ap, fmt);
	obj = event_build(event, fmt, ap);
	va_end(ap);
	if (!obj)
		return;
	event_emit(obj);
	json_decref(obj);
}

/**
 * log_event_format() - the JSON line log_event() would write for the JSON
 * target, without writing it.
 * @event: event name
 * @fmt:   json_pack() object format, or NULL
 * Return: the line (no newline; caller frees), or NULL if memory ran out.
 */
char *log_event_format(const char *event, const char *fmt, ...)
{
	va_list ap;
	json_t *obj;
	char *line;

	va_start(ap, fmt);
	obj = event_build(event, fmt, ap);
	va_end(ap);
	if (!obj)
		return NULL;
	line = json_dumps(obj, LOG_JSON_FLAGS);
	json_decref(obj);
	return line;
}
