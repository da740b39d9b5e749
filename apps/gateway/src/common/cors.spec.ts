import { originMatcher, SANDBOX_ORIGINS } from './cors.js';

describe('originMatcher', () => {
  it('matches exact origins only as written, ignoring case', () => {
    const allowed = originMatcher(['https://app.example.com']);
    expect(allowed('https://app.example.com')).toBe(true);
    expect(allowed('https://APP.example.com')).toBe(true);
    expect(allowed('http://app.example.com')).toBe(false);
    expect(allowed('https://app.example.com:8443')).toBe(false);
    expect(allowed('https://app.example.com.evil.test')).toBe(false);
    expect(allowed('https://appxexample.com')).toBe(false);
  });

  it('takes *. as any subdomain, never the bare domain or a look-alike', () => {
    const allowed = originMatcher(['https://*.example.com']);
    expect(allowed('https://a.example.com')).toBe(true);
    expect(allowed('https://a.b.example.com')).toBe(true);
    expect(allowed('https://example.com')).toBe(false);
    expect(allowed('https://evilexample.com')).toBe(false);
    expect(allowed('https://a.example.com.evil.test')).toBe(false);
  });

  it('allows both schemes when the pattern names none, and any port for :*', () => {
    const allowed = originMatcher(['*.example.com', ...SANDBOX_ORIGINS]);
    expect(allowed('http://a.example.com')).toBe(true);
    expect(allowed('https://a.example.com')).toBe(true);
    expect(allowed('http://localhost:5173')).toBe(true);
    expect(allowed('http://localhost')).toBe(true);
    expect(allowed('http://127.0.0.1:8080')).toBe(true);
    expect(allowed('https://localhost:5173')).toBe(false);
    expect(allowed('http://localhost.evil.test:5173')).toBe(false);
    expect(allowed('http://127.0.0.2:8080')).toBe(false);
  });

  it('allows every real origin for *, never the opaque null origin; nothing for an empty list', () => {
    expect(originMatcher(['*'])('https://anything.test')).toBe(true);
    expect(originMatcher(['*'])('null')).toBe(false);
    expect(originMatcher([])('http://localhost:3000')).toBe(false);
  });
});
