// stream.js: drain an SDK event stream with a deadline, so a stream the server
// never closes fails the test with a clear message instead of hanging it.
import assert from 'node:assert/strict';

export async function collect(stream, { deadlineMs = 10000 } = {}) {
  const events = [];
  const it = stream[Symbol.asyncIterator]();
  let timer;
  const expired = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(
      `stream not ended after ${deadlineMs} ms and ${events.length} events ` +
      `(last: ${JSON.stringify(events.at(-1))?.slice(0, 200)}); the server must close the response after the terminal event`)), deadlineMs);
  });
  try {
    for (;;) {
      const r = await Promise.race([it.next(), expired]);
      if (r.done) break;
      events.push(r.value);
    }
  } catch (e) {
    try { stream.controller?.abort(); } catch { /* ignore */ }
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return events;
}

// Common checks on any event list: every event has event_type, event_ids are
// present and unique.
export function assertEventIds(events) {
  const ids = events.map((e) => e.event_id);
  for (const [i, e] of events.entries()) {
    assert.equal(typeof e.event_type, 'string', `event ${i} has event_type: ${JSON.stringify(e).slice(0, 200)}`);
    assert.equal(typeof e.event_id, 'string', `event ${i} (${e.event_type}) has a string event_id`);
    assert.ok(e.event_id.length > 0, `event ${i} event_id non-empty`);
  }
  assert.equal(new Set(ids).size, ids.length, `event_ids unique: ${ids.join(',')}`);
}
