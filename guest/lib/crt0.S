/* Guest entry: the runner enters here at CPL 3 with RDI = boot info, RSI = vCPU index, RSP = stack top. */
	.section .text.start, "ax"
	.globl _start
	.type _start, @function
_start:
	xorl %ebp, %ebp
	andq $-16, %rsp
	call lv_start
	ud2
	.size _start, . - _start
	.section .note.GNU-stack, "", @progbits
