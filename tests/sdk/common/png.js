// png.js: an independent PNG reader for checking generated images: signature,
// chunk CRCs, IHDR, IDAT inflated with zlib, every scanline un-filtered.
// Throws an Error naming the first defect.
import { inflateSync } from 'node:zlib';
import { crc32 } from './media.js';

const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export function decodePng(buf) {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIG)) throw new Error('PNG: bad signature');
  let off = 8;
  const chunks = [];
  while (off < buf.length) {
    if (off + 12 > buf.length) throw new Error(`PNG: truncated chunk header at ${off}`);
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > buf.length) throw new Error(`PNG: chunk ${type} overruns the file`);
    const data = buf.subarray(off + 8, off + 8 + len);
    const want = buf.readUInt32BE(off + 8 + len);
    const got = crc32(buf.subarray(off + 4, off + 8 + len));
    if (want !== got) throw new Error(`PNG: CRC mismatch in ${type} (file ${want.toString(16)}, computed ${got.toString(16)})`);
    chunks.push({ type, data });
    off += 12 + len;
    if (type === 'IEND') break;
  }
  if (off !== buf.length) throw new Error(`PNG: ${buf.length - off} bytes after IEND`);
  if (chunks[0]?.type !== 'IHDR') throw new Error('PNG: first chunk is not IHDR');
  if (chunks.at(-1)?.type !== 'IEND') throw new Error('PNG: no IEND');
  const h = chunks[0].data;
  if (h.length !== 13) throw new Error('PNG: IHDR length');
  const width = h.readUInt32BE(0), height = h.readUInt32BE(4);
  const bitDepth = h[8], colorType = h[9], interlace = h[12];
  if (!width || !height) throw new Error('PNG: zero dimension');
  if (!(colorType in CHANNELS)) throw new Error(`PNG: colour type ${colorType}`);
  if (h[10] !== 0 || h[11] !== 0) throw new Error('PNG: compression/filter method');
  if (interlace !== 0) throw new Error('PNG: interlaced images are not checked here');
  if (![1, 2, 4, 8, 16].includes(bitDepth)) throw new Error(`PNG: bit depth ${bitDepth}`);
  if (colorType === 3 && !chunks.some((c) => c.type === 'PLTE')) throw new Error('PNG: palette image without PLTE');
  const idat = Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
  if (!idat.length) throw new Error('PNG: no IDAT');
  const raw = inflateSync(idat); // throws on a bad zlib stream or Adler-32
  const bpp = Math.max(1, (CHANNELS[colorType] * bitDepth) >> 3);
  const stride = Math.ceil((width * CHANNELS[colorType] * bitDepth) / 8);
  if (raw.length !== (stride + 1) * height) {
    throw new Error(`PNG: inflated ${raw.length} bytes, expected ${(stride + 1) * height}`);
  }
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      let p;
      switch (f) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: {
          const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`PNG: bad filter type ${f} on row ${y}`);
      }
      cur[i] = (line[i] + p) & 0xff;
    }
  }
  return { width, height, bitDepth, colorType, chunks: chunks.map((c) => c.type), pixels };
}
