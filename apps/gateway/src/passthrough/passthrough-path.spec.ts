import { safeVendorPath } from './passthrough-path.js';

describe('safeVendorPath', () => {
  it.each(['v2/spaces/abc/devices', 'api/v1/organization/device?x', 'v3/devices/', 'project/59c1/inspect', 'a%20b/c', 'v2/spaces/a.b/x..y'])('allows %p', (path) => {
    expect(safeVendorPath(path)).toBe(path);
  });

  it.each([
    '../etc/passwd',
    'v2/../../admin',
    'v2/./x',
    '..',
    '%2e%2e/admin',
    '%2E%2E%2Fadmin',
    '.%2e/admin',
    '%252e%252e/admin',
    '%25252e%25252e%25252fadmin',
    'v2/%2e%2e%2f%2e%2e/admin',
    '/evil.example.com/x',
    '%2fevil.example.com',
    '%2F%2Fevil.example.com',
    'http://evil.example.com/',
    'HTTPS:%2F%2Fevil.example.com',
    'http%3A%2F%2Fevil.example.com',
    'javascript:alert(1)',
    'v2\\..\\admin',
    'v2%5c..%5cadmin',
    'v2/%00/x',
    'v2/%0d%0aHost:%20evil',
    '%zz',
    '',
  ])('refuses %p', (path) => {
    expect(() => safeVendorPath(path)).toThrow(expect.objectContaining({ type: 'validation_error', fields: [expect.objectContaining({ name: 'path' })] }));
  });
});
