// G1 (@google/genai 1.33.0): image generation. Guide: "Image generation" (10).
// The image must be a real PNG: signature, IHDR, chunk CRCs, IDAT inflated
// with zlib and every row un-filtered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { makeClient, quietExperimentalWarnings, T } from '../../common/harness.js';
import { decodePng } from '../../common/png.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

function images(i) {
  assert.equal(i.status, 'completed', JSON.stringify(i).slice(0, 300));
  const imgs = i.outputs.filter((o) => o.type === 'image');
  assert.ok(imgs.length >= 1, `an image output: ${JSON.stringify(i.outputs.map((o) => o.type))}`);
  return imgs.map((o) => {
    assert.equal(o.mime_type, 'image/png');
    assert.equal(typeof o.data, 'string');
    assert.match(o.data, /^[A-Za-z0-9+/]+={0,2}$/, 'plain base64, no data: prefix');
    const buf = Buffer.from(o.data, 'base64');
    const png = decodePng(buf);
    assert.ok(png.width >= 8 && png.height >= 8, `${png.width}x${png.height}`);
    assert.ok(png.width <= 4096 && png.height <= 4096);
    return { buf, png };
  });
}

test('example 10: gemini-3-pro-image-preview with response_modalities ["IMAGE"] returns a valid PNG', T, async () => {
  const i = await client.interactions.create({ model: G.IMAGE_MODEL, input: G.CITY, response_modalities: ['IMAGE'] });
  const [{ png }] = images(i);
  const distinct = new Set();
  for (let k = 0; k < png.pixels.length && distinct.size < 3; k += 97) distinct.add(png.pixels[k]);
  assert.ok(distinct.size > 1, 'the image is not one flat colour');
  assert.ok(i.usage.total_output_tokens > 0, 'image output is billed');
});

test('image generation is deterministic for the same request', T, async () => {
  const body = { model: G.IMAGE_MODEL, input: G.CITY, response_modalities: ['IMAGE'] };
  const a = images(await client.interactions.create(body))[0];
  const b = images(await client.interactions.create(body))[0];
  assert.ok(a.buf.equals(b.buf), 'same bytes');
});

test('response_modalities compared case-insensitively (["image"]) on a text model', T, async () => {
  const i = await client.interactions.create({ model: G.MODEL, input: G.CITY, response_modalities: ['image'] });
  images(i);
});

test('an image model without response_modalities still generates an image', T, async () => {
  const i = await client.interactions.create({ model: G.IMAGE_MODEL, input: 'A lighthouse at dawn, watercolor' });
  images(i);
});

test('response_modalities ["TEXT","IMAGE"] gives both', T, async () => {
  const i = await client.interactions.create({ model: G.IMAGE_MODEL, input: G.CITY, response_modalities: ['TEXT', 'IMAGE'] });
  images(i);
  assert.ok(i.outputs.some((o) => o.type === 'text' && o.text), 'a text output too');
});
