/* --seccomp=trap: a SIGSYS handler that names the syscall a filter refused, then ends the VMM with 159. */
#ifndef LOCKVM_SECCOMP_TRAP_H
#define LOCKVM_SECCOMP_TRAP_H

/* Installs the process-wide SIGSYS handler and resolves every syscall name
 * up front (the handler itself only copies strings and calls write and
 * _exit). Call before any filter is installed. Returns 0 or -1 with errno. */
int seccomp_trap_install(void);

/* Names the calling thread in the handler's message ("main", "vcpu3").
 * The string must outlive the thread. */
void seccomp_trap_set_thread(const char *role);

#endif
