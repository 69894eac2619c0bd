// schema.js: a small JSON Schema checker, independent of the emulator's
// compiler, for the keywords the tests use: type, properties, required,
// additionalProperties, items, enum, const, anyOf/oneOf/allOf, $ref into
// $defs/definitions, min/max (items, length, value), nullable.
// Returns a list of "path: message" strings; empty means valid.

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v; // string, boolean, object
}

function typeMatches(want, v) {
  const t = typeOf(v);
  if (want === 'number') return t === 'number' || t === 'integer';
  return want === t;
}

function deepEqual(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function resolveRef(root, ref) {
  if (!ref.startsWith('#')) throw new Error(`schema checker: external $ref ${ref}`);
  let node = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node?.[key];
  }
  if (node === undefined) throw new Error(`schema checker: unresolved $ref ${ref}`);
  return node;
}

export function checkSchema(schema, value, root = schema, path = '$', depth = 0) {
  const errs = [];
  if (depth > 64) return [`${path}: schema nesting too deep`];
  if (schema === true || schema === undefined) return errs;
  if (schema === false) return [`${path}: schema false`];
  if (schema.$ref) {
    errs.push(...checkSchema(resolveRef(root, schema.$ref), value, root, path, depth + 1));
  }
  if (schema.nullable === true && value === null) return errs;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => typeMatches(t, value))) {
      errs.push(`${path}: expected ${types.join('|')}, got ${typeOf(value)}`);
      return errs;
    }
  }
  if (schema.enum && !schema.enum.some((e) => deepEqual(e, value))) {
    errs.push(`${path}: ${JSON.stringify(value)} not in enum ${JSON.stringify(schema.enum)}`);
  }
  if ('const' in schema && !deepEqual(schema.const, value)) {
    errs.push(`${path}: expected const ${JSON.stringify(schema.const)}`);
  }
  const t = typeOf(value);
  if (t === 'object') {
    const props = schema.properties || {};
    for (const r of schema.required || []) {
      if (!(r in value)) errs.push(`${path}: missing required property "${r}"`);
    }
    for (const [k, v] of Object.entries(value)) {
      if (k in props) errs.push(...checkSchema(props[k], v, root, `${path}.${k}`, depth + 1));
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected property "${k}"`);
      else if (typeof schema.additionalProperties === 'object') {
        errs.push(...checkSchema(schema.additionalProperties, v, root, `${path}.${k}`, depth + 1));
      }
    }
  }
  if (t === 'array') {
    if (schema.items) value.forEach((v, i) => errs.push(...checkSchema(schema.items, v, root, `${path}[${i}]`, depth + 1)));
    if (schema.minItems !== undefined && value.length < schema.minItems) errs.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errs.push(`${path}: more than ${schema.maxItems} items`);
  }
  if (t === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) errs.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) errs.push(`${path}: longer than ${schema.maxLength}`);
  }
  if (t === 'integer' || t === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errs.push(`${path}: below minimum ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errs.push(`${path}: above maximum ${schema.maximum}`);
  }
  if (schema.allOf) for (const s of schema.allOf) errs.push(...checkSchema(s, value, root, path, depth + 1));
  if (schema.anyOf) {
    const ok = schema.anyOf.some((s) => checkSchema(s, value, root, path, depth + 1).length === 0);
    if (!ok) errs.push(`${path}: matches none of anyOf`);
  }
  if (schema.oneOf) {
    const n = schema.oneOf.filter((s) => checkSchema(s, value, root, path, depth + 1).length === 0).length;
    if (n !== 1) errs.push(`${path}: matches ${n} of oneOf (want exactly 1)`);
  }
  return errs;
}
