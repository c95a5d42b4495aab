/* Logging for operators: human lines, syslog, and JSON event lines.
 *
 * Two kinds of output:
 *   log_msg()   — a free-text line for a person ("cannot open registry: …").
 *   log_event() — a structured event with a stable name (see events.h) and
 *                 typed fields, e.g. {"event":"image.import","image":"lab",…}.
 *
 * Where both go is chosen once with log_init(): stderr (human text; events as
 * key=value), syslog (events as JSON in the message), or json (every line a
 * JSON object on stderr, for the journal or a log shipper).
 */
#ifndef LR_LOG_H
#define LR_LOG_H

#include <stdarg.h>
#include <stdio.h>

enum log_level {
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

enum log_target {
	LOG_TARGET_STDERR = 0,	/* text lines on stderr */
	LOG_TARGET_SYSLOG,	/* syslog(3), facility daemon */
	LOG_TARGET_JSON,	/* one JSON object per line on stderr */
};

/**
 * log_init() - choose where log lines go.
 * @ident:  program name put in every line ("lanroot-blockd")
 * @target: where lines go
 * @level:  lines above this level are dropped
 */
void log_init(const char *ident, enum log_target target, enum log_level level);

/**
 * log_parse_target() - map "stderr" | "syslog" | "json" to a target.
 * Return: 0, or -EINVAL for an unknown name.
 */
int log_parse_target(const char *name, enum log_target *out);

/**
 * log_parse_level() - map "error" | "warn" | "info" | "debug" to a level.
 * Return: 0, or -EINVAL for an unknown name.
 */
int log_parse_level(const char *name, enum log_level *out);

/**
 * log_set_stream() - send stderr- and json-target output to @fp instead
 * (tests); NULL means stderr again.
 */
void log_set_stream(FILE *fp);

/** log_msg() - a free-text line at @level, printf-style. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/**
 * log_event() - emit a structured event.
 * @event: a stable event name from events.h ("client.boot")
 * @fmt:   a jansson json_pack() object format for the fields, e.g.
 *         "{s:s, s:i}", "image", name, "version", 3 — or NULL for none.
 *
 * The line always carries "ts" (RFC 3339, UTC), "prog" and "event" (fields
 * of those names are ignored).  Events are logged at the info level.  On the
 * stderr target the line is "event=NAME key=value …" (strings with spaces,
 * quotes or '=' are written as JSON strings).
 * A field format error is itself logged; it never aborts the caller.
 */
void log_event(const char *event, const char *fmt, ...);

/**
 * log_event_format() - render an event line the way log_event() would for
 * the JSON target, without emitting it.  Caller frees the string.
 * Used by tests and by programs that also write an event file.
 */
char *log_event_format(const char *event, const char *fmt, ...);

#endif
