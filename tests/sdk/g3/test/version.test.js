// The SDK these tests load is the one this folder pins: g3 runs 3.6.1, and
// g33 (which links to some of g3's test files) must run its own 3.3.0, not
// g3's copy. run.sh starts node in the generation's folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

test('the loaded @google/genai is the version this folder pins', () => {
  const pinned = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).dependencies['@google/genai'];
  const entry = fileURLToPath(import.meta.resolve('@google/genai'));
  const pkg = join(entry.slice(0, entry.lastIndexOf('/node_modules/@google/genai/') + '/node_modules/@google/genai/'.length), 'package.json');
  assert.ok(pkg.startsWith(join(process.cwd(), 'node_modules')), `resolved from this folder: ${pkg}`);
  assert.equal(JSON.parse(readFileSync(pkg, 'utf8')).version, pinned);
});
