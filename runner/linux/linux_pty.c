/* Pseudo-terminals of a Linux-ABI guest: /dev/ptmx opens a master, /dev/pts/N its slave, and the VMM's line discipline between them (canonical lines, echo, ICRNL/ONLCR, VINTR/VQUIT/VSUSP to the foreground group, VEOF, window size with SIGWINCH, the controlling terminal); nothing of the host's terminals is used. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "linux.h"
#include "linux_pty.h"

#define PTY_BUF 4096u

/* struct termios as the kernel's TCGETS/TCSETS carry it */
struct pty_termios {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line, cc[19];
};
_Static_assert(sizeof(struct pty_termios) == 36, "the kernel's struct termios");

#define T_ICRNL	  0400u
#define T_IGNCR	  0200u
#define T_INLCR	  0100u
#define T_OPOST	  01u
#define T_ONLCR	  04u
#define T_ISIG	  01u
#define T_ICANON  02u
#define T_ECHO	  010u
#define T_ECHOE	  020u
#define T_ECHOK	  040u
#define T_ECHONL  0100u
#define T_ECHOCTL 01000u
enum { V_INTR = 0, V_QUIT = 1, V_ERASE = 2, V_KILL = 3, V_EOF = 4, V_SUSP = 10 };

struct pty_ring {
	uint8_t buf[PTY_BUF];
	uint32_t head, len;
};

struct linux_pty {
	unsigned index;
	unsigned masters, slaves; /* open file descriptions of each end */
	bool locked;		  /* TIOCSPTLCK: the slave may not be opened yet */
	struct pty_termios t;
	uint16_t ws[4];
	int pgrp, sid;		 /* foreground group, session (0: no controlling tty) */
	struct pty_ring in, out; /* to the slave's readers, to the master's readers */
	uint8_t line[PTY_BUF];	 /* canonical mode: the line being edited */
	uint32_t line_len;
	unsigned eofs; /* VEOF on an empty line: reads that return 0 */
	bool hung;     /* every slave closed: the master reads EIO */
};

static uint32_t ring_room(const struct pty_ring *r)
{
	return PTY_BUF - r->len;
}

static void ring_put(struct pty_ring *r, const uint8_t *p, uint32_t n)
{
	if (n > ring_room(r))
		n = ring_room(r); /* a full input queue drops, as Linux's n_tty */
	for (uint32_t i = 0; i < n; i++)
		r->buf[(r->head + r->len + i) % PTY_BUF] = p[i];
	r->len += n;
}

/* Takes up to n bytes, stopping after a newline when `line`. */
static uint32_t ring_get(struct pty_ring *r, uint8_t *p, uint32_t n, bool line)
{
	uint32_t got = 0;
	while (got < n && r->len) {
		uint8_t c = r->buf[r->head];
		r->head = (r->head + 1) % PTY_BUF;
		r->len--;
		p[got++] = c;
		if (line && c == '\n')
			break;
	}
	return got;
}

/* What the slave writes (and echo) goes to the master through OPOST. */
static void pty_output(struct linux_pty *pty, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] == '\n' && (pty->t.oflag & (T_OPOST | T_ONLCR)) == (T_OPOST | T_ONLCR))
			ring_put(&pty->out, (const uint8_t *)"\r", 1);
		ring_put(&pty->out, &p[i], 1);
	}
}

static void signal_group(struct linux_proc *proc, int pgrp, unsigned sig)
{
	for (unsigned i = 0; pgrp > 0 && i < proc->ntasks; i++)
		if (proc->tasks[i]->pgid == pgrp && proc->tasks[i]->run != LINUX_TASK_ZOMBIE)
			linux_task_signal(proc, proc->tasks[i], sig);
}

static void echo_ctl(struct linux_pty *pty, uint8_t c)
{
	if (!(pty->t.lflag & T_ECHO))
		return;
	if ((pty->t.lflag & T_ECHOCTL) && c < 32 && c != '\n' && c != '\t') {
		const uint8_t two[2] = {'^', (uint8_t)(c + 64)};
		pty_output(pty, two, 2);
		return;
	}
	pty_output(pty, &c, 1);
}

/* One byte the master wrote, through the line discipline to the slave. */
static void pty_input(struct linux_proc *proc, struct linux_pty *pty, uint8_t c)
{
	const struct pty_termios *t = &pty->t;
	if (c == '\r' && (t->iflag & T_IGNCR))
		return;
	if (c == '\r' && (t->iflag & T_ICRNL))
		c = '\n';
	else if (c == '\n' && (t->iflag & T_INLCR))
		c = '\r';
	if (t->lflag & T_ISIG) {
		static const struct {
			unsigned cc, sig;
		} sigs[] = {{V_INTR, 2}, {V_QUIT, 3}, {V_SUSP, 20}};
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			if (t->cc[sigs[i].cc] && c == t->cc[sigs[i].cc]) {
				pty->line_len = 0; /* as n_tty: the pending line is flushed */
				echo_ctl(pty, c);
				signal_group(proc, pty->pgrp, sigs[i].sig);
				return;
			}
	}
	if (!(t->lflag & T_ICANON)) {
		ring_put(&pty->in, &c, 1);
		echo_ctl(pty, c);
		return;
	}
	if (c == t->cc[V_ERASE] || c == '\b') {
		if (pty->line_len) {
			pty->line_len--;
			if ((t->lflag & (T_ECHO | T_ECHOE)) == (T_ECHO | T_ECHOE))
				pty_output(pty, (const uint8_t *)"\b \b", 3);
		}
		return;
	}
	if (c == t->cc[V_KILL]) {
		pty->line_len = 0;
		return;
	}
	if (c == t->cc[V_EOF]) {
		if (pty->line_len == 0)
			pty->eofs++;
		ring_put(&pty->in, pty->line, pty->line_len);
		pty->line_len = 0;
		return;
	}
	if (pty->line_len < PTY_BUF - 1 || c == '\n')
		pty->line[pty->line_len++] = c;
	if (c == '\n') {
		ring_put(&pty->in, pty->line, pty->line_len);
		pty->line_len = 0;
		if ((t->lflag & T_ECHONL) && !(t->lflag & T_ECHO))
			pty_output(pty, &c, 1);
	}
	echo_ctl(pty, c);
}

static struct linux_pty *pty_new(struct linux_proc *proc)
{
	for (unsigned i = 0; i < LINUX_PTYS; i++) {
		if (proc->ptys[i])
			continue;
		struct linux_pty *pty = calloc(1, sizeof(*pty));
		if (!pty)
			return NULL;
		*pty = (struct linux_pty){
		    .index = i,
		    .locked = true,	  /* until unlockpt(), as Linux */
		    .t = {.iflag = 0x500, /* ICRNL|IXON */
			  .oflag = T_OPOST | T_ONLCR,
			  .cflag = 0xBF,   /* CS8|CREAD|B38400 */
			  .lflag = 0x8A3B, /* ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN */
			  .cc = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22}},
		    .ws = {24, 80, 0, 0}};
		proc->ptys[i] = pty;
		return pty;
	}
	return NULL;
}

static void pty_maybe_free(struct linux_proc *proc, struct linux_pty *pty)
{
	if (pty->masters == 0 && pty->slaves == 0) {
		proc->ptys[pty->index] = NULL;
		free(pty);
	}
}

/* A new open file of pty's master or slave end on node. The fd or -errno. */
static long pty_file(struct linux_proc *proc, struct linux_node *node, struct linux_pty *pty,
		     bool master, uint64_t flags)
{
	struct linux_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	*f = (struct linux_file){.kind = LINUX_FILE_NODE,
				 .host_fd = -1,
				 .node = node,
				 .pty = pty,
				 .pty_master = master,
				 .flags = (unsigned)(flags & (O_ACCMODE | L_O_NONBLOCK))};
	int fd = linux_fd_alloc(proc, 0, f, flags & L_O_CLOEXEC);
	if (fd < 0) {
		free(f);
		return fd;
	}
	linux_fs_get(&proc->fs, node);
	if (master) {
		pty->masters++;
	} else {
		pty->slaves++;
		pty->hung = false;
	}
	return fd;
}

long linux_pty_open(struct linux_proc *proc, struct linux_node *node, uint64_t flags)
{
	if (node->dev_kind == LINUX_DEV_PTMX) {
		struct linux_pty *pty = pty_new(proc);
		if (!pty)
			return -ENOSPC; /* as Linux past kernel.pty.max */
		long fd = pty_file(proc, node, pty, true, flags);
		pty_maybe_free(proc, pty);
		return fd;
	}
	struct linux_pty *pty = node->dev_fd < LINUX_PTYS ? proc->ptys[node->dev_fd] : NULL;
	if (!pty || pty->masters == 0)
		return -EIO;
	if (pty->locked) /* until unlockpt(), as Linux */
		return -EIO;
	return pty_file(proc, node, pty, false, flags);
}

void linux_pty_release(struct linux_proc *proc, struct linux_file *f)
{
	struct linux_pty *pty = f->pty;
	if (f->pty_master)
		pty->masters--;
	else
		pty->slaves--;
	if (!f->pty_master && pty->slaves == 0) {
		pty->hung = true;
		pty->sid = 0; /* the session lost its terminal */
		pty->pgrp = 0;
	}
	pty_maybe_free(proc, pty);
}

long linux_pty_io(struct linux_proc *proc, struct linux_file *f, uint8_t *buf, uint64_t len,
		  bool write_it)
{
	struct linux_pty *pty = f->pty;
	uint32_t n = len > PTY_BUF ? PTY_BUF : (uint32_t)len;
	if (write_it) {
		if (f->pty_master) {
			for (uint32_t i = 0; i < n; i++)
				pty_input(proc, pty, buf[i]);
			return (long)n;
		}
		if (pty->masters == 0)
			return -EIO;
		while (ring_room(&pty->out) < 2 * n && ring_room(&pty->out) < PTY_BUF / 2) {
			if (f->flags & L_O_NONBLOCK)
				return -EAGAIN;
			if (linux_block_until(proc, 0))
				return -LINUX_ERESTARTSYS;
		}
		if (n > ring_room(&pty->out) / 2)
			n = ring_room(&pty->out) / 2; /* room for ONLCR's \r on each byte */
		pty_output(pty, buf, n);
		return (long)n;
	}
	if (len == 0)
		return 0;
	struct pty_ring *r = f->pty_master ? &pty->out : &pty->in;
	bool canon = !f->pty_master && (pty->t.lflag & T_ICANON);
	while (r->len == 0) {
		if (!f->pty_master && pty->eofs) {
			pty->eofs--;
			return 0; /* VEOF on an empty line */
		}
		if (f->pty_master && pty->hung)
			return -EIO; /* every slave closed, as Linux */
		if (!f->pty_master && pty->masters == 0)
			return 0;
		if (f->flags & L_O_NONBLOCK)
			return -EAGAIN;
		if (linux_block_until(proc, 0))
			return -LINUX_ERESTARTSYS;
	}
	return (long)ring_get(r, buf, n, canon);
}

short linux_pty_poll(const struct linux_file *f)
{
	const struct linux_pty *pty = f->pty;
	if (f->pty_master)
		return (short)((pty->out.len ? POLLIN : 0) | (pty->hung ? POLLHUP : 0) | POLLOUT);
	return (short)((pty->in.len || pty->eofs || !pty->masters ? POLLIN : 0) |
		       (pty->masters ? 0 : POLLHUP) | (ring_room(&pty->out) >= 2 ? POLLOUT : 0));
}

#define L_TCGETS      0x5401
#define L_TCSETS      0x5402
#define L_TCSETSW     0x5403
#define L_TCSETSF     0x5404
#define L_TCXONC      0x540A
#define L_TCFLSH      0x540B
#define L_TIOCSCTTY   0x540E
#define L_TIOCGPGRP   0x540F
#define L_TIOCSPGRP   0x5410
#define L_TIOCGWINSZ  0x5413
#define L_TIOCSWINSZ  0x5414
#define L_FIONREAD    0x541B
#define L_TIOCNOTTY   0x5422
#define L_TIOCGSID    0x5429
#define L_TIOCGPTN    0x80045430
#define L_TIOCSPTLCK  0x40045431
#define L_TIOCGPTPEER 0x5441
#define L_SIGWINCH    28

long linux_pty_ioctl(struct linux_proc *proc, struct linux_file *f, uint64_t cmd, uint64_t arg)
{
	struct linux_pty *pty = f->pty;
	struct linux_task *cur = proc->cur;
	int32_t v;
	switch (cmd) {
	case L_TCGETS: return linux_copy_out(proc, arg, &pty->t, sizeof(pty->t));
	case L_TCSETS:
	case L_TCSETSW:
	case L_TCSETSF: {
		struct pty_termios t;
		if (linux_copy_in(proc, &t, arg, sizeof(t)) < 0)
			return -EFAULT;
		if ((pty->t.lflag & T_ICANON) && !(t.lflag & T_ICANON)) {
			ring_put(&pty->in, pty->line,
				 pty->line_len); /* the partial line is input now */
			pty->line_len = 0;
		}
		if (cmd == L_TCSETSF)
			pty->in.len = pty->line_len = pty->eofs = 0;
		pty->t = t;
		return 0;
	}
	case L_TCXONC: return 0;
	case L_TCFLSH:
		if (arg == 0 || arg == 2)
			pty->in.len = pty->line_len = pty->eofs = 0;
		if (arg == 1 || arg == 2)
			pty->out.len = 0;
		return arg > 2 ? -EINVAL : 0;
	case L_TIOCGWINSZ: return linux_copy_out(proc, arg, pty->ws, sizeof(pty->ws));
	case L_TIOCSWINSZ: {
		uint16_t ws[4];
		if (linux_copy_in(proc, ws, arg, sizeof(ws)) < 0)
			return -EFAULT;
		bool changed = memcmp(ws, pty->ws, sizeof(ws)) != 0;
		memcpy(pty->ws, ws, sizeof(ws));
		if (changed)
			signal_group(proc, pty->pgrp, L_SIGWINCH);
		return 0;
	}
	case L_FIONREAD:
		v = (int32_t)(f->pty_master ? pty->out.len : pty->in.len);
		return linux_copy_out(proc, arg, &v, sizeof(v));
	case L_TIOCGPTN:
		if (!f->pty_master)
			return -ENOTTY;
		v = (int32_t)pty->index;
		return linux_copy_out(proc, arg, &v, sizeof(v));
	case L_TIOCSPTLCK:
		if (!f->pty_master)
			return -ENOTTY;
		if (linux_copy_in(proc, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		pty->locked = v != 0;
		return 0;
	case L_TIOCGPTPEER: {
		if (!f->pty_master)
			return -ENOTTY;
		if (pty->locked)
			return -EIO;
		char name[8];
		snprintf(name, sizeof(name), "%u", pty->index);
		struct linux_node *pts = linux_fs_lookup(&proc->fs, proc->fs.dev, "pts", 3);
		struct linux_node *node =
		    pts ? linux_fs_lookup(&proc->fs, pts, name, strlen(name)) : NULL;
		if (!node)
			return -EIO;
		return pty_file(proc, node, pty, false, arg | O_RDWR);
	}
	case L_TIOCSCTTY:
		if (f->pty_master)
			return -ENOTTY;
		if (cur->pid != cur->sid)
			return -EPERM; /* only a session leader takes a terminal */
		pty->sid = cur->sid;
		pty->pgrp = cur->pgid;
		return 0;
	case L_TIOCNOTTY:
		if (pty->sid != cur->sid)
			return -ENOTTY;
		if (cur->pid == cur->sid) {
			signal_group(proc, pty->pgrp, 1); /* SIGHUP, as a leader's hangup */
			pty->sid = pty->pgrp = 0;
		}
		return 0;
	case L_TIOCGPGRP:
	case L_TIOCGSID:
		if (!f->pty_master && pty->sid != cur->sid)
			return -ENOTTY;
		v = cmd == L_TIOCGPGRP ? pty->pgrp : pty->sid;
		return linux_copy_out(proc, arg, &v, sizeof(v));
	case L_TIOCSPGRP: {
		if (f->pty_master || pty->sid != cur->sid)
			return -ENOTTY;
		if (linux_copy_in(proc, &v, arg, sizeof(v)) < 0)
			return -EFAULT;
		bool found = false;
		for (unsigned i = 0; i < proc->ntasks; i++)
			found |= proc->tasks[i]->pgid == v && proc->tasks[i]->sid == pty->sid;
		if (v <= 0 || !found)
			return v < 0 ? -EINVAL : -EPERM;
		pty->pgrp = v;
		return 0;
	}
	default: return -ENOTTY;
	}
}

unsigned linux_pty_of_session(const struct linux_proc *proc, int sid, int *pgrp)
{
	for (unsigned i = 0; sid > 0 && i < LINUX_PTYS; i++)
		if (proc->ptys[i] && proc->ptys[i]->sid == sid) {
			*pgrp = proc->ptys[i]->pgrp;
			return 136u << 8 | i; /* major 136 (pts), minor i < 256 */
		}
	*pgrp = -1;
	return 0;
}

void linux_pty_free_all(struct linux_proc *proc)
{
	for (unsigned i = 0; i < LINUX_PTYS; i++) {
		free(proc->ptys[i]);
		proc->ptys[i] = NULL;
	}
}
