/* `lockvm check`: host validation (placeholder until the checks land). */
#include "util.h"

int check_main(int argc, char **argv)
{
	die("check: not implemented yet");
}
