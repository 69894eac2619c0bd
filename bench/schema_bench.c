/* schema_bench.c: validations per second of a typical 20-field extraction
 * schema (formats, patterns, enums, bounds, a nested object, an array of
 * objects) against a valid instance, on one core. Goal: >= 200,000/s.
 * Usage: build/bench/schema_bench [SECONDS] (default 2). Exit 1 below goal. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "schema.h"

static const char schema_text[] =
    "{\"$defs\":{"
    " \"LineItem\":{\"type\":\"object\",\"properties\":{"
    "  \"sku\":{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}-\\\\d{4}$\"},"
    "  \"description\":{\"type\":\"string\",\"maxLength\":200},"
    "  \"quantity\":{\"type\":\"integer\",\"minimum\":1},"
    "  \"unit_price\":{\"type\":\"number\",\"minimum\":0,\"multipleOf\":0.01}},"
    "  \"required\":[\"sku\",\"quantity\",\"unit_price\"],\"additionalProperties\":false},"
    " \"Address\":{\"type\":\"object\",\"properties\":{"
    "  \"street\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"},"
    "  \"postal_code\":{\"type\":\"string\",\"pattern\":\"^\\\\d{5}(-\\\\d{4})?$\"},"
    "  \"country\":{\"type\":\"string\",\"enum\":[\"US\",\"CA\",\"GB\",\"DE\",\"FR\"]}},"
    "  \"required\":[\"street\",\"city\",\"country\"]}},"
    "\"type\":\"object\",\"title\":\"Invoice\",\"properties\":{"
    " \"invoice_id\":{\"type\":\"string\",\"pattern\":\"^INV-[0-9]{6}$\"},"
    " \"issued\":{\"type\":\"string\",\"format\":\"date\"},"
    " \"due\":{\"type\":\"string\",\"format\":\"date\"},"
    " \"created_at\":{\"type\":\"string\",\"format\":\"date-time\"},"
    " \"vendor\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":120},"
    " \"vendor_email\":{\"type\":\"string\",\"format\":\"email\"},"
    " \"vendor_site\":{\"type\":\"string\",\"format\":\"uri\"},"
    " \"customer_id\":{\"type\":\"string\",\"format\":\"uuid\"},"
    " \"currency\":{\"type\":\"string\",\"enum\":[\"USD\",\"EUR\",\"GBP\",\"CAD\",\"JPY\"]},"
    " \"status\":{\"type\":\"string\",\"enum\":[\"draft\",\"sent\",\"paid\",\"overdue\"]},"
    " \"subtotal\":{\"type\":\"number\",\"minimum\":0},"
    " \"tax_rate\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
    " \"total\":{\"type\":\"number\",\"exclusiveMinimum\":0},"
    " \"page_count\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":500},"
    " \"confidence\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
    " \"notes\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},"
    " \"paid\":{\"type\":\"boolean\"},"
    " \"billing_address\":{\"$ref\":\"#/$defs/Address\"},"
    " \"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":10,"
    "  \"uniqueItems\":true},"
    " \"line_items\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#/$defs/"
    "LineItem\"}}},"
    "\"required\":[\"invoice_id\",\"issued\",\"vendor\",\"currency\",\"total\",\"line_items\","
    " \"status\",\"billing_address\"],"
    "\"additionalProperties\":false}";

static const char instance_text[] =
    "{\"invoice_id\":\"INV-004211\",\"issued\":\"2024-03-14\",\"due\":\"2024-04-13\","
    "\"created_at\":\"2024-03-14T09:26:53Z\",\"vendor\":\"Granite & Willow Supply Co.\","
    "\"vendor_email\":\"billing@granite-willow.example.com\","
    "\"vendor_site\":\"https://granite-willow.example.com/invoices\","
    "\"customer_id\":\"6f1c2a7e-9b3d-4c5e-8f70-1a2b3c4d5e6f\",\"currency\":\"USD\","
    "\"status\":\"sent\",\"subtotal\":1180.5,\"tax_rate\":0.0825,\"total\":1277.89,"
    "\"page_count\":2,\"confidence\":0.93,\"notes\":null,\"paid\":false,"
    "\"billing_address\":{\"street\":\"12 Harbor Lane\",\"city\":\"Portland\","
    "\"postal_code\":\"97201\",\"country\":\"US\"},"
    "\"tags\":[\"hardware\",\"q1\"],"
    "\"line_items\":["
    "{\"sku\":\"BRK-1001\",\"description\":\"Oak brackets\",\"quantity\":40,\"unit_price\":12.25},"
    "{\"sku\":\"HNG-2040\",\"description\":\"Brass hinges\",\"quantity\":100,\"unit_price\":3.9},"
    "{\"sku\":\"SCR-0008\",\"quantity\":500,\"unit_price\":0.35}]}";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    json_error_t jerr;
    json_t *doc = json_loads(schema_text, 0, &jerr);
    json_t *inst = json_loads(instance_text, 0, &jerr);
    struct schema *s = NULL;
    struct gb_err err = {0};
    if (!doc || !inst || schema_compile(doc, "bench", &s, &err)) {
        fprintf(stderr, "schema_bench: setup failed: %s%s\n", jerr.text, err.msg);
        return 2;
    }
    json_t *errors = NULL;
    if (schema_validate(s, inst, &errors, 0) != 1) {
        char *e = json_dumps(errors, JSON_COMPACT);
        fprintf(stderr, "schema_bench: the instance should be valid: %s\n", e ? e : "");
        free(e);
        return 2;
    }
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 1000; i++)
            n += schema_validate(s, inst, NULL, 0);
        t = now_s();
    } while (t - t0 < seconds);
    double rate = (double)n / (t - t0);
    printf("schema_bench: %.0f validations/s (20-field invoice schema, %ld in %.2f s, one core)\n",
           rate, n, t - t0);
    schema_free(s);
    json_decref(doc);
    json_decref(inst);
    return rate >= 200000 ? 0 : 1;
}
