/* x86-64 layout facts shared by the boot, vCPU and --linux entry code: where each vCPU's stack ends, what a CPL-3 segment is. */
#include <linux/kvm.h>

#include "arch_x86_64.h"

uint64_t x86_stack_top(uint64_t ram_size, unsigned index)
{
	return ram_size - (uint64_t)index * (LOCKVM_STACK_SIZE + LOCKVM_STACK_GUARD);
}

struct kvm_segment x86_user_segment(uint16_t selector, bool code)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xFFFFFFFF,
	    .selector = selector | 3,
	    .type = code ? 0xB : 0x3, /* execute/read or read/write, accessed */
	    .present = 1,
	    .dpl = 3,
	    .db = code ? 0 : 1,
	    .s = 1,
	    .l = code ? 1 : 0,
	    .g = 1,
	};
}
