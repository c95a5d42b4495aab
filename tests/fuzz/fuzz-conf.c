/* libFuzzer target: lanroot.conf parsing (config_load_string).
 * Any input must give 0 or -EINVAL with a message, never a crash or leak;
 * an accepted file must hold values inside their documented ranges.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * LLVMFuzzerTestOneInput() - parse @data as a config file.
 * @data: input bytes (copied and NUL-terminated)
 * @size: number of bytes
 * Return: 0.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lr_config cfg;
	char err[512];
	char *text;
	int rc;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	rc = config_load_string(&cfg, text, "fuzz.conf", err, sizeof(err));
	if (rc == 0) {
		if (cfg.nbd_port < 1 || cfg.nbd_port > 65535 || cfg.nbd_workers < 1 ||
		    cfg.cluster_size < 4096 || cfg.cluster_size > 1048576 ||
		    (cfg.cluster_size & (cfg.cluster_size - 1)) != 0 || !cfg.state_dir ||
		    !cfg.nbd_tls)
			abort();
	} else if (rc != -EINVAL || err[0] == '\0') {
		abort();
	}
	config_free(&cfg);
	free(text);
	return 0;
}
