/* Progress reporting for long operations (import, copy, capture). */
#ifndef LR_PROGRESS_H
#define LR_PROGRESS_H

#include <stdint.h>

/**
 * progress_fn - called now and then with the bytes done out of @total
 * (@total may be 0 when unknown).  @what names the phase ("copy", "hash",
 * "mkfs").  Must be cheap; the callee rate-limits its own drawing.
 */
typedef void (*progress_fn)(const char *what, uint64_t done, uint64_t total, void *arg);

struct progress {
	progress_fn fn;
	void *arg;
};

static inline void progress_report(const struct progress *p, const char *what,
				   uint64_t done, uint64_t total)
{
	if (p && p->fn)
		p->fn(what, done, total, p->arg);
}

#endif
