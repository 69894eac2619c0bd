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

Test(sniff, frame_syncs_are_weak_and_containers_are_not)
{
    struct sniff_result r = sn("\xff\xfb\x90\x64\0\0", 6);
    cr_expect_eq(r.weak, 1, "a bare MP3 frame sync is only a hint");
    r = sn("\xff\xf1\x50\x80\x02\x1f\xfc", 7);
    cr_expect_eq(r.weak, 1, "a bare ADTS sync is only a hint");
    r = sn("ID3\x03\0\0\0\0\0\0", 10);
    cr_expect_eq(r.weak, 0, "an ID3 tag is a container");
    r = sn("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    cr_expect_eq(r.weak, 0);
}

Test(sniff, a_second_frame_where_the_first_ends_is_proof)
{
    /* MPEG-1 layer III, 128 kbit/s, 44.1 kHz, no padding: 417-byte frames */
    unsigned char b[2048];
    memset(b, 0x55, sizeof b);
    for (size_t off = 0; off + 4 <= sizeof b; off += 417)
        memcpy(b + off, "\xff\xfb\x90\x64", 4);
    struct mpa_frame f;
    cr_assert(sniff_mpa_frame(b, sizeof b, &f));
    cr_expect_eq(f.len, 417);
    cr_expect_eq(f.bitrate, 128000);
    cr_expect_eq(f.rate, 44100);
    cr_expect_eq(f.samples, 1152);
    struct sniff_result r = sn(b, sizeof b);
    cr_expect_str_eq(r.mime, "audio/mp3");
    cr_expect_eq(r.weak, 0);
    b[417] = '{'; /* the next "frame" is text: only a hint again */
    r = sn(b, sizeof b);
    cr_expect_eq(r.weak, 1);
    /* ADTS: the frame length is in the header (here 300 bytes) */
    memset(b, 0x55, sizeof b);
    static const unsigned char adts[7] = {0xff, 0xf1, 0x50, 0x80, 300 >> 3, (300 & 7) << 5 | 0x1f, 0xfc};
    memcpy(b, adts, 7);
    memcpy(b + 300, adts, 7);
    r = sn(b, sizeof b);
    cr_expect_str_eq(r.mime, "audio/aac");
    cr_expect_eq(r.weak, 0);
}

Test(sniff, media_means_image_audio_video_or_pdf)
{
    struct sniff_result r = sn("%PDF-1.7\n", 9);
    cr_expect(sniff_is_media(&r));
    r = sn("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    cr_expect(sniff_is_media(&r));
    const char *t = "id,amount\n1,2\n3,4\n";
    r = sn(t, strlen(t));
    cr_expect_str_eq(r.type ? r.type : "(null)", "document");
    cr_expect_not(sniff_is_media(&r), "%s is a document but no media", r.mime);
    r = sn("\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0", 16);
    cr_expect_not(sniff_is_media(&r));
}

Test(sniff, the_table_alone_never_asks_libmagic)
{
    const char *t = "plain text\n";
    struct sniff_result r = sniff_table(t, strlen(t));
    cr_expect_null(r.type);
    cr_expect_null(r.mime);
    r = sniff_table("OggS\0\2\0\0\0\0\0\0\0\0\1vorbis", 21);
    cr_expect_str_eq(r.mime, "audio/ogg");
}
