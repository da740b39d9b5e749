import { exceedsJsonDepth, MAX_JSON_DEPTH } from './json-depth.js';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('exceedsJsonDepth', () => {
  it('allows nesting up to the limit and refuses one level more', () => {
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(exceedsJsonDepth(Buffer.from(`{"a":${nested(MAX_JSON_DEPTH)}}`))).toBe(true);
  });

  it('counts objects and arrays alike, and sibling containers do not add up', () => {
    expect(exceedsJsonDepth('{"a":{"b":[1]}}', 2)).toBe(true);
    expect(exceedsJsonDepth('{"a":[1],"b":[2],"c":{"d":3}}', 2)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(JSON.stringify({ text: '[[[[[[[[[[' }), 2)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ text: 'a "quoted" [[[[ \\ ' }), 2)).toBe(false);
    expect(exceedsJsonDepth('{"a\\"":[[[', 2)).toBe(true);
  });

  it('scans a megabyte of nesting without parsing it', () => {
    expect(exceedsJsonDepth(Buffer.from('['.repeat(1024 * 1024)))).toBe(true);
  });
});
