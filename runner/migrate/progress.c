/* How far a save, migration or restore is: CONTROL_PROGRESS messages on the control socket the VMM already answers on (no new channel). */
#include "progress.h"

#include <string.h>

#include "util.h"

static void tick(struct snapshot_progress *base, uint64_t bytes)
{
	struct migrate_progress *p = (struct migrate_progress *)base;
	p->m.bytes = bytes;
	migrate_progress_send(p, false);
}

void migrate_progress_begin(struct migrate_progress *p, int fd, uint64_t expected)
{
	memset(p, 0, sizeof(*p));
	p->base.tick = tick;
	p->fd = fd;
	p->start_ns = now_ns();
	p->m.magic = CONTROL_MAGIC;
	p->m.op = CONTROL_PROGRESS;
	p->m.expected = expected;
}

void migrate_progress_send(struct migrate_progress *p, bool force)
{
	uint64_t now = now_ns();
	if (p->fd < 0 || (!force && p->sent_ns && now - p->sent_ns < PROGRESS_INTERVAL_NS))
		return;
	p->sent_ns = now;
	p->m.total_ns = now - p->start_ns;
	(void)control_send_nowait(p->fd, &p->m);
}
