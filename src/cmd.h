/* cmd.h: the subcommands main.c dispatches to, and the outcomes they report.
 * Each cmd_<name> gets argv with argv[0] = "<name>" and returns an outcome;
 * only main.c maps outcomes to exit statuses. */
#ifndef GB_CMD_H
#define GB_CMD_H

enum gb_outcome {
    GB_DONE = 0,        /* everything succeeded                         -> 0 */
    GB_SOME_FAILED = 1, /* finished, some jobs/instances failed         -> 1 */
    GB_USAGE = 2,       /* usage, pipeline or input error, nothing sent -> 2 */
    GB_ABORTED = 3,     /* run aborted: auth, unreachable, failure run  -> 3 */
    GB_BUDGET = 4,      /* stopped at the cost budget (--max-cost)      -> 4 */
    GB_BATCH_RUNNING = 5, /* Batch Mode jobs still running              -> 5 */
    GB_BUSY = 75,       /* OUTDIR held by another run: nothing done     -> 75
                         * (EX_TEMPFAIL: a scheduler may try again later) */
    GB_INTERRUPTED = 130, /* SIGINT/SIGTERM, drained and flushed       -> 130 */
};

int cmd_run(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_emulate(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_prices(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_batches(int argc, char **argv);

#endif
