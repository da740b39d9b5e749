import { setTimeout as sleep } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { CallSignal } from './context.js';

describe('CallSignal', () => {
  it('calls each abort listener once, in the order added, with the reason set', () => {
    const signal = new CallSignal();
    const seen: string[] = [];
    const first = () => seen.push(`first:${String(signal.reason)}`);
    signal.addEventListener('abort', first);
    signal.addEventListener('abort', first);
    signal.addEventListener('abort', { handleEvent: (event) => seen.push(`object:${event.type}`) });
    expect(signal.aborted).toBe(false);
    signal.abort('gone');
    signal.abort('again');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
    expect(seen).toEqual(['first:gone', 'object:abort']);
  });

  it('does not call a listener that was removed, and aborts with an AbortError when given no reason', () => {
    const signal = new CallSignal();
    const called = jest.fn();
    signal.addEventListener('abort', called);
    signal.removeEventListener('abort', called);
    signal.abort();
    expect(called).not.toHaveBeenCalled();
    expect((signal.reason as DOMException).name).toBe('AbortError');
    expect(() => signal.throwIfAborted()).toThrow(signal.reason as DOMException);
  });

  it('keeps calling the other listeners when one throws, and reports that error instead of swallowing it', () => {
    const signal = new CallSignal();
    const after = jest.fn();
    let report: (() => void) | undefined;
    const nextTick = jest.spyOn(process, 'nextTick').mockImplementation((callback) => {
      report = callback as () => void;
    });
    signal.addEventListener('abort', () => {
      throw new Error('listener failed');
    });
    signal.addEventListener('abort', after);
    try {
      signal.abort();
    } finally {
      nextTick.mockRestore();
    }
    expect(after).toHaveBeenCalledTimes(1);
    expect(report).toThrow('listener failed');
  });

  it("cancels what Node's own timers wait for, as an AbortSignal would", async () => {
    const signal = new CallSignal();
    const waiting = sleep(60_000, undefined, { signal });
    signal.abort(new Error('caller gone'));
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', cause: signal.reason });
  });
});
