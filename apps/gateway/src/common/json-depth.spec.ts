import { exceedsJsonDepth, JsonDepthScanner, MAX_JSON_DEPTH } from './json-depth.js';

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

describe('JsonDepthScanner', () => {
  it('follows strings, escapes and nesting across chunk boundaries', () => {
    const text = `{"a\\\\":"x\\"[[[[","b":${'['.repeat(5)}1${']'.repeat(5)},"c":"\\\\"}`;
    expect(JSON.parse(text)).toBeTruthy();
    for (let cut = 0; cut <= text.length; cut++) {
      const shallow = new JsonDepthScanner(6);
      expect([cut, shallow.push(Buffer.from(text.slice(0, cut))) || shallow.push(Buffer.from(text.slice(cut)))]).toEqual([cut, false]);
      const tight = new JsonDepthScanner(5);
      expect([cut, tight.push(Buffer.from(text.slice(0, cut))) || tight.push(Buffer.from(text.slice(cut)))]).toEqual([cut, true]);
    }
  });

  it('tells at the first chunk that nests too deep', () => {
    const scanner = new JsonDepthScanner();
    expect(scanner.push(Buffer.from('['.repeat(MAX_JSON_DEPTH)))).toBe(false);
    expect(scanner.push(Buffer.from('['))).toBe(true);
  });
});
