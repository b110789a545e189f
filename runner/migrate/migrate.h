/* VMM side of save, restore and live migration (runner/migrate/SNAPSHOT.md). */
#ifndef LOCKVM_MIGRATE_H
#define LOCKVM_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "vm.h"

struct migrate_result {
	uint64_t total_ns, downtime_ns, bytes, iterations;
};

struct control_msg;
/*
 * Serves one request m the supervisor sent on control_fd (control.h), with
 * the fd it passed (-1: none; taken): save
 * to the passed fd, or live-migrate over it, or (CONTROL_STATS, no fd)
 * tell the vCPUs' counters. Replies with the figures or
 * one line saying what failed; on failure the VM keeps running. A save
 * without --keep-running and a completed migration end the VM (status 0).
 * Runs on the main thread with vCPUs running.
 */
void migrate_control(struct vm *vm, int control_fd, const struct control_msg *m, int fd);

/*
 * Restore, phase 1: parses the stream on fd into guest RAM (mapped, zero)
 * and st, checks it against this VM (vCPUs, RAM, disks), checks and
 * rebuilds the runner pages, sets the guest clock, events and timeout.
 * Needs vm->vcpu_count, disks attached. incoming: first send the source
 * HELLO and a fresh nonce that the stream must answer (SNAPSHOT.md).
 * Progress goes to control_fd (migrate/progress.h; -1: none). 0 or -1 with err.
 */
int migrate_restore_memory(struct vm *vm, int fd, const uint8_t *key, bool incoming, int control_fd,
			   struct snapshot_state *st, char *err, size_t errlen);
/* Phase 2: after arch_vcpu_init() of every vCPU, loads the saved state. */
int migrate_restore_vcpus(struct vm *vm, struct snapshot_state *st, char *err, size_t errlen);
/* Incoming migration, last step before the guest runs: READY, then wait
 * for the source's COMMIT. 0 or -1 with err (the guest must not run). */
int migrate_incoming_commit(int fd, char *err, size_t errlen);

#endif
