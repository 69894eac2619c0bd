/* test_sniff.c: media types from content, for each format Gemini takes. */
#include <criterion/criterion.h>
#include <string.h>

#include "sniff.h"

static struct sniff_result sn(const void *b, size_t n)
{
    struct sniff s;
    sniff_init(&s);
    struct sniff_result r = sniff_buf(&s, b, n);
    sniff_free(&s);
    return r;
}

#define EXPECT(bytes, type_, mime_)                                                               \
    do {                                                                                          \
        struct sniff_result r = sn(bytes, sizeof(bytes) - 1);                                     \
        cr_expect_str_eq(r.type ? r.type : "(null)", type_, "%s", mime_);                       \
        cr_expect_str_eq(r.mime ? r.mime : "(null)", mime_);                                     \
    } while (0)

Test(sniff, images)
{
    EXPECT("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image", "image/png");
    EXPECT("\xff\xd8\xff\xe0\0\x10JFIF", "image", "image/jpeg");
    EXPECT("GIF89a\1\0\1\0", "image", "image/gif");
    EXPECT("RIFF\x10\0\0\0WEBPVP8 ", "image", "image/webp");
    EXPECT("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", "image", "image/heic");
    EXPECT("\0\0\0\x18" "ftypmif1\0\0\0\0mif1heic", "image", "image/heif");
}

Test(sniff, audio)
{
    EXPECT("RIFF\x24\0\0\0WAVEfmt ", "audio", "audio/wav");
    EXPECT("ID3\x03\0\0\0\0\0\0", "audio", "audio/mp3");
    EXPECT("\xff\xfb\x90\x64\0\0", "audio", "audio/mp3");
    EXPECT("fLaC\0\0\0\x22", "audio", "audio/flac");
    EXPECT("OggS\0\2\0\0\0\0\0\0\0\0\1vorbis", "audio", "audio/ogg");
    EXPECT("\xff\xf1\x50\x80\x02\x1f\xfc", "audio", "audio/aac");
    EXPECT("FORM\0\0\0\0AIFFCOMM", "audio", "audio/aiff");
}

Test(sniff, video_and_documents)
{
    EXPECT("\0\0\0\x18" "ftypisom\0\0\2\0isomiso2", "video", "video/mp4");
    EXPECT("\0\0\0\x14" "ftypqt  \0\0\2\0qt  ", "video", "video/mov");
    EXPECT("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video", "video/webm");
    EXPECT("RIFF\x10\0\0\0AVI LIST", "video", "video/avi");
    EXPECT("%PDF-1.7\n%\xe2\xe3", "document", "application/pdf");
}

Test(sniff, unknown_binary_is_unsupported)
{
    struct sniff_result r = sn("\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0", 16);
    cr_expect_null(r.type);
}

Test(sniff, plain_text_is_a_document)
{
    const char *t = "just some plain text\nwith two lines\n";
    struct sniff_result r = sn(t, strlen(t));
    cr_expect_str_eq(r.type ? r.type : "(null)", "document");
    cr_expect_str_eq(r.mime, "text/plain");
}
