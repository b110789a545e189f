/* The VMM's end of the control socket: one record from the supervisor, to migration (save, migrate, stats) or to the guest kind's `lockvm exec` hooks. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control_wire.h"
#include "migrate.h"
#include "util.h"
#include "vm.h"
#include "vmm.h"

/* EXEC_STARTED with status 125: the request was refused, nothing ran. */
static void exec_refused(int control_fd, uint32_t id, const char *why)
{
	struct control_msg r = {
	    .magic = CONTROL_MAGIC, .op = CONTROL_EXEC_STARTED, .status = EXIT_REFUSED, .id = id};
	snprintf(r.text, sizeof(r.text), "%s", why);
	(void)control_send(control_fd, &r, -1);
}

void vmm_control(struct vm *vm, int control_fd)
{
	static uint8_t payload[CONTROL_EXEC_PAYLOAD_MAX];
	struct control_msg m;
	int fds[CONTROL_EXEC_MAX_FDS];
	unsigned nfds;
	int rc = control_recv_ex(control_fd, &m, payload, sizeof(payload), fds,
				 CONTROL_EXEC_MAX_FDS, &nfds);
	if (rc != 0) {
		if (rc < 0 && m.op == CONTROL_EXEC) /* the header came whole: say so */
			exec_refused(control_fd, m.id, "exec: a malformed request (size or fds)");
		return;
	}
	if (m.op == CONTROL_EXEC || m.op == CONTROL_EXEC_KILL) {
		char err[256];
		if (m.op == CONTROL_EXEC_KILL) {
			if (vm->guest->exec_kill)
				vm->guest->exec_kill(vm, m.id, m.wstatus);
		} else if (!vm->guest->exec_request) {
			exec_refused(control_fd, m.id,
				     "exec: this VM runs an SDK guest, one program (exec needs "
				     "a --linux VM)");
		} else if (vm->guest->exec_request(vm, &m, payload, fds, nfds, err, sizeof(err)) ==
			   0) {
			return; /* the fds are the new process's now */
		} else {
			exec_refused(control_fd, m.id, err);
		}
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return;
	}
	if (nfds > 1 || m.payload_len) { /* save, migrate, stats: one fd, no payload */
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		return;
	}
	migrate_control(vm, control_fd, &m, nfds ? fds[0] : -1);
}
