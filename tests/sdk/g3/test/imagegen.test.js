// G3 (@google/genai 3.6.1): image generation (guide 10), the G3 way:
// response_format {type:"image"}; also the deprecated response_modalities.
// The image comes in a model_output step; the SDK exposes it as output_image.
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
  const imgs = i.steps.filter((s) => s.type === 'model_output').flatMap((s) => s.content ?? []).filter((c) => c.type === 'image');
  assert.ok(imgs.length >= 1, `an image in a model_output step: ${JSON.stringify(i.steps.map((s) => s.type))}`);
  assert.ok(i.output_image, 'the SDK found it as output_image');
  assert.equal(i.output_image.data, imgs[imgs.length - 1].data);
  return imgs.map((o) => {
    assert.equal(o.mime_type, 'image/png');
    assert.match(o.data, /^[A-Za-z0-9+/]+={0,2}$/);
    const buf = Buffer.from(o.data, 'base64');
    const png = decodePng(buf);
    assert.ok(png.width >= 8 && png.height >= 8 && png.width <= 4096 && png.height <= 4096, `${png.width}x${png.height}`);
    return { buf, png };
  });
}

test('example 10 (G3 form): response_format {type:"image"} returns a valid PNG', T, async () => {
  const i = await client.interactions.create({ model: G.IMAGE_MODEL, input: G.CITY, response_format: { type: 'image' } });
  const [{ png }] = images(i);
  const distinct = new Set();
  for (let k = 0; k < png.pixels.length && distinct.size < 3; k += 97) distinct.add(png.pixels[k]);
  assert.ok(distinct.size > 1, 'not one flat colour');
});

test('example 10 (as in the guide): response_modalities ["IMAGE"]', T, async () => {
  images(await client.interactions.create({ model: G.IMAGE_MODEL, input: G.CITY, response_modalities: ['IMAGE'] }));
});

test('response_format {type:"image", mime_type:"image/png", aspect_ratio:"1:1"}', T, async () => {
  const [{ png }] = images(await client.interactions.create({
    model: G.IMAGE_MODEL, input: G.CITY, response_format: { type: 'image', mime_type: 'image/png', aspect_ratio: '1:1' },
  }));
  assert.equal(png.width, png.height, 'aspect ratio 1:1');
});

test('image generation is deterministic for the same request', T, async () => {
  const body = { model: G.IMAGE_MODEL, input: G.CITY, response_format: { type: 'image' } };
  const a = images(await client.interactions.create(body))[0];
  const b = images(await client.interactions.create(body))[0];
  assert.ok(a.buf.equals(b.buf));
});

test('response_format as an array [text, image] gives both', T, async () => {
  const i = await client.interactions.create({
    model: G.IMAGE_MODEL, input: G.CITY, response_format: [{ type: 'text' }, { type: 'image' }],
  });
  images(i);
  assert.ok(i.steps.some((s) => s.type === 'model_output' && s.content?.some((c) => c.type === 'text')), 'a text part too');
});
