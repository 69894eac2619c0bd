/* cmd_delete.c: `gembatch delete ID`: delete a stored interaction. */
#include "apicall.h"
#include "cmd.h"

int cmd_delete(int argc, char **argv)
{
    return apicall_cmd(argc, argv, "DELETE", "Delete a stored interaction.");
}
