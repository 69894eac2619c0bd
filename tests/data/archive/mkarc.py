#!/usr/bin/env python3
"""mkarc.py: archives for the archive-*.sh scenarios, made by code so nothing
big or binary is committed. Everything streams: no archive is held in memory.

usage:
  mkarc.py hostile OUT.tar MEDIA OUTSIDE  traversal names, absolute paths,
                                          links (one into OUTSIDE), devices
  mkarc.py gzbomb OUT.tar.gz MEDIA SIZE   a.png, b.png, then bomb.png: SIZE
                                          bytes, almost all zeros (~1030:1)
  mkarc.py zipbomb OUT.zip MEDIA MIB      first.png, bomb.png (MIB MiB of
                                          zeros), after.png; --stream writes
                                          sizes after the data
  mkarc.py bigtar SIZE SHAFILE            to stdout: a tar holding
                                          videos/big.mp4 of SIZE bytes; its
                                          SHA-256 goes to SHAFILE
  mkarc.py cut IN OUT FRACTION            the first FRACTION of IN
  mkarc.py many OUT.tar.gz N              N PNG entries that do not compress
                                          (so the archive spans many blocks),
                                          prints "name<TAB>sha256" lines
"""
import hashlib, io, os, struct, sys, tarfile, zipfile, zlib


def png_of(media):
    return open(os.path.join(media, "img0.png"), "rb").read()


def entry(name, data, size=None, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.mode = 0o644
    ti.size = (len(data) if size is None else size) if kind == tarfile.REGTYPE else 0
    b = ti.tobuf(format=tarfile.GNU_FORMAT)
    if kind != tarfile.REGTYPE:
        return b
    b += data
    return b + b"\0" * ((-len(b)) % 512) if size is None else b


def hostile(out, media, outside):
    png = png_of(media)
    parts = [
        entry("ok.png", png),
        entry("../x.png", png),
        entry("/etc/x.png", png),              # kept as etc/x.png, inside OUTDIR's spool only
        entry("a/../../b.png", png),
        entry("../" * 12 + "tmp/gb-escape.png", png),
        entry("sym.png", b"", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        entry("ln", b"", kind=tarfile.SYMTYPE, link=outside),
        entry("ln/evil.png", png),             # through the link, if anything followed it
        entry("hard.png", b"", kind=tarfile.LNKTYPE, link="/etc/passwd"),
        entry("dev", b"", kind=tarfile.CHRTYPE),
        entry("fifo", b"", kind=tarfile.FIFOTYPE),
        entry("ctl\x1b[2J.png", png),
        entry("dir/", b"", kind=tarfile.DIRTYPE),
        entry("last.png", png),
    ]
    with open(out, "wb") as f:
        f.write(b"".join(parts) + b"\0" * 1024)


def gz(data):
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def gzbomb(out, media, size):
    png = png_of(media)
    block = 64 << 20
    with open(out, "wb") as f:
        # one gzip member per 64 MiB of zeros: gzip readers join members
        f.write(gz(entry("a.png", png) + entry("b.png", png) + entry("bomb.png", png[:8], size)))
        zero = gz(b"\0" * block)
        left = size - 8
        while left >= block:
            f.write(zero)
            left -= block
        f.write(gz(b"\0" * left + b"\0" * ((-size) % 512) + b"\0" * 1024))


class Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes sizes after the data."""
    def __init__(self, f):
        self.f, self.n = f, 0
    def writable(self):
        return True
    def write(self, b):
        self.n += len(b)
        return self.f.write(b)
    def tell(self):
        return self.n


def zipbomb(out, media, mib, stream):
    png = png_of(media)
    with open(out, "wb") as raw:
        dst = Unseekable(raw) if stream else raw
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
            z.writestr("first.png", png)
            with z.open("bomb.png", "w", force_zip64=True) as e:
                e.write(png[:8])
                zero = b"\0" * (1 << 20)
                for _ in range(mib):
                    e.write(zero)
            z.writestr("after.png", png)


def bigtar(size, shafile):
    out = sys.stdout.buffer
    ti = tarfile.TarInfo("videos/big.mp4")
    ti.size, ti.mode = size, 0o644
    out.write(ti.tobuf(format=tarfile.USTAR_FORMAT))
    h = hashlib.sha256()
    head = (struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00isomiso2" +
            struct.pack(">I", min(size - 24, 0xffffffff)) + b"mdat")
    block = os.urandom(1 << 20)
    h.update(head)
    out.write(head)
    left = size - len(head)
    while left:
        b = block[:min(left, len(block))]
        h.update(b)
        out.write(b)
        left -= len(b)
    out.write(b"\0" * ((-size) % 512) + b"\0" * 1024)
    out.flush()
    with open(shafile, "w") as f:
        f.write(h.hexdigest() + "\n")


def cut(src, dst, frac):
    data = open(src, "rb").read()
    open(dst, "wb").write(data[:int(len(data) * frac)])


def many(out, n):
    import tarfile as tf
    with tf.open(out, "w:gz") as t:
        for i in range(n):
            # a PNG signature then noise: sniffed as PNG, does not compress
            data = b"\x89PNG\r\n\x1a\n" + os.urandom(20000 + i)
            name = f"scan/{i:03d}.png"
            ti = tf.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
            print(f"{name}\t{hashlib.sha256(data).hexdigest()}")


def main():
    a = sys.argv[1:]
    if a[0] == "hostile":
        hostile(a[1], a[2], a[3])
    elif a[0] == "gzbomb":
        gzbomb(a[1], a[2], int(a[3]))
    elif a[0] == "zipbomb":
        zipbomb(a[1], a[2], int(a[3]), "--stream" in a)
    elif a[0] == "bigtar":
        bigtar(int(a[1]), a[2])
    elif a[0] == "cut":
        cut(a[1], a[2], float(a[3]))
    elif a[0] == "many":
        many(a[1], int(a[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
