/* x86-64 vCPU state in snapshots: what is saved, and the rules a restored vCPU and its page tables must meet (no more than the guest had). */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch.h"
#include "arch_x86_64.h"
#include "snapshot_x86_64.h"

static const uint32_t saved_msrs[] = X86_SNAPSHOT_MSRS;
#define SAVED_MSRS (sizeof(saved_msrs) / sizeof(saved_msrs[0]))
_Static_assert(SAVED_MSRS == X86_SNAPSHOT_MSR_COUNT, "MSR list and blob agree");

/* RFLAGS bits a CPL 3 guest can hold: arithmetic flags, TF, IF, DF, RF, AC,
 * ID, IOPL 0 or 3 (never 1 or 2), bit 1 set; never VM, NT, VIF, VIP. */
#define RFLAGS_ALLOWED 0x253FD7ULL
#define RFLAGS_IOPL    (3ULL << 12)
#define RFLAGS_FIXED1  (1ULL << 1)
/* Control registers as arch_vcpu_init() sets them (a CPL 3 guest cannot
 * change them). */
#define X86_CR0	    0x80010033ULL /* PG WP NE ET MP PE */
#define X86_CR4	    0x620ULL	  /* OSXMMEXCPT OSFXSR PAE */
#define X86_EFER    0xD00ULL	  /* NXE LMA LME */
#define PTE_P	    (1ULL << 0)
#define PTE_RW	    (1ULL << 1)
#define PTE_US	    (1ULL << 2)
#define PTE_PS	    (1ULL << 7)
#define PTE_ADDR    0x000FFFFFFFFFF000ULL
#define TABLE_PAGES ((X86_TABLES_END - X86_PML4_GPA) / LOCKVM_PAGE_SIZE)

size_t arch_snapshot_size(void)
{
	return sizeof(struct x86_snapshot);
}

static int vcpu_ioctl(struct vcpu *vcpu, unsigned long req, void *arg, const char *name, char *err,
		      size_t errlen)
{
	if (ioctl(vcpu->fd, req, arg) < 0) {
		snprintf(err, errlen, "ioctl(vcpu%u, %s): %s", vcpu->index, name, strerror(errno));
		return -1;
	}
	return 0;
}

static int msrs_io(struct vcpu *vcpu, struct x86_snapshot *s, bool set, char *err, size_t errlen)
{
	union {
		struct kvm_msrs head;
		uint8_t bytes[sizeof(struct kvm_msrs) + SAVED_MSRS * sizeof(struct kvm_msr_entry)];
	} m;
	memset(&m, 0, sizeof(m));
	m.head.nmsrs = SAVED_MSRS;
	for (unsigned i = 0; i < SAVED_MSRS; i++) {
		m.head.entries[i].index = saved_msrs[i];
		m.head.entries[i].data = s->msrs[i];
	}
	int n = ioctl(vcpu->fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m);
	if (n != (int)SAVED_MSRS) {
		snprintf(err, errlen, "ioctl(vcpu%u, KVM_%s_MSRS): %d of %zu MSRs (%s)",
			 vcpu->index, set ? "SET" : "GET", n, SAVED_MSRS,
			 n < 0 ? strerror(errno) : "one was refused");
		return -1;
	}
	for (unsigned i = 0; !set && i < SAVED_MSRS; i++)
		s->msrs[i] = m.head.entries[i].data;
	return 0;
}

int arch_snapshot_save(struct vcpu *vcpu, uint8_t *out, char *err, size_t errlen)
{
	struct x86_snapshot s;
	memset(&s, 0, sizeof(s));
	if (vcpu_ioctl(vcpu, KVM_GET_REGS, &s.regs, "KVM_GET_REGS", err, errlen) < 0 ||
	    vcpu_ioctl(vcpu, KVM_GET_SREGS, &s.sregs, "KVM_GET_SREGS", err, errlen) < 0 ||
	    vcpu_ioctl(vcpu, KVM_GET_XSAVE, &s.xsave, "KVM_GET_XSAVE", err, errlen) < 0 ||
	    vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &s.events, "KVM_GET_VCPU_EVENTS", err, errlen) <
		0 ||
	    msrs_io(vcpu, &s, false, err, errlen) < 0)
		return -1;
	/* A vCPU inside a ring-0 fault stub is about to end the VM: there
	 * is no CPL 3 state to save. */
	if ((s.sregs.cs.selector & 3) != 3) {
		snprintf(err, errlen, "vCPU %u is handling a guest fault (CPL 0); try again",
			 vcpu->index);
		return -1;
	}
	memcpy(out, &s, sizeof(s));
	return 0;
}

/* CS: the 64-bit user code segment, as arch_vcpu_init() loads it. */
static bool user_code_ok(const struct kvm_segment *seg)
{
	return seg->selector == (X86_SEL_USER_CS | 3) && seg->dpl == 3 && seg->l == 1 &&
	       seg->db == 0 && seg->present == 1 && !seg->unusable && seg->s == 1 &&
	       (seg->type & 0x8) && seg->base == 0;
}

/* SS: the user data segment, present, usable, DPL 3. KVM takes the CPL
 * from SS.DPL (AMD always; Intel too in VMX's segment checks), so a
 * not-present or unusable SS with DPL 0 would resume the guest at CPL 0. */
static bool user_stack_ok(const struct kvm_segment *seg)
{
	return seg->selector == (X86_SEL_USER_DS | 3) && seg->dpl == 3 && seg->present == 1 &&
	       !seg->unusable && seg->s == 1 && (seg->type & 0xA) == 0x2;
}

/* DS, ES, FS, GS: a null selector (the guest may load one), or a present,
 * usable DPL 3 data segment with RPL 3, as a CPL 3 guest can load. */
static bool user_data_ok(const struct kvm_segment *seg)
{
	if ((seg->selector & ~3u) == 0)
		return true;
	return (seg->selector & 3) == 3 && seg->dpl == 3 && seg->present == 1 && !seg->unusable &&
	       seg->s == 1 && !(seg->type & 0x8);
}

/* TR: this vCPU's busy 64-bit TSS in lockvm's GDT. */
static bool task_register_ok(const struct kvm_segment *tr, unsigned index)
{
	return tr->base == X86_TSS_GPA + (uint64_t)index * X86_TSS_STRIDE &&
	       tr->selector == X86_SEL_TSS(index) && tr->limit == X86_TSS_LIMIT &&
	       tr->type == 0xB && tr->present == 1 && !tr->unusable && tr->s == 0;
}

int arch_snapshot_check(const uint8_t *blob, unsigned index, char *err, size_t errlen)
{
	struct x86_snapshot s;
	memcpy(&s, blob, sizeof(s));
	const struct kvm_sregs *sr = &s.sregs;
	if ((s.regs.rflags & ~RFLAGS_ALLOWED) || !(s.regs.rflags & RFLAGS_FIXED1) ||
	    ((s.regs.rflags & RFLAGS_IOPL) != 0 && (s.regs.rflags & RFLAGS_IOPL) != RFLAGS_IOPL)) {
		snprintf(err, errlen, "RFLAGS 0x%llx is not one a CPL 3 guest can have",
			 (unsigned long long)s.regs.rflags);
		return -1;
	}
	if (sr->cr0 != X86_CR0 || sr->cr3 != X86_PML4_GPA || sr->cr4 != X86_CR4 ||
	    sr->efer != X86_EFER) {
		snprintf(err, errlen,
			 "control registers (CR0 0x%llx CR3 0x%llx CR4 0x%llx EFER 0x%llx) "
			 "differ from lockvm's",
			 (unsigned long long)sr->cr0, (unsigned long long)sr->cr3,
			 (unsigned long long)sr->cr4, (unsigned long long)sr->efer);
		return -1;
	}
	if (!user_code_ok(&sr->cs)) {
		snprintf(err, errlen, "segment registers are not CPL 3 user segments (CS 0x%x)",
			 sr->cs.selector);
		return -1;
	}
	if (!user_stack_ok(&sr->ss)) {
		snprintf(err, errlen,
			 "SS is not the present, usable DPL 3 user data segment (selector 0x%x, "
			 "DPL %u, present %u, unusable %u)",
			 sr->ss.selector, sr->ss.dpl, sr->ss.present, sr->ss.unusable);
		return -1;
	}
	const struct kvm_segment *data[] = {&sr->ds, &sr->es, &sr->fs, &sr->gs};
	static const char *const data_names[] = {"DS", "ES", "FS", "GS"};
	for (unsigned i = 0; i < 4; i++) {
		if (!user_data_ok(data[i])) {
			snprintf(err, errlen,
				 "%s is neither null nor a present, usable DPL 3 data segment "
				 "(selector 0x%x, DPL %u, present %u)",
				 data_names[i], data[i]->selector, data[i]->dpl, data[i]->present);
			return -1;
		}
	}
	if (sr->gdt.base != X86_GDT_GPA || sr->idt.base != X86_IDT_GPA ||
	    sr->gdt.limit != (uint16_t)(X86_SEL_TSS(LOCKVM_MAX_VCPUS) - 1) ||
	    sr->idt.limit != 256 * 16 - 1 || !task_register_ok(&sr->tr, index) ||
	    !sr->ldt.unusable) {
		snprintf(err, errlen, "descriptor tables or task register differ from lockvm's");
		return -1;
	}
	for (unsigned i = 0; i < sizeof(sr->interrupt_bitmap) / sizeof(sr->interrupt_bitmap[0]);
	     i++) {
		if (sr->interrupt_bitmap[i]) {
			snprintf(err, errlen,
				 "a pending interrupt in the segment state's bitmap; a lockvm "
				 "guest has no interrupt source");
			return -1;
		}
	}
	const struct kvm_vcpu_events *ev = &s.events;
	if (ev->interrupt.injected) {
		snprintf(err, errlen,
			 "an injected interrupt (vector %u); a lockvm guest has no interrupt "
			 "source",
			 ev->interrupt.nr);
		return -1;
	}
	if (ev->nmi.injected || ev->nmi.pending || ev->smi.smm || ev->smi.pending ||
	    ev->smi.latched_init ||
	    ((ev->exception.injected || ev->exception.pending) && ev->exception.nr >= 32)) {
		snprintf(err, errlen,
			 "pending events (NMI, SMI, INIT or exception %u) a lockvm guest cannot "
			 "have",
			 ev->exception.nr);
		return -1;
	}
	for (unsigned i = 1; i < SAVED_MSRS; i++) {
		if (s.msrs[i]) {
			snprintf(err, errlen, "MSR 0x%x is 0x%llx; a lockvm guest leaves it 0",
				 saved_msrs[i], (unsigned long long)s.msrs[i]);
			return -1;
		}
	}
	return 0;
}

int arch_snapshot_load(struct vcpu *vcpu, const uint8_t *blob, char *err, size_t errlen)
{
	struct x86_snapshot s;
	memcpy(&s, blob, sizeof(s));
	/* Only the fields KVM documents as valid for these flags. */
	s.events.flags &= KVM_VCPUEVENT_VALID_SHADOW;
	memset(&s.events.reserved, 0, sizeof(s.events.reserved));
	/* The APIC base is the fresh vCPU's (arch_vcpu_init() ran), never the
	 * stream's: a lockvm guest cannot move or switch its APIC. */
	struct kvm_sregs fresh;
	if (vcpu_ioctl(vcpu, KVM_GET_SREGS, &fresh, "KVM_GET_SREGS", err, errlen) < 0)
		return -1;
	s.sregs.apic_base = fresh.apic_base;
	if (vcpu_ioctl(vcpu, KVM_SET_SREGS, &s.sregs, "KVM_SET_SREGS", err, errlen) < 0 ||
	    vcpu_ioctl(vcpu, KVM_SET_REGS, &s.regs, "KVM_SET_REGS", err, errlen) < 0 ||
	    vcpu_ioctl(vcpu, KVM_SET_XSAVE, &s.xsave, "KVM_SET_XSAVE", err, errlen) < 0 ||
	    msrs_io(vcpu, &s, true, err, errlen) < 0 ||
	    vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &s.events, "KVM_SET_VCPU_EVENTS", err, errlen) <
		0)
		return -1;
	return 0;
}

/* The page-table walk of arch_snapshot_memory: every table lies in the
 * table area, and no user-accessible leaf lets the guest write a runner
 * page. Each (table, level) is visited once, so a hostile table graph
 * costs at most TABLE_PAGES * 4 visits. */
struct walk {
	const struct guest_mem *mem;
	uint8_t seen[TABLE_PAGES];
	char *err;
	size_t errlen;
};

static int walk_table(struct walk *w, uint64_t table_gpa, unsigned level)
{
	if (table_gpa < X86_PML4_GPA || table_gpa >= X86_TABLES_END) {
		snprintf(w->err, w->errlen, "page table at 0x%llx lies outside the table area",
			 (unsigned long long)table_gpa);
		return -1;
	}
	unsigned slot = (unsigned)((table_gpa - X86_PML4_GPA) / LOCKVM_PAGE_SIZE);
	if (w->seen[slot] & (1u << level))
		return 0;
	w->seen[slot] |= (uint8_t)(1u << level);
	const uint64_t *table = guest_mem_ptr(w->mem, table_gpa, LOCKVM_PAGE_SIZE);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = table[i];
		if (!(e & PTE_P))
			continue;
		uint64_t target = e & PTE_ADDR;
		bool leaf = level == 0 || (level < 3 && (e & PTE_PS));
		if (level == 3 && (e & PTE_PS)) {
			snprintf(w->err, w->errlen, "PML4 entry %u is a large page", i);
			return -1;
		}
		if (!leaf) {
			if (walk_table(w, target, level - 1) < 0)
				return -1;
			continue;
		}
		uint64_t size = level == 0   ? LOCKVM_PAGE_SIZE
				: level == 1 ? 2ULL << 20
					     : 1ULL << 30;
		target &= ~(size - 1);
		if ((e & PTE_US) && (e & PTE_RW) && target < LOCKVM_RUNNER_END) {
			snprintf(w->err, w->errlen,
				 "page tables let the guest write runner page 0x%llx",
				 (unsigned long long)target);
			return -1;
		}
	}
	return 0;
}

/* Where va maps, walking from the PML4; false when not present. */
static bool translate(const struct guest_mem *mem, uint64_t va, uint64_t *pa)
{
	uint64_t table = X86_PML4_GPA;
	for (int level = 3; level >= 0; level--) {
		const uint64_t *t = guest_mem_ptr(mem, table, LOCKVM_PAGE_SIZE);
		if (!t)
			return false;
		uint64_t e = t[(va >> (12 + 9 * level)) & 511];
		if (!(e & PTE_P))
			return false;
		if (level == 0 || (level < 3 && (e & PTE_PS))) {
			uint64_t size = 1ULL << (12 + 9 * level);
			*pa = ((e & PTE_ADDR) & ~(size - 1)) | (va & (size - 1));
			return true;
		}
		table = e & PTE_ADDR;
	}
	return false;
}

int arch_snapshot_memory(struct vm *vm, char *err, size_t errlen)
{
	static struct walk w;
	memset(&w, 0, sizeof(w));
	w.mem = &vm->mem;
	w.err = err;
	w.errlen = errlen;
	if (vm->mem.size < LOCKVM_RUNNER_END || walk_table(&w, X86_PML4_GPA, 3) < 0)
		return -1;
	/* CPL 0 code (the stubs) and the tables it uses are reached through
	 * the runner's virtual addresses: they must map to themselves. */
	for (uint64_t va = LOCKVM_RUNNER_BASE; va < LOCKVM_RUNNER_END; va += LOCKVM_PAGE_SIZE) {
		uint64_t pa;
		if (translate(&vm->mem, va, &pa) && pa != va) {
			snprintf(err, errlen, "page tables map runner page 0x%llx to 0x%llx",
				 (unsigned long long)va, (unsigned long long)pa);
			return -1;
		}
	}
	/* The GDT, TSSs, IDT and stubs are lockvm's own: rebuilt, never
	 * taken from the stream. */
	x86_setup_descriptors(vm);
	return 0;
}
