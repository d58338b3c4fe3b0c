// SPDX-License-Identifier: GPL-2.0
/*
 * lvctl: the labvisor user-space controller.
 */
#include <stdio.h>
#include <string.h>

#include "builtin.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		pr_err("usage: lvctl run|stat|trace [options] ... (lvctl run --help, lvctl stat --help, lvctl trace --help)");
		return LVCTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "stat"))
		return cmd_stat(argc - 1, argv + 1);
	if (!strcmp(argv[1], "trace"))
		return cmd_trace(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		run_usage(stdout);
		return 0;
	}
	pr_err("unknown command '%s' (run, stat or trace; lvctl run --help)",
	       argv[1]);
	return LVCTL_EXIT_USAGE;
}
