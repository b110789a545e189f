/* `lockvm audit vm NAME`: a running VM's real state against what its policy says it should be. */
#ifndef LOCKVM_AUDIT_VM_H
#define LOCKVM_AUDIT_VM_H

/* argv[0] is "vm". Prints one PASS/DRIFT line per property (or --json);
 * returns 0 without drift, 1 with drift, 125 when it cannot audit. */
int audit_vm_main(int argc, char **argv);

#endif
