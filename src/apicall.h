/* apicall.h: one blocking API call for the small subcommands (get, delete):
 * endpoint, dialect, key and CA handling shared with `run`, the body printed
 * to stdout, errors mapped to outcomes.
 * Ownership: nothing is kept after the call returns. */
#ifndef GB_APICALL_H
#define GB_APICALL_H

/* argv/argc as given to cmd_get or cmd_delete; method "GET" or "DELETE". */
int apicall_cmd(int argc, char **argv, const char *method, const char *summary);

#endif
