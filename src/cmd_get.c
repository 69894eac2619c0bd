/* cmd_get.c: `gembatch get ID`: print a stored interaction as JSON. */
#include "apicall.h"
#include "cmd.h"

int cmd_get(int argc, char **argv)
{
    return apicall_cmd(argc, argv, "GET", "Fetch a stored interaction and print it as JSON.");
}
