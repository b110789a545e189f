/* vCPU threads: the KVM_RUN loop and table-driven VM-exit dispatch. */
#ifndef LOCKVM_VCPU_H
#define LOCKVM_VCPU_H

#include "vm.h"

/* Handles one VM exit of `vcpu` by reason (run->exit_reason). Unknown
 * reasons end the VM with a guest error. Exposed for tests. */
void vcpu_handle_exit(struct vcpu *vcpu, unsigned reason);

/* Hook run by each vCPU thread right before its first KVM_RUN (the place
 * for per-thread seccomp). NULL = nothing. Returns 0 or -1 (VM ends). */

/* Starts one thread per vCPU, named vcpuN. Needs every vCPU initialised
 * and SIGUSR1 blocked in the caller. Returns 0 or -1 with err. */
int vcpu_start_all(struct vm *vm, char *err, size_t errlen);

/* Pauses every vCPU: each completes its pending exit and parks; blocked
 * SLEEPs keep their deadline, WAITs and NET_WAITs return (spuriously, as
 * allowed). Returns 0 once all are parked, -1 if the VM ends meanwhile,
 * -2 if they were not all parked within VCPU_PAUSE_TIMEOUT_NS (the pause
 * is then called off: every vCPU runs on). */
#define VCPU_PAUSE_TIMEOUT_NS (10ULL * 1000000000ULL)
int vcpu_pause_all(struct vm *vm);
/* Lets paused vCPUs run again. */
void vcpu_resume_all(struct vm *vm);

/* Joins every started vCPU thread. */
void vcpu_join_all(struct vm *vm);

#endif
