/* url.h: URLs that came from a flag, the environment or a server: redacted
 * before they are stored or shown, reduced to their origin (scheme, host,
 * port) to decide where the API key may go, and an upload URL moved onto the
 * endpoint's origin. Parsing is libcurl's (CURLU), the parser that connects.
 * Ownership: functions returning char * return new strings the caller frees. */
#ifndef GB_URL_H
#define GB_URL_H

/* url with its secrets replaced by "REDACTED": the user and password of
 * "user:password@host", every query value ("?key=REDACTED"), and any
 * fragment. Works on text curl cannot parse too. NULL only on ENOMEM. */
char *url_redact(const char *url);

/* "scheme://host:port" in lower case, the port always written (443 for
 * https); NULL if url is not an http or https URL with a host. */
char *url_origin(const char *url);

/* 1 if url is an http or https URL with a host. */
int url_is_http(const char *url);

/* 1 if a and b are http(s) URLs of the same origin; 0 otherwise (also when
 * either is not one). */
int url_same_origin(const char *a, const char *b);

/* url with the scheme, host and port of base (what SDK 3.x does with the
 * Files API's upload URL, so the key and the bytes go to the endpoint and
 * nowhere else); path and query stay. 0 with *out new, or GB_EINVAL when
 * url is not an http or https URL (file://, gopher://, junk), GB_ENOMEM. */
int url_rebase(const char *url, const char *base, char **out);

#endif
