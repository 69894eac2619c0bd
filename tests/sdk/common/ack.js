// ack.js: read the emulator's text answers, which say what was received
// (DESIGN.md, emulate): a `turns: N` line and, per media part,
//   part K: TYPE MIME BYTES bytes sha256:HEX
import assert from 'node:assert/strict';
import { sha256hex } from './media.js';

const PART_RE = /part (\d+): ([a-z_]+) (\S+) (\d+) bytes sha256:([0-9a-f]{64})/g;

export function parseParts(text) {
  const out = [];
  for (const m of String(text).matchAll(PART_RE)) {
    out.push({ index: Number(m[1]), type: m[2], mime: m[3], bytes: Number(m[4]), sha256: m[5] });
  }
  return out;
}

export function parseTurns(text) {
  const m = /\bturns: (\d+)/.exec(String(text));
  return m ? Number(m[1]) : undefined;
}

// The answer acknowledges `buf` as a TYPE/MIME part with its exact decoded
// size and SHA-256. Returns the matching part.
export function assertAck(text, { type, mime, buf }) {
  const parts = parseParts(text);
  const sha = sha256hex(buf);
  const hit = parts.find((p) => p.sha256 === sha);
  assert.ok(hit, `answer acknowledges a part with sha256:${sha} (${buf.length} bytes); parts seen: ${JSON.stringify(parts)}; text: ${String(text).slice(0, 600)}`);
  assert.equal(hit.bytes, buf.length, 'acknowledged decoded byte count');
  assert.equal(hit.type, type, 'acknowledged part type');
  if (mime) assert.equal(hit.mime, mime, 'acknowledged mime type');
  return hit;
}
