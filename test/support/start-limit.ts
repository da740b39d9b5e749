/**
 * How long a spawned gateway may take to say it listens. Generous on purpose: with two suites side by side on
 * a loaded two-core machine, starting Node and Nest takes tens of seconds, so only a gateway that never comes
 * up reaches it. Hooks and tests that start one allow this much on top of their own work.
 */
export const START_LIMIT_MS = 90_000;
