/* Blocking a Linux-ABI guest's task: the one place a call waits (sleeps, futex, pipes, poll), so a scheduler has one seam to switch tasks at. */
#include <pthread.h>

#include "linux.h"

bool linux_block_until(struct linux_proc *proc, uint64_t deadline)
{
	/* One task: nothing inside the VM can wake it, so it waits for the
	 * deadline (0: none, as Linux would block forever) or the VM's end
	 * (--timeout, lockvm stop); vm_wait_locked() caps it at --timeout. */
	pthread_mutex_lock(&proc->vm->lock);
	(void)vm_wait_locked(proc->vm, deadline, NULL);
	pthread_mutex_unlock(&proc->vm->lock);
	/* Past --timeout the VM is ending even before the main thread says so. */
	return vm_is_ending(proc->vm) ||
	       (proc->vm->deadline_ns && now_ns() >= proc->vm->deadline_ns);
}
