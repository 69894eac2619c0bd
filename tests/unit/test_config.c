/* test_config.c: --shard K/N and --shard auto from Slurm array and Kubernetes
 * Indexed Job variables; per-shard keys and endpoints from the environment;
 * rpm/tpm split across shards. Each Criterion test runs in its own process,
 * so setting the environment here touches no other test. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "pipeline.h"

static const char *const vars[] = {"SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN",
                                   "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_COUNT",
                                   "SLURM_ARRAY_TASK_STEP", "JOB_COMPLETION_INDEX",
                                   "GEMBATCH_SHARDS", "GEMINI_API_KEY", "GOOGLE_API_KEY",
                                   "GEMINI_API_KEY_1", "GEMINI_API_KEY_2", "GEMINI_BASE_URL",
                                   "GEMINI_BASE_URL_2", NULL};

static void clean_env(void)
{
    for (int i = 0; vars[i]; i++)
        unsetenv(vars[i]);
}

/* shard of "auto" with the given NAME=VALUE pairs, or -1 with the error */
static int auto_shard(int *n, const char *const *env)
{
    clean_env();
    for (int i = 0; env[i]; i += 2)
        setenv(env[i], env[i + 1], 1);
    struct config c;
    struct gb_err err = {0};
    config_defaults(&c);
    int rc = config_parse_shard(&c, "auto", &err);
    *n = c.shard_n;
    return rc ? -1 : c.shard_k;
}

#define AUTO(n, ...) auto_shard(n, (const char *const[]){__VA_ARGS__, NULL})

Test(config, shard_k_of_n)
{
    struct config c;
    struct gb_err err = {0};
    config_defaults(&c);
    cr_expect_eq(config_parse_shard(&c, "3/8", &err), 0);
    cr_expect_eq(c.shard_k, 3);
    cr_expect_eq(c.shard_n, 8);
    cr_expect_neq(config_parse_shard(&c, "0/8", &err), 0);
    cr_expect_neq(config_parse_shard(&c, "9/8", &err), 0);
    cr_expect_neq(config_parse_shard(&c, "2", &err), 0);
    cr_expect_neq(config_parse_shard(&c, "a/b", &err), 0);
}

Test(config, shard_auto_slurm)
{
    int n;
    /* --array=0-3 and --array=1-4: the first task is shard 1 either way */
    for (int t = 0; t < 4; t++) {
        char id[16];
        snprintf(id, sizeof id, "%d", t);
        cr_expect_eq(AUTO(&n, "SLURM_ARRAY_TASK_ID", id, "SLURM_ARRAY_TASK_MIN", "0",
                          "SLURM_ARRAY_TASK_MAX", "3"), t + 1);
        cr_expect_eq(n, 4);
        snprintf(id, sizeof id, "%d", t + 1);
        cr_expect_eq(AUTO(&n, "SLURM_ARRAY_TASK_ID", id, "SLURM_ARRAY_TASK_MIN", "1",
                          "SLURM_ARRAY_TASK_MAX", "4", "SLURM_ARRAY_TASK_COUNT", "4"), t + 1);
        cr_expect_eq(n, 4);
    }
    /* COUNT alone means a 0-based range */
    cr_expect_eq(AUTO(&n, "SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_COUNT", "5"), 3);
    cr_expect_eq(n, 5);
    /* --array=1-7:2 */
    cr_expect_eq(AUTO(&n, "SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_MIN", "1",
                      "SLURM_ARRAY_TASK_MAX", "7", "SLURM_ARRAY_TASK_STEP", "2"), 3);
    cr_expect_eq(n, 4);
    cr_expect_eq(AUTO(&n, "SLURM_ARRAY_TASK_ID", "4", "SLURM_ARRAY_TASK_MIN", "1",
                      "SLURM_ARRAY_TASK_MAX", "7", "SLURM_ARRAY_TASK_STEP", "2"), -1);
    /* GEMBATCH_SHARDS wins over the array's count */
    cr_expect_eq(AUTO(&n, "SLURM_ARRAY_TASK_ID", "11", "SLURM_ARRAY_TASK_MIN", "10",
                      "SLURM_ARRAY_TASK_MAX", "19", "GEMBATCH_SHARDS", "2"), 2);
    cr_expect_eq(n, 2);
    cr_expect_eq(AUTO(&n, "SLURM_ARRAY_TASK_ID", "12", "SLURM_ARRAY_TASK_MIN", "10",
                      "GEMBATCH_SHARDS", "2"), -1);
    /* no count at all */
    cr_expect_eq(AUTO(&n, "SLURM_ARRAY_TASK_ID", "1"), -1);
}

Test(config, shard_auto_kubernetes)
{
    int n;
    cr_expect_eq(AUTO(&n, "JOB_COMPLETION_INDEX", "0", "GEMBATCH_SHARDS", "3"), 1);
    cr_expect_eq(AUTO(&n, "JOB_COMPLETION_INDEX", "2", "GEMBATCH_SHARDS", "3"), 3);
    cr_expect_eq(n, 3);
    cr_expect_eq(AUTO(&n, "JOB_COMPLETION_INDEX", "3", "GEMBATCH_SHARDS", "3"), -1);
    cr_expect_eq(AUTO(&n, "JOB_COMPLETION_INDEX", "0"), -1);
    cr_expect_eq(AUTO(&n, "JOB_COMPLETION_INDEX", "x", "GEMBATCH_SHARDS", "3"), -1);
    cr_expect_eq(AUTO(&n, "GEMBATCH_SHARDS", "3"), -1);
}

Test(config, per_shard_key_and_endpoint)
{
    struct config c;
    struct gb_err err = {0};
    clean_env();
    setenv("GEMINI_API_KEY", "shared", 1);
    setenv("GEMINI_API_KEY_2", "own", 1);
    setenv("GEMINI_BASE_URL", "http://shared", 1);
    setenv("GEMINI_BASE_URL_2", "http://own", 1);
    config_defaults(&c);
    cr_expect_str_eq(config_shard_env(&c, "GEMINI_BASE_URL", NULL), "http://shared");
    cr_expect_eq(config_load_key(&c, NULL, &err), 0);
    cr_expect_str_eq(c.api_key, "shared"); /* not sharded: the suffixed ones mean nothing */
    config_free(&c);
    config_defaults(&c);
    cr_expect_eq(config_parse_shard(&c, "2/3", &err), 0);
    int own = 0;
    cr_expect_str_eq(config_shard_env(&c, "GEMINI_BASE_URL", &own), "http://own");
    cr_expect_eq(own, 1);
    cr_expect_eq(config_load_key(&c, NULL, &err), 0);
    cr_expect_str_eq(c.api_key, "own");
    cr_expect_eq(c.key_per_shard, 1);
    config_free(&c);
    config_defaults(&c);
    cr_expect_eq(config_parse_shard(&c, "1/3", &err), 0);
    cr_expect_str_eq(config_shard_env(&c, "GEMINI_BASE_URL", &own), "http://shared");
    cr_expect_eq(own, 0);
    cr_expect_eq(config_load_key(&c, NULL, &err), 0);
    cr_expect_str_eq(c.api_key, "shared");
    cr_expect_eq(c.key_per_shard, 0);
    config_free(&c);
    setenv("GEMINI_API_KEY_1", "", 1); /* empty: as if unset */
    config_defaults(&c);
    cr_expect_eq(config_parse_shard(&c, "1/3", &err), 0);
    cr_expect_eq(config_load_key(&c, NULL, &err), 0);
    cr_expect_str_eq(c.api_key, "shared");
    config_free(&c);
}

Test(config, rates_split_across_shards)
{
    struct config c;
    struct gb_err err = {0};
    clean_env();
    config_defaults(&c);
    c.rpm = 1000;
    c.tpm = 90000;
    config_split_limits(&c); /* not sharded */
    cr_expect_eq(c.rpm, 1000);
    cr_expect_eq(config_parse_shard(&c, "2/3", &err), 0);
    config_split_limits(&c);
    cr_expect_eq(c.rpm, 333);
    cr_expect_eq(c.tpm, 30000);
    config_defaults(&c);
    c.rpm = 2;
    cr_expect_eq(config_parse_shard(&c, "1/4", &err), 0);
    config_split_limits(&c);
    cr_expect_eq(c.rpm, 1); /* never 0, which would mean unlimited */
    cr_expect_eq(c.tpm, 0); /* unlimited stays unlimited */
    config_defaults(&c);
    c.rpm = 1000;
    c.key_per_shard = 1;
    cr_expect_eq(config_parse_shard(&c, "1/4", &err), 0);
    config_split_limits(&c);
    cr_expect_eq(c.rpm, 1000); /* its own key: its own quota */
}

Test(config, defaults_as_documented)
{
    struct config c;
    config_defaults(&c);
    cr_expect_eq(c.concurrency, 32);
    cr_expect_eq(c.max_attempts, 6);
    cr_expect_float_eq(c.poll_initial_s, 2.0, 1e-9); /* agents: first poll after 2 s, */
    cr_expect_float_eq(c.poll_max_s, 60.0, 1e-9);    /* growing x1.5 up to a minute, */
    cr_expect_float_eq(c.bg_deadline_s, 3600.0, 1e-9); /* for an hour at most */
    cr_expect_eq(c.reask, 2);
    cr_expect_eq(c.max_tool_turns, 8);
    config_free(&c);
}

/* issue 14 point 8: a key with a control character would end the header line
 * and inject its own; it is refused (exit 2 in cmd_run), and never printed */
Test(config, key_with_control_characters_is_refused)
{
    struct config c;
    struct gb_err err = {0};
    clean_env();
    config_defaults(&c);
    setenv("GEMINI_API_KEY", "AIzaGood\r\nX-Evil: 1", 1);
    cr_assert_eq(config_load_key(&c, NULL, &err), GB_EINVAL);
    cr_assert_null(c.api_key);
    cr_assert(strstr(err.msg, "GEMINI_API_KEY") && strstr(err.msg, "control character"), "%s",
              err.msg);
    cr_assert_null(strstr(err.msg, "AIzaGood"), "the key is never printed");
    setenv("GEMINI_API_KEY", "AIza\tGood", 1);
    cr_assert_eq(config_load_key(&c, NULL, &err), GB_EINVAL);
    setenv("GEMINI_API_KEY", "AIzaGood-123_ok", 1);
    cr_assert_eq(config_load_key(&c, NULL, &err), 0);
    cr_assert_str_eq(c.api_key, "AIzaGood-123_ok");
    config_free(&c);
}

Test(config, key_file_with_control_characters_is_refused)
{
    char path[] = "/tmp/gb-key-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "AIzaGood\rX-Evil: 1\n", 19), 19);
    close(fd);
    struct config c;
    struct gb_err err = {0};
    config_defaults(&c);
    cr_assert_eq(config_load_key(&c, path, &err), GB_EINVAL);
    cr_assert_null(c.api_key);
    cr_assert(strstr(err.msg, "--api-key-file"), "%s", err.msg);
    unlink(path);
    config_free(&c);
}

Test(config, key_file_readable_by_others_warns, .init = cr_redirect_stderr)
{
    char path[] = "/tmp/gb-key-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "AIzaGood\n", 9), 9);
    close(fd);
    struct config c;
    struct gb_err err = {0};
    config_defaults(&c);
    cr_assert_eq(config_load_key(&c, path, &err), 0); /* mkstemp: 0600, no warning */
    config_free(&c);
    chmod(path, 0644);
    config_defaults(&c);
    cr_assert_eq(config_load_key(&c, path, &err), 0);
    cr_assert_str_eq(c.api_key, "AIzaGood");
    config_free(&c);
    unlink(path);
    fflush(stderr);
    char want[256];
    snprintf(want, sizeof want,
             "gembatch: warning: --api-key-file '%s' is readable by other users (mode 644); "
             "chmod 600 it\n",
             path);
    cr_assert_stderr_eq_str(want);
}

Test(config, endpoint_must_be_http)
{
    struct gb_err err = {0};
    cr_assert_eq(config_check_endpoint("https://generativelanguage.googleapis.com", &err), 0);
    cr_assert_eq(config_check_endpoint("http://127.0.0.1:8080/", &err), 0);
    cr_assert_eq(config_check_endpoint("file:///etc/passwd", &err), GB_EINVAL);
    cr_assert_eq(config_check_endpoint("gopher://u:hunter2@h:70/?key=s", &err), GB_EINVAL);
    cr_assert_null(strstr(err.msg, "hunter2"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "=s"), "%s", err.msg);
    cr_assert(strstr(err.msg, "gopher://REDACTED@h:70/?key=REDACTED"), "%s", err.msg);
    /* a query would land mid-path once paths are appended, and a key in it
     * would go out in every URL: refused, the key not repeated */
    cr_assert_eq(config_check_endpoint("https://proxy.example/?key=AIzaSecret", &err), GB_EINVAL);
    cr_assert_null(strstr(err.msg, "AIzaSecret"), "%s", err.msg);
    cr_assert(strstr(err.msg, "has a query or a fragment"), "%s", err.msg);
    cr_assert_eq(config_check_endpoint("http://127.0.0.1:8080/#x", &err), GB_EINVAL);
}

/* issue 14 point 4: the image caps come from the pipeline's limits unless a
 * flag set them */
Test(config, image_caps_from_pipeline_unless_flagged)
{
    struct config c;
    struct pipeline p;
    memset(&p, 0, sizeof p);
    p.limits.max_images_per_answer = 8;
    p.limits.max_images = 500;
    int seen[16] = {0};
    config_defaults(&c);
    cr_expect_eq(c.max_images_per_answer, 64);
    cr_expect_eq(c.max_images, 100000);
    cr_expect_eq(c.max_buffered_bytes, 320u << 20);
    config_apply_pipeline(&c, &p, seen);
    cr_expect_eq(c.max_images_per_answer, 8);
    cr_expect_eq(c.max_images, 500);
    config_defaults(&c);
    c.max_images_per_answer = 200;
    seen[5] = seen[6] = 1; /* the flags were given */
    c.max_images = 7;
    config_apply_pipeline(&c, &p, seen);
    cr_expect_eq(c.max_images_per_answer, 200);
    cr_expect_eq(c.max_images, 7);
}

/* The URL config_endpoint_strip leaves (or "=" for unchanged, "!" refused). */
static void expect_endpoint(const char *url, enum dialect d, const char *want)
{
    char *s = NULL;
    struct gb_err err = {0};
    int rc = config_endpoint_strip(url, d, "--endpoint", &s, &err);
    if (!strcmp(want, "!")) {
        cr_expect_neq(rc, 0, "'%s' was taken", url);
        cr_expect(strstr(err.msg, url) != NULL, "the message names the URL: %s", err.msg);
    } else if (!strcmp(want, "=")) {
        cr_expect_eq(rc, 0, "'%s': %s", url, err.msg);
        cr_expect_null(s, "'%s' was changed to '%s'", url, s ? s : "");
    } else {
        cr_expect_eq(rc, 0, "'%s': %s", url, err.msg);
        cr_expect_str_eq(s ? s : "(unchanged)", want, "%s", url);
    }
    free(s);
}

Test(config, endpoint_version_segment_stripped_or_refused)
{
    expect_endpoint("https://generativelanguage.googleapis.com", DIALECT_V1BETA, "=");
    expect_endpoint("http://127.0.0.1:8080/", DIALECT_V1BETA, "=");
    expect_endpoint("http://proxy/gemini", DIALECT_V1BETA, "=");
    expect_endpoint("http://proxy/v1beta", DIALECT_V1BETA, "http://proxy");
    expect_endpoint("http://proxy/v1beta/", DIALECT_V1BETA, "http://proxy");
    expect_endpoint("http://proxy/gemini/v1beta//", DIALECT_V1BETA, "http://proxy/gemini");
    expect_endpoint("http://proxy:99/v1", DIALECT_V1, "http://proxy:99");
    expect_endpoint("http://proxy/v1", DIALECT_V1BETA, "!");
    expect_endpoint("http://proxy/v1beta", DIALECT_V1, "!");
    expect_endpoint("http://proxy/v1alpha", DIALECT_V1BETA, "!");
    expect_endpoint("http://proxy/v2beta3", DIALECT_V1, "!");
    /* not version segments */
    expect_endpoint("http://proxy/v1betas", DIALECT_V1BETA, "=");
    expect_endpoint("http://proxy/vault", DIALECT_V1BETA, "=");
    expect_endpoint("http://proxy/v", DIALECT_V1BETA, "=");
    expect_endpoint("http://v1beta", DIALECT_V1BETA, "="); /* a host, not a path */
    expect_endpoint("http://proxy/v1beta?key=x", DIALECT_V1BETA, "="); /* left as given */
}

Test(config, fix_endpoint_keeps_the_stripped_copy)
{
    struct config c;
    config_defaults(&c);
    c.quiet = 1;
    c.endpoint = "http://h/v1";
    c.dialect = DIALECT_V1;
    struct gb_err err = {0};
    cr_assert_eq(config_fix_endpoint(&c, "GEMINI_BASE_URL", &err), 0, "%s", err.msg);
    cr_expect_str_eq(c.endpoint, "http://h");
    cr_expect_eq(c.endpoint, c.endpoint_owned);
    c.endpoint = "http://h/v1";
    c.dialect = DIALECT_V1BETA;
    cr_expect_neq(config_fix_endpoint(&c, "GEMINI_BASE_URL", &err), 0);
    cr_expect(strstr(err.msg, "GEMINI_BASE_URL 'http://h/v1'") != NULL, "%s", err.msg);
    config_free(&c);
}

Test(config, cacert_checked_up_front)
{
    char dir[] = "/tmp/gb-cacert-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char pem[300], txt[300], big[300];
    snprintf(pem, sizeof pem, "%s/ca.pem", dir);
    snprintf(txt, sizeof txt, "%s/notes.txt", dir);
    snprintf(big, sizeof big, "%s/bundle.pem", dir);
    FILE *f = fopen(pem, "w");
    fputs("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", f);
    fclose(f);
    f = fopen(txt, "w");
    fputs("{\"name\":\"a pipeline, not a CA\"}\n", f);
    fclose(f);
    /* a bundle whose first marker sits past the first read, across its edge */
    f = fopen(big, "w");
    for (int i = 0; i < 65536 - 10; i++)
        fputc(i % 64 == 63 ? '\n' : 'x', f);
    fputs("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", f);
    fclose(f);
    struct gb_err err = {0};
    cr_expect_eq(config_check_cacert(pem, &err), 0, "%s", err.msg);
    cr_expect_eq(config_check_cacert(big, &err), 0, "%s", err.msg);
    cr_expect_eq(config_check_cacert(txt, &err), GB_EINVAL);
    cr_expect(strstr(err.msg, "holds no PEM certificate"), "%s", err.msg);
    cr_expect_eq(config_check_cacert("/nonexistent/ca.pem", &err), GB_ENOENT);
    cr_expect(strstr(err.msg, "--cacert '/nonexistent/ca.pem': No such file"), "%s", err.msg);
    cr_expect_eq(config_check_cacert(dir, &err), GB_EINVAL, "a folder");
    unlink(pem);
    unlink(txt);
    unlink(big);
    rmdir(dir);
}
