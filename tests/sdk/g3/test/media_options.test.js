// G3 (@google/genai 3.6.1): the media options 3.6.1 added to content blocks:
// processing on audio, document and video, resolution on documents (video
// and image had it), content_layers in a video's processing; and content
// blocks checked key by key like the top level (an unknown key is 400).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { expectApiError, makeClient, quietExperimentalWarnings, T } from '../../common/harness.js';
import { assertAck } from '../../common/ack.js';
import { makeWav, makeMp4, makePdf } from '../../common/media.js';
import * as G from '../../common/guide.js';

quietExperimentalWarnings();
const client = makeClient(GoogleGenAI);

const b64 = (buf) => buf.toString('base64');

test('processing, resolution and content_layers on audio, document and video are accepted', T, async () => {
  const wav = makeWav(), pdf = makePdf(), mp4 = makeMp4();
  const i = await client.interactions.create({
    model: G.MODEL,
    input: [
      { type: 'text', text: 'Compare these.' },
      { type: 'audio', data: b64(wav), mime_type: 'audio/wav', processing: { type: 'static', start_offset: '0s', end_offset: '0.2s' } },
      { type: 'document', data: b64(pdf), mime_type: 'application/pdf', resolution: 'high',
        processing: { type: 'static', page_options: { content_layers: ['page_text', 'page_image'], start_page: 1, end_page: 1 } } },
      { type: 'video', data: b64(mp4), mime_type: 'video/mp4', resolution: 'low',
        processing: { type: 'static', fps: 1, content_layers: ['frames', 'transcript'] } },
      { type: 'video', uri: 'https://example.com/clip.mp4', mime_type: 'video/mp4', processing: 'agentic' },
    ],
  });
  assert.equal(i.status, 'completed');
  assertAck(i.output_text, { type: 'audio', mime: 'audio/wav', buf: wav });
  assertAck(i.output_text, { type: 'document', mime: 'application/pdf', buf: pdf });
  assertAck(i.output_text, { type: 'video', mime: 'video/mp4', buf: mp4 });
});

test('bad values of the media options are refused where they are', T, async () => {
  const cases = [
    [{ type: 'video', uri: 'https://example.com/a.mp4', processing: { type: 'static', content_layers: ['frames', 'smell'] } },
      "input[0].processing.content_layers[1]"],
    [{ type: 'audio', uri: 'https://example.com/a.wav', processing: 'agentic' }, "input[0].processing"],
    [{ type: 'document', uri: 'https://example.com/a.pdf', resolution: 'gigantic' }, "input[0].resolution"],
    [{ type: 'audio', uri: 'https://example.com/a.wav', processing: { type: 'static', start_offset: '5s', end_offset: '2s' } },
      "input[0].processing.end_offset"],
  ];
  for (const [block, where] of cases) {
    const e = await expectApiError(client.interactions.create({ model: G.MODEL, input: [block] }),
      { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' });
    assert.ok(e.message.includes(where), `${where} in ${e.message}`);
  }
});

test('an unknown key in a content block, a step or a tool is refused like one at the top level', T, async () => {
  const cases = [
    [{ input: [{ type: 'text', text: 'hi', bogus_xyz: 1 }] }, "\"bogus_xyz\" at 'input[0]'"],
    [{ input: [{ type: 'user_input', content: [{ type: 'image', uri: G.REMOTE_IMAGE_URI, bogus_xyz: 1 }] }] },
      "\"bogus_xyz\" at 'input[0].content[0]'"],
    [{ input: [{ type: 'user_input', content: 'hi', bogus_xyz: 1 }] }, "\"bogus_xyz\" at 'input[0]'"],
    [{ input: 'hi', tools: [{ type: 'url_context', bogus_xyz: 1 }] }, "\"bogus_xyz\" at 'tools[0]'"],
    [{ input: 'hi', bogus_xyz: 1 }, 'Unknown name "bogus_xyz"'],
  ];
  for (const [body, part] of cases) {
    const e = await expectApiError(client.interactions.create({ model: G.MODEL, ...body }),
      { status: 400, cls: 'BadRequestError', rpcStatus: 'INVALID_ARGUMENT' });
    assert.ok(e.message.includes(part) && e.message.includes('Cannot find field'), `${part} in ${e.message}`);
  }
});
