/* libFuzzer target: export names as they arrive from NBD clients.
 *
 * export_parse() must never read or write out of bounds, and whatever it
 * accepts must be well formed: a canonical MAC, a valid image name, a
 * version ≥ 1, a known mode and a 64-digit lowercase hex token that
 * export_token_ok() can check without trouble.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[SECRET_LEN] = { 1, 2, 3, 4 };
	struct export_name e;
	char err[256];
	char *name;

	/* The name as a NUL-terminated string, as blockd hands it over. */
	name = malloc(size + 1);
	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';

	if (export_parse(name, &e, err, sizeof(err)) == 0) {
		char again[MAC_STR_LEN];

		if (strlen(e.token) != TOKEN_HEX_LEN || e.version < 1 ||
		    !name_valid(e.image) || !mode_valid(e.mode) ||
		    mac_canonical(e.mac, again) != 0 || strcmp(again, e.mac) != 0)
			abort();
		(void)export_token_ok(secret, sizeof(secret), &e);
	} else if (strnlen(err, sizeof(err)) == 0 || strnlen(err, sizeof(err)) == sizeof(err)) {
		abort();	/* a refusal always says why */
	}
	free(name);
	return 0;
}
