/* Hostile: prints the CPUID bits of virtualisation features a guest must not see (VMX, SMX, SVM, SGX, the SVM, SEV and KVM feature leaves), each 0 when hidden. */
#include "hostile.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

int main(int argc, char **argv)
{
	uint32_t l1[4], l7[4], e1[4], svm[4], sev[4], kvm[4], max[4], emax[4], sgx[4];
	cpuid(0, 0, max);
	cpuid(0x80000000, 0, emax);
	cpuid(1, 0, l1);
	cpuid(7, 0, l7);
	cpuid(0x80000001, 0, e1);
	cpuid(0x8000000A, 0, svm);
	cpuid(0x8000001F, 0, sev);
	cpuid(0x40000001, 0, kvm);
	cpuid(0x12, 0, sgx);
	lv_printf("vmx=%u smx=%u svm=%u sgx=%u sgx_lc=%u\n", (l1[2] >> 5) & 1, (l1[2] >> 6) & 1,
		  (e1[2] >> 2) & 1, (l7[1] >> 2) & 1, (l7[2] >> 30) & 1);
	/* Leaves past the maximum return the highest basic leaf on Intel: only
	 * read them when they exist. */
	lv_printf("svm_leaf=%x sev_leaf=%x sgx_leaf=%x kvm_features=%x\n",
		  emax[0] >= 0x8000000A ? svm[0] | svm[1] | svm[2] | svm[3] : 0,
		  emax[0] >= 0x8000001F ? sev[0] | sev[1] | sev[2] | sev[3] : 0,
		  max[0] >= 0x12 ? sgx[0] | sgx[1] | sgx[2] | sgx[3] : 0, kvm[0] | kvm[3]);
	lv_printf("hypervisor=%u\n", (l1[2] >> 31) & 1);
	return 0;
}
