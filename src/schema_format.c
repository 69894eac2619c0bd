/* schema_format.c: the "format" names we assert (RFC 3339 dates, times and
 * durations, e-mail, UUID, URI, IPv4, IPv6, hostname) and plausible values of
 * each for the generator. Pure functions over bytes: no allocation except the
 * caller's output buffer, no state. Unknown names are annotations (FMT_NONE). */
#include <string.h>
#include <strings.h>

#include "schema_int.h"

static const struct {
    const char *name;
    enum sformat f;
} formats[] = {
    {"date-time", FMT_DATE_TIME},
    {"date", FMT_DATE},
    {"time", FMT_TIME},
    {"duration", FMT_DURATION},
    {"email", FMT_EMAIL},
    {"uuid", FMT_UUID},
    {"uri", FMT_URI},
    {"ipv4", FMT_IPV4},
    {"ipv6", FMT_IPV6},
    {"hostname", FMT_HOSTNAME},
};

enum sformat fmt_lookup(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name))
            return formats[i].f;
    return FMT_NONE;
}

/* Character classes for the URI and e-mail grammars, one table lookup per
 * byte instead of strchr: formats sit on the validation hot path. */
enum {
    C_UNRES = 1 << 0, /* RFC 3986 unreserved: ALPHA DIGIT - . _ ~ */
    C_SUBD = 1 << 1,  /* RFC 3986 sub-delims: ! $ & ' ( ) * + , ; = */
    C_ATEXT = 1 << 2, /* RFC 5322 atext */
    C_COLON = 1 << 3,
    C_AT = 1 << 4,
    C_SLASH = 1 << 5,
    C_QMARK = 1 << 6,
};

#define IS_AN(c)                                                                                   \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9'))
#define IS_SUBD(c)                                                                                 \
    ((c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' ||          \
     (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=')
#define IS_ATEXT(c)                                                                                \
    (IS_AN(c) || (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' ||             \
     (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '/' || (c) == '=' ||          \
     (c) == '?' || (c) == '^' || (c) == '_' || (c) == '`' || (c) == '{' || (c) == '|' ||           \
     (c) == '}' || (c) == '~')
#define CLS(c)                                                                                     \
    ((IS_AN(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' ? C_UNRES : 0) |            \
     (IS_SUBD(c) ? C_SUBD : 0) | (IS_ATEXT(c) ? C_ATEXT : 0) | ((c) == ':' ? C_COLON : 0) |        \
     ((c) == '@' ? C_AT : 0) | ((c) == '/' ? C_SLASH : 0) | ((c) == '?' ? C_QMARK : 0))
#define R4(b) CLS(b), CLS((b) + 1), CLS((b) + 2), CLS((b) + 3)
#define R16(b) R4(b), R4((b) + 4), R4((b) + 8), R4((b) + 12)
#define R64(b) R16(b), R16((b) + 16), R16((b) + 32), R16((b) + 48)
static const unsigned char cclass[256] = {R64(0), R64(64), R64(128), R64(192)};

static int cc(char c, unsigned mask)
{
    return (cclass[(unsigned char)c] & mask) != 0;
}

static int isdig(char c)
{
    return c >= '0' && c <= '9';
}

static int isalpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ishex(char c)
{
    return isdig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* n ASCII digits at s as a number, -1 if any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdig(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* ---- RFC 3339 --------------------------------------------------------------------- */

static int check_date(const char *s, size_t len)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < 0 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int maxd = mdays[m - 1] + (m == 2 && leap);
    return d <= maxd;
}

/* partial-time time-offset; leap second only at 23:59:60 UTC. */
static int check_time(const char *s, size_t len)
{
    if (len < 9 || s[2] != ':' || s[5] != ':')
        return 0;
    int h = digits(s, 2), mi = digits(s + 3, 2), sec = digits(s + 6, 2);
    if (h < 0 || mi < 0 || sec < 0 || h > 23 || mi > 59 || sec > 60)
        return 0;
    size_t i = 8;
    if (i < len && s[i] == '.') {
        i++;
        size_t start = i;
        while (i < len && isdig(s[i]))
            i++;
        if (i == start)
            return 0;
    }
    if (i >= len)
        return 0;
    int off_min = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        if (len - i != 6 || s[i + 3] != ':')
            return 0;
        int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
        if (oh < 0 || om < 0 || oh > 23 || om > 59)
            return 0;
        off_min = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return 0;
    }
    if (i != len)
        return 0;
    if (sec == 60) {
        int utc = ((h * 60 + mi - off_min) % 1440 + 1440) % 1440;
        if (utc != 23 * 60 + 59)
            return 0;
    }
    return 1;
}

static int check_date_time(const char *s, size_t len)
{
    if (len < 20 || (s[10] != 'T' && s[10] != 't'))
        return 0;
    return check_date(s, 10) && check_time(s + 11, len - 11);
}

/* RFC 3339 Appendix A duration grammar, recursive descent. */
static int dur_num(const char *s, size_t len, size_t *i, char *unit)
{
    size_t start = *i;
    while (*i < len && isdig(s[*i]))
        (*i)++;
    if (*i == start || *i >= len)
        return 0;
    *unit = s[(*i)++];
    return 1;
}

static int check_duration(const char *s, size_t len)
{
    size_t i = 0;
    char u;
    if (len < 3 || s[0] != 'P')
        return 0;
    i = 1;
    if (s[i] != 'T') {
        if (!dur_num(s, len, &i, &u))
            return 0;
        if (u == 'W')
            return i == len;
        /* dur-date: day / month [day] / year [month [day]] */
        static const char order[] = "YMD";
        const char *at = strchr(order, u);
        if (!at)
            return 0;
        int pos = (int)(at - order);
        while (i < len && s[i] != 'T') {
            if (!dur_num(s, len, &i, &u))
                return 0;
            at = strchr(order, u);
            if (!at || (int)(at - order) != pos + 1)
                return 0;
            pos++;
        }
        if (i == len)
            return 1;
    }
    /* dur-time: "T" hour [minute [second]] / minute [second] / second */
    i++;
    if (i >= len)
        return 0;
    static const char torder[] = "HMS";
    int pos = -1;
    while (i < len) {
        if (!dur_num(s, len, &i, &u))
            return 0;
        const char *at = strchr(torder, u);
        if (!at)
            return 0;
        int p = (int)(at - torder);
        if (pos >= 0 && p != pos + 1)
            return 0;
        pos = p;
    }
    return 1;
}

/* ---- network names ------------------------------------------------------------------ */

static int check_ipv4(const char *s, size_t len)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= len || s[i] != '.')
                return 0;
            i++;
        }
        size_t start = i;
        int v = 0;
        while (i < len && isdig(s[i]) && i - start < 3)
            v = v * 10 + (s[i++] - '0');
        size_t nd = i - start;
        if (nd == 0 || v > 255 || (nd > 1 && s[start] == '0'))
            return 0;
    }
    return i == len;
}

static int check_ipv6(const char *s, size_t len)
{
    if (len < 2 || len > 45)
        return 0;
    int groups = 0, dbl = 0;
    size_t i = 0;
    if (s[0] == ':') {
        if (s[1] != ':')
            return 0;
        dbl = 1;
        i = 2;
        if (i == len)
            return 1;
    }
    while (i < len) {
        size_t start = i;
        while (i < len && ishex(s[i]) && i - start < 5)
            i++;
        size_t nh = i - start;
        if (i < len && s[i] == '.') {
            /* Embedded IPv4 in the last 32 bits. */
            if (!check_ipv4(s + start, len - start))
                return 0;
            groups += 2;
            i = len;
            break;
        }
        if (nh == 0 || nh > 4)
            return 0;
        groups++;
        if (i == len)
            break;
        if (s[i] != ':')
            return 0;
        i++;
        if (i < len && s[i] == ':') {
            if (dbl)
                return 0;
            dbl = 1;
            i++;
            if (i == len)
                break;
        } else if (i == len) {
            return 0; /* trailing single colon */
        }
    }
    return dbl ? groups <= 7 : groups == 8;
}

static int check_hostname(const char *s, size_t len)
{
    if (len == 0 || len > 253)
        return 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!isalpha_(c) && !isdig(c) && c != '-')
            return 0;
        if (c == '-' && label == 0)
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0 && s[len - 1] != '-';
}

static int atext(char c)
{
    return cc(c, C_ATEXT);
}

static int check_email(const char *s, size_t len)
{
    size_t at;
    size_t i = 0;
    if (len && s[0] == '"') {
        i = 1;
        while (i < len && s[i] != '"') {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\') {
                if (i + 1 >= len || (unsigned char)s[i + 1] < 32 || (unsigned char)s[i + 1] > 126)
                    return 0;
                i += 2;
                continue;
            }
            if (c < 32 || c > 126)
                return 0;
            i++;
        }
        if (i >= len)
            return 0;
        i++;
        if (i >= len || s[i] != '@' || i == 2)
            return 0;
        at = i;
    } else {
        size_t start = 0;
        for (; i < len && s[i] != '@'; i++) {
            if (s[i] == '.') {
                if (i == start)
                    return 0;
                start = i + 1;
            } else if (!atext(s[i])) {
                return 0;
            }
        }
        if (i >= len || i == 0 || i == start)
            return 0;
        at = i;
    }
    const char *d = s + at + 1;
    size_t dl = len - at - 1;
    if (dl >= 2 && d[0] == '[' && d[dl - 1] == ']') {
        if (dl > 7 && !strncmp(d + 1, "IPv6:", 5))
            return check_ipv6(d + 6, dl - 7);
        return check_ipv4(d + 1, dl - 2);
    }
    return check_hostname(d, dl);
}

static int check_uuid(const char *s, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!ishex(s[i])) {
            return 0;
        }
    }
    return 1;
}

/* ---- RFC 3986 absolute URI ------------------------------------------------------------ */

static int unreserved(char c)
{
    return cc(c, C_UNRES);
}

static int sub_delim(char c)
{
    return cc(c, C_SUBD);
}

/* Every byte in [a, b) is allowed by ok() or extra, %XX escapes included. */
static int uri_chars(const char *s, size_t a, size_t b, unsigned extra)
{
    for (size_t i = a; i < b; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= b + 0 || !ishex(s[i + 1]) || !ishex(s[i + 2]))
                return 0;
            i += 2;
            continue;
        }
        if (cc(c, C_UNRES | C_SUBD | extra))
            continue;
        return 0;
    }
    return 1;
}

static int check_authority(const char *s, size_t a, size_t b)
{
    size_t at = b;
    for (size_t i = a; i < b; i++)
        if (s[i] == '@') {
            at = i;
            break;
        }
    size_t h = a;
    if (at < b) {
        if (!uri_chars(s, a, at, C_COLON))
            return 0;
        h = at + 1;
    }
    size_t port = b;
    if (h < b && s[h] == '[') {
        size_t close = h;
        while (close < b && s[close] != ']')
            close++;
        if (close >= b)
            return 0;
        const char *ip = s + h + 1;
        size_t ipl = close - h - 1;
        if (ipl > 0 && (ip[0] == 'v' || ip[0] == 'V')) {
            size_t k = 1;
            while (k < ipl && ishex(ip[k]))
                k++;
            if (k == 1 || k >= ipl || ip[k] != '.' || k + 1 >= ipl)
                return 0;
            for (k++; k < ipl; k++)
                if (!unreserved(ip[k]) && !sub_delim(ip[k]) && ip[k] != ':')
                    return 0;
        } else if (!check_ipv6(ip, ipl)) {
            return 0;
        }
        if (close + 1 < b && s[close + 1] != ':')
            return 0;
        port = close + 1;
    } else {
        size_t k = h;
        while (k < b && s[k] != ':')
            k++;
        port = k;
        if (!uri_chars(s, h, port, 0))
            return 0;
    }
    if (port < b) {
        if (s[port] != ':')
            return 0;
        for (size_t k = port + 1; k < b; k++)
            if (!isdig(s[k]))
                return 0;
    }
    return 1;
}

static int check_uri(const char *s, size_t len)
{
    size_t i = 0;
    if (!len || !isalpha_(s[0]))
        return 0;
    while (i < len && (isalpha_(s[i]) || isdig(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= len || s[i] != ':')
        return 0;
    i++;
    size_t end = len, q = len, f = len;
    for (size_t k = i; k < len; k++)
        if (s[k] == '#') {
            f = k;
            break;
        }
    for (size_t k = i; k < f; k++)
        if (s[k] == '?') {
            q = k;
            break;
        }
    end = q < f ? q : f;
    size_t path = i;
    if (end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        size_t a = i + 2, b = a;
        while (b < end && s[b] != '/')
            b++;
        if (!check_authority(s, a, b))
            return 0;
        path = b;
    }
    if (!uri_chars(s, path, end, C_COLON | C_AT | C_SLASH))
        return 0;
    if (q < f && !uri_chars(s, q + 1, f, C_COLON | C_AT | C_SLASH | C_QMARK))
        return 0;
    if (f < len && !uri_chars(s, f + 1, len, C_COLON | C_AT | C_SLASH | C_QMARK))
        return 0;
    return 1;
}

int fmt_check(enum sformat f, const char *s, size_t len)
{
    if (memchr(s, '\0', len))
        return 0;
    switch (f) {
    case FMT_NONE:
        return 1;
    case FMT_DATE_TIME:
        return check_date_time(s, len);
    case FMT_DATE:
        return check_date(s, len);
    case FMT_TIME:
        return check_time(s, len);
    case FMT_DURATION:
        return check_duration(s, len);
    case FMT_EMAIL:
        return check_email(s, len);
    case FMT_UUID:
        return check_uuid(s, len);
    case FMT_URI:
        return check_uri(s, len);
    case FMT_IPV4:
        return check_ipv4(s, len);
    case FMT_IPV6:
        return check_ipv6(s, len);
    case FMT_HOSTNAME:
        return check_hostname(s, len);
    }
    return 1;
}

/* ---- generation ------------------------------------------------------------------------ */

const char *const schema_words[] = {
    "alpha",   "amber",  "anchor", "apple",  "arrow",  "autumn", "basin",   "beacon",  "birch",
    "bridge",  "canyon", "cedar",  "chalk",  "cloud",  "copper", "coral",   "delta",   "dune",
    "ember",   "falcon", "fern",   "field",  "flint",  "forest", "garden",  "glacier", "granite",
    "harbor",  "hazel",  "island", "ivory",  "jasper", "lagoon", "lantern", "linen",   "maple",
    "meadow",  "mist",   "north",  "oak",    "ocean",  "olive",  "orchid",  "pebble",  "pine",
    "prairie", "quartz", "rain",   "raven",  "reef",   "ridge",  "river",   "sage",    "salt",
    "shore",   "silver", "slate",  "spring", "stone",  "summit", "thistle", "timber",  "valley",
    "willow",  "winter", "zephyr",
};
const size_t schema_nwords = sizeof schema_words / sizeof schema_words[0];

static const char *const first_names[] = {"ada",    "alan",    "grace", "linus", "margaret",
                                          "dennis", "barbara", "ken",   "radia", "edsger"};
static const char *const domains[] = {"example.com", "example.org", "example.net",
                                      "mail.example.com"};

static const char *word(struct rng *r)
{
    return schema_words[rng_below(r, schema_nwords)];
}

int fmt_generate(enum sformat f, struct rng *r, struct buf *out)
{
    int y = 2000 + (int)rng_below(r, 26), mo = 1 + (int)rng_below(r, 12),
        d = 1 + (int)rng_below(r, 28), h = (int)rng_below(r, 24), mi = (int)rng_below(r, 60),
        s = (int)rng_below(r, 60);
    switch (f) {
    case FMT_NONE:
        return buf_puts(out, word(r));
    case FMT_DATE_TIME:
        return buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
    case FMT_DATE:
        return buf_printf(out, "%04d-%02d-%02d", y, mo, d);
    case FMT_TIME:
        return buf_printf(out, "%02d:%02d:%02dZ", h, mi, s);
    case FMT_DURATION:
        switch (rng_below(r, 4)) {
        case 0:
            return buf_printf(out, "P%dD", 1 + (int)rng_below(r, 30));
        case 1:
            return buf_printf(out, "PT%dH%dM", 1 + (int)rng_below(r, 12), mi);
        case 2:
            return buf_printf(out, "P%dDT%dH", 1 + (int)rng_below(r, 6), 1 + h);
        default:
            return buf_printf(out, "P%dW", 1 + (int)rng_below(r, 8));
        }
    case FMT_EMAIL:
        return buf_printf(out, "%s.%s@%s", first_names[rng_below(r, 10)], word(r),
                          domains[rng_below(r, 4)]);
    case FMT_UUID: {
        uint64_t a = rng_next(r), b = rng_next(r);
        return buf_printf(out, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
                          (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
                          0x8000 | ((unsigned)(b >> 48) & 0x3fff),
                          (unsigned long long)(b & 0xffffffffffffULL));
    }
    case FMT_URI:
        return buf_printf(out, "https://%s/%s/%s-%d", domains[rng_below(r, 4)], word(r), word(r),
                          (int)rng_below(r, 1000));
    case FMT_IPV4:
        return buf_printf(out, "%d.%d.%d.%d", 10 + (int)rng_below(r, 190), (int)rng_below(r, 256),
                          (int)rng_below(r, 256), 1 + (int)rng_below(r, 254));
    case FMT_IPV6:
        return buf_printf(out, "2001:db8::%x:%x", (unsigned)rng_below(r, 0xffff) + 1,
                          (unsigned)rng_below(r, 0xffff) + 1);
    case FMT_HOSTNAME:
        return buf_printf(out, "%s.%s", word(r), domains[rng_below(r, 4)]);
    }
    return buf_puts(out, word(r));
}

/* ---- text ------------------------------------------------------------------------- */

enum text_kind { TEXT_WORDS, TEXT_NAME, TEXT_SENTENCE, TEXT_EMAIL, TEXT_URL, TEXT_DATE, TEXT_ID };

static int key_has(const char *key, size_t keylen, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; key && i + wl <= keylen; i++)
        if (!strncasecmp(key + i, word, wl))
            return 1;
    return 0;
}

/* What a property's name says its text looks like ("title", "summary"...). */
static enum text_kind text_kind_of(const char *key, size_t keylen)
{
    static const char *const sentence[] = {"description", "summary", "note",    "comment",
                                           "text",        "body",    "reason",  "explanation",
                                           "message",     "content", "caption", "answer"};
    static const char *const name[] = {"name",    "title",  "label",    "author", "city",
                                       "company", "vendor", "category", "street"};
    if (!key)
        return TEXT_WORDS;
    for (size_t i = 0; i < sizeof sentence / sizeof sentence[0]; i++)
        if (key_has(key, keylen, sentence[i]))
            return TEXT_SENTENCE;
    if (key_has(key, keylen, "email"))
        return TEXT_EMAIL;
    if (key_has(key, keylen, "url") || key_has(key, keylen, "link") ||
        key_has(key, keylen, "website"))
        return TEXT_URL;
    if (key_has(key, keylen, "date"))
        return TEXT_DATE;
    for (size_t i = 0; i < sizeof name / sizeof name[0]; i++)
        if (key_has(key, keylen, name[i]))
            return TEXT_NAME;
    if ((keylen == 2 && key_has(key, keylen, "id")) ||
        (keylen > 3 && (!strcmp(key + keylen - 3, "_id") || !strcmp(key + keylen - 2, "Id"))))
        return TEXT_ID;
    return TEXT_WORDS;
}

int fmt_text(const char *key, size_t keylen, long minl, long maxl, struct rng *r, struct buf *out)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    enum text_kind kind = text_kind_of(key, keylen);
    int nw = 1 + (int)rng_below(r, 3);
    if (kind == TEXT_SENTENCE)
        nw = 5 + (int)rng_below(r, 8);
    if (kind == TEXT_EMAIL)
        fmt_generate(FMT_EMAIL, r, &b);
    else if (kind == TEXT_URL)
        fmt_generate(FMT_URI, r, &b);
    else if (kind == TEXT_DATE)
        fmt_generate(FMT_DATE, r, &b);
    else if (kind == TEXT_ID)
        buf_printf(&b, "%s-%04d", schema_words[rng_below(r, schema_nwords)],
                   (int)rng_below(r, 10000));
    for (int i = 0; (kind <= TEXT_SENTENCE && i < nw) || (long)b.len < minl; i++) {
        if (b.len)
            buf_putc(&b, ' ');
        size_t at = b.len;
        buf_puts(&b, schema_words[rng_below(r, schema_nwords)]);
        if (kind == TEXT_NAME || (kind == TEXT_SENTENCE && at == 0))
            b.data[at] = (char)(b.data[at] - 'a' + 'A');
        if (b.len > 100000)
            break;
    }
    if (kind == TEXT_SENTENCE)
        buf_putc(&b, '.');
    if (maxl >= 0 && (long)b.len > maxl) {
        b.len = (size_t)maxl;
        while (b.len > 0 && (long)b.len > minl && b.data[b.len - 1] == ' ')
            b.len--;
        if (b.data)
            b.data[b.len] = '\0';
    }
    while ((long)b.len < minl)
        buf_putc(&b, 'a');
    int rc = buf_append(out, b.data ? b.data : "", b.len);
    buf_free(&b);
    return rc;
}
