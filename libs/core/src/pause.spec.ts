import { getEventListeners } from 'node:events';
import { pause } from './pause.js';

describe('pause', () => {
  it('leaves no listener on the signal after the wait, however many waits there were', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await pause(0, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('ends early when the signal aborts, and at once when it already had', async () => {
    const controller = new AbortController();
    const waiting = pause(3_600_000, controller.signal);
    controller.abort();
    await expect(waiting).resolves.toBeUndefined();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    await expect(pause(3_600_000, controller.signal)).resolves.toBeUndefined();
  });
});
