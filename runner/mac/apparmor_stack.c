/* An engine's AppArmor profile stacked on a VM's own: checks the untrusted name, asks the kernel whether it is loaded, builds lockvm-<uuid>//&NAME. */
#include "apparmor_stack.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/apparmor.h>
#include <unistd.h>

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && c != '\0' && strchr("._-+@", c) != NULL;
}

int apparmor_stack_name_check(const char *name, char *err, size_t errlen)
{
	if (name == NULL || name[0] == '\0')
		return err_fmt(err, errlen, "an empty AppArmor profile name");
	size_t len = strnlen(name, APPARMOR_STACK_NAME_MAX + 1);
	if (len > APPARMOR_STACK_NAME_MAX)
		return err_fmt(err, errlen, "AppArmor profile name longer than %d bytes",
			       APPARMOR_STACK_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		if (!name_char(name[i], i == 0)) {
			unsigned char c = (unsigned char)name[i];
			return err_fmt(
			    err, errlen,
			    "AppArmor profile name '%.*s...': byte %zu (0x%02x) is not a letter, "
			    "digit or one of . _ - + @ (nor first of them)",
			    (int)i, name, i, c);
		}
	}
	/* lockvm's own profiles: the supervisor's, and every VM's lockvm-<uuid>,
	 * which the supervisor's change_profile rules single out. */
	if (strcmp(name, "lockvm") == 0 || strncmp(name, "lockvm-", 7) == 0)
		return err_fmt(err, errlen, "AppArmor profile '%s' is one of lockvm's own", name);
	if (strcmp(name, "unconfined") == 0)
		return err_fmt(err, errlen, "'unconfined' is no profile to stack");
	return 0;
}

bool apparmor_stack_listed(const char *profiles, const char *name)
{
	size_t len = strlen(name);
	for (const char *line = profiles; line && *line;) {
		if (strncmp(line, name, len) == 0 && strncmp(line + len, " (", 2) == 0)
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

int apparmor_stack_loaded(const char *name)
{
	char *mount_point = NULL, path[PATH_MAX];
	if (aa_find_mountpoint(&mount_point) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/profiles", mount_point);
	free(mount_point);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* The list grows with the host's profiles: read it whole. */
	size_t cap = 64 << 10, used = 0;
	char *text = malloc(cap);
	ssize_t n = 0;
	while (text && (n = read(fd, text + used, cap - used - 1)) > 0) {
		used += (size_t)n;
		if (used + 1 == cap) {
			char *bigger = cap < (16u << 20) ? realloc(text, cap * 2) : NULL;
			if (!bigger) {
				free(text);
				text = NULL;
				errno = EFBIG;
				break;
			}
			text = bigger;
			cap *= 2;
		}
	}
	int saved = errno;
	close(fd);
	if (!text || n < 0) {
		free(text);
		errno = saved;
		return -1;
	}
	text[used] = '\0';
	bool found = apparmor_stack_listed(text, name);
	free(text);
	return found ? 1 : 0;
}

int apparmor_stack_label(const char *vm_profile, const char *engine, char *out, size_t size)
{
	/* The kernel keeps a stack's profiles sorted by name (label.c's
	 * profile_cmp: strcmp within one namespace) and prints them so. */
	bool vm_first = strcmp(vm_profile, engine) < 0;
	int n = snprintf(out, size, "%s//&%s", vm_first ? vm_profile : engine,
			 vm_first ? engine : vm_profile);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The kernel's mediation class of signals (security/apparmor/include/
 * apparmor.h, AA_CLASS_SIGNAL), which libapparmor's header does not name. */
#define APPARMOR_CLASS_SIGNAL 10

/*
 * Whether `label` may `mask` (AA_MAY_READ: receive, AA_MAY_WRITE: send) the
 * signal `sig` from or to `peer`: the policy match the kernel makes in
 * profile_signal_perm (class byte, the signal's number, x86 numbering as
 * the kernel's map_signal_num keeps it for these, then the peer's name).
 * 1, 0, or -1 with errno.
 */
static int signal_allowed(const char *label, uint32_t mask, int sig, const char *peer)
{
	char query[AA_QUERY_CMD_LABEL_SIZE + APPARMOR_STACK_LABEL_SIZE + APPARMOR_STACK_LABEL_SIZE +
		   4];
	size_t at = AA_QUERY_CMD_LABEL_SIZE; /* libapparmor writes its command there */
	size_t label_len = strlen(label), peer_len = strlen(peer);
	if (at + label_len + 1 + 2 + peer_len > sizeof(query)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(query + at, label, label_len + 1);
	at += label_len + 1;
	query[at++] = APPARMOR_CLASS_SIGNAL;
	query[at++] = (char)sig;
	memcpy(query + at, peer, peer_len);
	at += peer_len;
	int allowed = 0, audited = 0;
	if (aa_query_label(mask, query, at, &allowed, &audited) < 0)
		return -1;
	return allowed ? 1 : 0;
}

int apparmor_stack_allows_lockvm(const char *engine, const char *vm_profile, char *why,
				 size_t whylen)
{
	static const struct {
		int sig;
		const char *name;
	} stops[] = {{SIGINT, "int"}, {SIGTERM, "term"}, {SIGUSR2, "usr2"}, {SIGKILL, "kill"}};
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++) {
		int rc = signal_allowed(engine, AA_MAY_READ, stops[i].sig, "lockvm");
		if (rc <= 0) {
			if (rc == 0)
				(void)err_fmt(
				    why, whylen,
				    "it does not let the VMM receive signal %s from lockvm's "
				    "supervisor (signal (receive) peer=lockvm)",
				    stops[i].name);
			return rc;
		}
	}
	char self[APPARMOR_STACK_LABEL_SIZE];
	if (apparmor_stack_label(vm_profile, engine, self, sizeof(self)) < 0)
		return -1;
	for (uint32_t mask = AA_MAY_WRITE; mask; mask = mask == AA_MAY_WRITE ? AA_MAY_READ : 0) {
		int rc = signal_allowed(engine, mask, SIGUSR1, self);
		if (rc <= 0) {
			if (rc == 0)
				(void)err_fmt(
				    why, whylen,
				    "it does not let the VMM's threads %s signal usr1 among "
				    "themselves (signal (send, receive) peer=%s)",
				    mask == AA_MAY_WRITE ? "send" : "receive", self);
			return rc;
		}
	}
	return 1;
}
