#!/usr/bin/env python3
"""mkmedia.py: write small but well-formed media files for tests, from code
(nothing binary is committed): PNG and WAV are fully valid; JPEG, GIF, WebP,
MP3, FLAC, OGG, MP4, WebM and PDF carry real headers so type sniffing and the
emulator's byte counts and digests can be checked.

usage: mkmedia.py OUTDIR [--copies N]   prints one "relative-path<TAB>sha256" line per file
       mkmedia.py OUTDIR --big N          only big0.png .. big{N-1}.png: 120x120, stored
                                          uncompressed (about 43 KB: over a 20K inline limit)
"""
import hashlib, os, struct, sys, wave, zlib


def png(w, h, seed, level=6):
    raw = b"".join(b"\x00" + b"".join(bytes(((x * 7 + y * 3 + seed) & 255, (x + seed) & 255,
                                              (y * 5) & 255)) for x in range(w)) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, level)) + chunk(b"IEND", b""))


def wav(path, seconds, seed):
    with wave.open(path, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(8000)
        f.writeframes(b"".join(struct.pack("<h", ((i * (seed + 3)) % 2000) - 1000)
                               for i in range(int(8000 * seconds))))


def filler(n, seed):
    return bytes((i * 131 + seed * 7) & 255 for i in range(n))


def main():
    out = sys.argv[1]
    copies = int(sys.argv[sys.argv.index("--copies") + 1]) if "--copies" in sys.argv else 1
    os.makedirs(out, exist_ok=True)
    files = {}
    if "--big" in sys.argv:
        copies = 0
        for k in range(int(sys.argv[sys.argv.index("--big") + 1])):
            files[f"big{k}.png"] = png(120, 120, k + 3, 0)
    for k in range(copies):
        files[f"img{k}.png"] = png(16 + k, 12 + k, k)
        files[f"photo{k}.jpg"] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + filler(600 + k, k) + b"\xff\xd9"
        files[f"anim{k}.gif"] = b"GIF89a\x01\x00\x01\x00\x00\x00\x00" + filler(40 + k, k) + b";"
        riff = b"WEBPVP8 " + filler(100 + k, k)
        files[f"pic{k}.webp"] = b"RIFF" + struct.pack("<I", len(riff)) + riff
        files[f"song{k}.mp3"] = b"ID3\x03\x00\x00\x00\x00\x00\x00" + (b"\xff\xfb\x90\x64" + filler(413, k)) * 3
        files[f"sound{k}.flac"] = b"fLaC\x00\x00\x00\x22" + filler(300 + k, k)
        files[f"voice{k}.ogg"] = b"OggS\x00\x02" + filler(20, k) + b"\x01vorbis" + filler(200 + k, k)
        files[f"clip{k}.mp4"] = struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00isomiso2" + struct.pack(">I", 8 + 900 + k) + b"mdat" + filler(900 + k, k)
        files[f"clip{k}.webm"] = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + filler(500 + k, k)
        files[f"doc{k}.pdf"] = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                                b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                                b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
                                + filler(100 + k, k) + b"\n%%EOF\n")
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    for k in range(copies):
        wav(os.path.join(out, f"speech{k}.wav"), 0.2 + 0.05 * k, k)
    for name in sorted(os.listdir(out)):
        p = os.path.join(out, name)
        if os.path.isfile(p):
            print(f"{name}\t{hashlib.sha256(open(p, 'rb').read()).hexdigest()}")


if __name__ == "__main__":
    main()
