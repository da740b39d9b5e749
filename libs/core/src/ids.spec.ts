import { isDotSegment, requireUnifiedId } from './ids.js';

describe('requireUnifiedId', () => {
  it.each(['..', '.', '%2e%2e', '%2E%2e', '.%2e', '%2e', '%252e%252e', '%25252e'])('refuses the dot segment %p with 400', (nativeId) => {
    expect(isDotSegment(nativeId)).toBe(true);
    expect(() => requireUnifiedId(`izuma-main:${nativeId}`)).toThrow(expect.objectContaining({ type: 'validation_error', fields: [expect.objectContaining({ name: 'id' })] }));
  });

  it.each(['...', '..a', 'a..', '.hidden', '%2e%2e%2e', '%zz', '015f4ac587f500000000000100100249'])('accepts %p', (nativeId) => {
    expect(isDotSegment(nativeId)).toBe(false);
    expect(requireUnifiedId(`izuma-main:${nativeId}`)).toEqual({ connectionId: 'izuma-main', nativeId });
  });

  it('answers an id without a connection 404, like one that does not exist', () => {
    expect(() => requireUnifiedId('..')).toThrow(expect.objectContaining({ type: 'not_found' }));
  });
});
