/* The pod's sandbox program for tests/integration/cri.sh: it holds the
 * pod until it is stopped (SIGTERM or SIGKILL end it by their default
 * action), as Kubernetes' pause does. Built static at test time. */
#include <unistd.h>

int main(void)
{
	for (;;)
		pause();
}
