/* libFuzzer target: the binary --record a possibly compromised VMM writes (common/record_wire.h), which the supervisor turns into FILE.json (host/record_json.c): arbitrary bytes into record_json_write; a refusal says why and writes nothing, an accepted record gives strict JSON that says it is complete. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "record_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	if (fd < 0 && (fd = memfd_create("fuzz_record", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	char why[256] = "";
	int rc = record_json_write(data, size, fd, why, sizeof(why));
	off_t len = lseek(fd, 0, SEEK_END);
	if (rc == -1) {
		if (!why[0] || !memchr(why, '\0', sizeof(why)) || strchr(why, '\n') || len != 0)
			abort(); /* one line of why, and not a byte of JSON */
		return 0;
	}
	if (rc != 0 || len <= 0)
		abort();
	char *text = malloc((size_t)len + 1);
	if (!text || pread(fd, text, (size_t)len, 0) != len)
		abort();
	text[len] = '\0';
	/* Strict JSON, all of it: one object, nothing after it but its newline (which the tokener takes as white space). */
	json_tokener *tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != (size_t)len || text[len - 1] != '\n')
		abort();
	json_object *complete;
	if (!json_object_object_get_ex(o, "complete", &complete) ||
	    !json_object_get_boolean(complete))
		abort();
	json_object_put(o);
	json_tokener_free(tok);
	free(text);
	return 0;
}
