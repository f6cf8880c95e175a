/* main.c - switchboard, the desktop app */
#include "swb-application.h"

int
main(int argc, char **argv)
{
	g_autoptr(SwbApplication) app = swb_application_new();

	return g_application_run(G_APPLICATION(app), argc, argv);
}
