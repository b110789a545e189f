/* The VMM process: parses its (trusted) argv from the supervisor, builds and runs the VM. */
#ifndef LOCKVM_VMM_H
#define LOCKVM_VMM_H

/* Runs the VMM; returns the exit status lockvm run reports. */
int vmm_main(int argc, char **argv);

#endif
