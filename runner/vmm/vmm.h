/* The VMM process: parses its (trusted) argv from the supervisor, builds and runs the VM. */
#ifndef LOCKVM_VMM_H
#define LOCKVM_VMM_H

/* Runs the VMM; returns the exit status lockvm run reports. */
int vmm_main(int argc, char **argv);

struct vm;
/* Main thread: reads one record from the supervisor on control_fd and
 * serves it (vmm_control.c): save, migrate, stats (migrate.c) or the
 * guest kind's `lockvm exec` hooks; a malformed record is dropped. */
void vmm_control(struct vm *vm, int control_fd);

#endif
