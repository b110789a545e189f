/* Hostile: unbounded recursion until the stack guard page. */
#include "hostile.h"
#pragma GCC diagnostic ignored "-Winfinite-recursion" /* the point of this guest */
static unsigned long depth(volatile unsigned long n)
{
	volatile char pad[256];
	pad[0] = (char)n;
	return depth(n + 1) + pad[0];
}
int main(int argc, char **argv)
{
	return (int)depth(0);
}
