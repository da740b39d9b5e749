import { MemoryIdempotencyStore } from './idempotency.store.js';

const answer = (payload: string) => ({ status: 202, contentType: 'application/json', payload });

describe('MemoryIdempotencyStore', () => {
  it('when full, forgets the oldest records only: the newer ones still replay', async () => {
    const store = new MemoryIdempotencyStore(3);
    for (const key of ['a', 'b', 'c', 'd']) {
      expect(await store.begin(key, 'f')).toEqual({ state: 'new' });
      await store.complete(key, 'f', answer(key));
    }
    expect(await store.begin('d', 'f')).toEqual({ state: 'replay', answer: answer('d') });
    expect(await store.begin('c', 'f')).toEqual({ state: 'replay', answer: answer('c') });
    expect(await store.begin('b', 'f')).toEqual({ state: 'replay', answer: answer('b') });
    expect(await store.begin('a', 'f')).toEqual({ state: 'new' });
  });

  it('wakes whoever waits for a claim it forgets, so nobody waits forever', async () => {
    const store = new MemoryIdempotencyStore(1);
    await store.begin('a', 'f');
    const waiting = store.begin('a', 'f');
    await store.begin('b', 'f');
    // `a` was forgotten while pending: the waiter claims it anew instead of hanging.
    await expect(waiting).resolves.toEqual({ state: 'new' });
  });
});
