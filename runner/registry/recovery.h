/* Recovery of dead VMs: putting back what a VM whose supervisor died left behind. */
#ifndef LOCKVM_RECOVERY_H
#define LOCKVM_RECOVERY_H

/*
 * Recovers every dead VM: its images get their owner, mode and label back
 * (when it was their last user), its cgroup is removed, its log notes it,
 * and its entry goes away. Needs the registry lock. Returns how many were
 * reaped; reasons for entries it cannot read are printed, and such entries
 * are left alone (never trusted).
 */
int registry_reap(void);

#endif
