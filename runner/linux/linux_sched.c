/* Blocking a Linux-ABI guest's task: the one place a call waits (sleeps, futex, pipes, poll), so a scheduler has one seam to switch tasks at. */
#include <pthread.h>

#include "linux.h"

bool linux_block_until(struct linux_proc *proc, uint64_t deadline)
{
	/* One task: nothing inside the VM can wake it, so it waits for the
	 * deadline (0: none, as Linux would block forever), a host signal or
	 * the VM's end; vm_wait_locked() caps it at --timeout. */
	for (;;) {
		pthread_mutex_lock(&proc->vm->lock);
		if (!linux_signal_host_ready(proc))
			(void)vm_wait_locked(proc->vm, deadline, &proc->signal_generation);
		pthread_mutex_unlock(&proc->vm->lock);
		/* Past --timeout the VM is ending even before the main thread says so. */
		if (vm_is_ending(proc->vm) ||
		    (proc->vm->deadline_ns && now_ns() >= proc->vm->deadline_ns))
			return true;
		if (linux_signal_host_ready(proc) && linux_signal_host_wakes(proc))
			return true; /* a handler runs: the call gives up (EINTR or restart) */
		if (vm_is_ending(proc->vm))
			return true; /* the default action ended it */
		if (deadline && now_ns() >= deadline)
			return false;
	}
}
