/* probe.h: one free request to tell whether an endpoint is the gembatch
 * emulator (its answers carry EMULATOR_HEADER), so a folder of synthetic
 * answers is never resumed against the real service, which would mix real
 * answers in and pay for them.
 * Ownership: nothing is kept after the call returns. */
#ifndef GB_PROBE_H
#define GB_PROBE_H

#include "err.h"

/* GET base_url/files?pageSize=1 (base_url ends with the API version) with
 * the key: 1 when the answer carries the emulator header, 0 when it does
 * not, or a negative GB_E* code (err filled) when nothing answered. */
int probe_is_emulator(const char *base_url, const char *api_key, const char *cacert,
                      struct gb_err *err);

#endif
