// media.js: small, real media files made in memory (no binary fixtures needed),
// plus the digests the emulator must acknowledge. Deterministic: the same call
// gives the same bytes.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

export function sha256hex(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

export function sha256b64(buf) {
  return createHash('sha256').update(buf).digest('base64');
}

// xorshift32: deterministic filler bytes.
export function prngBytes(n, seed = 0x9e3779b9) {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// ---- CRC-32 (PNG, ISO 3309), written here so the PNG checks do not trust zlib's.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf, crc = 0) {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- PNG ------------------------------------------------------------------
function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

// RGB 8-bit PNG. pixel(x, y) -> [r, g, b]. level: zlib level (0 = stored).
export function makePng(width, height, pixel, level = 9) {
  const stride = width * 3 + 1;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    raw[y * stride] = 0; // filter: None
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const o = y * stride + 1 + x * 3;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b;
    }
  }
  return pngFromRaw(width, height, raw, level);
}

function pngFromRaw(width, height, raw, level) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// The guide's car.png stand-in: a 32x24 gradient.
export function smallPng() {
  return makePng(32, 24, (x, y) => [x * 8, y * 10, (x * y) & 0xff]);
}

// A real PNG bigger than one 8 MiB upload chunk: noisy pixels, stored deflate.
export function bigPng() {
  const width = 1024, height = 2800, stride = width * 3 + 1;
  const raw = prngBytes(stride * height, 0x1234567);
  for (let y = 0; y < height; y++) raw[y * stride] = 0;
  return pngFromRaw(width, height, raw, 0);
}

// ---- WAV: 16-bit PCM mono 8 kHz sine ------------------------------------
export function makeWav(seconds = 0.25, hz = 440, rate = 8000) {
  const n = Math.round(seconds * rate);
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    data.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * hz * i) / rate)), i * 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

// ---- MP4 (ISO BMFF): ftyp + mdat + moov/mvhd -------------------------------
function box(type, ...payload) {
  const body = Buffer.concat(payload);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(8 + body.length, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, body]);
}

export function makeMp4() {
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), Buffer.from([0, 0, 2, 0]),
    Buffer.from('isomiso2avc1mp41', 'latin1'));
  const mdat = box('mdat', prngBytes(1500, 42));
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(0, 0);       // version 0, flags 0
  mvhd.writeUInt32BE(1000, 12);   // timescale
  mvhd.writeUInt32BE(2000, 16);   // duration: 2 s
  mvhd.writeUInt32BE(0x00010000, 20); // rate 1.0
  mvhd.writeUInt16BE(0x0100, 24);     // volume 1.0
  const matrix = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
  matrix.forEach((v, i) => mvhd.writeUInt32BE(v, 36 + i * 4));
  mvhd.writeUInt32BE(2, 96);      // next track id
  const moov = box('moov', box('mvhd', mvhd));
  return Buffer.concat([ftyp, mdat, moov]);
}

// ---- PDF: one page, correct xref offsets -----------------------------------
export function makePdf(text = 'gembatch SDK conformance test document') {
  const content = `BT /F1 18 Tf 40 100 Td (${text}) Tj ET`;
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

// ---- JPEG: baseline, grayscale, 16x8 (two flat 8x8 blocks) ------------------
// DC-only coding with the standard luminance DC table and a one-symbol AC
// table (EOB). Small, but a real JFIF any decoder reads.
export function makeJpeg(levels = [133, 118]) {
  const seg = (marker, body) => {
    const h = Buffer.alloc(4);
    h[0] = 0xff; h[1] = marker;
    h.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([h, body]);
  };
  const dcBits = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
  const dcVals = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const acBits = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const acVals = [0x00];
  const canon = (bits, vals) => {
    const codes = new Map();
    let code = 0, k = 0;
    for (let len = 1; len <= 16; len++) {
      for (let i = 0; i < bits[len - 1]; i++) codes.set(vals[k++], { code: code++, len });
      code <<= 1;
    }
    return codes;
  };
  const dc = canon(dcBits, dcVals);
  const ac = canon(acBits, acVals);
  const bitsOut = [];
  const put = (code, len) => { for (let i = len - 1; i >= 0; i--) bitsOut.push((code >> i) & 1); };
  let pred = 0;
  for (const v of levels) {
    const coef = 8 * (v - 128); // F(0,0) with quantiser 1
    const diff = coef - pred;
    pred = coef;
    const mag = Math.abs(diff);
    const cat = mag === 0 ? 0 : Math.floor(Math.log2(mag)) + 1;
    const c = dc.get(cat);
    put(c.code, c.len);
    if (cat) put(diff > 0 ? diff : diff + (1 << cat) - 1, cat);
    const e = ac.get(0x00);
    put(e.code, e.len);
  }
  while (bitsOut.length % 8) bitsOut.push(1);
  const scan = [];
  for (let i = 0; i < bitsOut.length; i += 8) {
    let b = 0;
    for (let j = 0; j < 8; j++) b = (b << 1) | bitsOut[i + j];
    scan.push(b);
    if (b === 0xff) scan.push(0x00);
  }
  const width = 8 * levels.length, height = 8;
  const sof = Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  const dht = Buffer.concat([
    Buffer.from([0x00, ...dcBits, ...dcVals]),
    Buffer.from([0x10, ...acBits, ...acVals]),
  ]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    seg(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])),
    seg(0xdb, Buffer.from([0x00, ...new Array(64).fill(1)])),
    seg(0xc0, sof),
    seg(0xc4, dht),
    seg(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    Buffer.from(scan),
    Buffer.from([0xff, 0xd9]),
  ]);
}
