import { getEventListeners } from 'node:events';
import { backgroundContext, type PullSession } from '@devicegate/core';
import { BlynkSampler, type SampledConnection } from './blynk.sample.js';

it('leaves no abort listener behind per round, however long a holding lasts', async () => {
  const connection: SampledConnection = { deviceIds: async () => [], current: async () => undefined };
  // A tenth of a millisecond per interval: many rounds in a moment, each ending with its wait.
  const sampler = new BlynkSampler(connection, 0.0001, { requests: 100, windowMs: 1000 });
  const controller = new AbortController();
  let rounds = 0;
  let listeners = 0;
  const session: PullSession = {
    signal: controller.signal,
    opened: () => undefined,
    deliver: () => undefined,
    seen: () => {
      rounds += 1;
      listeners = Math.max(listeners, getEventListeners(controller.signal, 'abort').length);
      if (rounds === 50) controller.abort();
    },
  };
  await sampler.hold(session, backgroundContext('sampler-spec'));
  expect(rounds).toBe(50);
  // The round's own wait is the only listener while it runs; before the fix the count grew by one per round.
  expect(listeners).toBeLessThanOrEqual(1);
});
