import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startFlags } from '../bench/harness.js';

/**
 * The node flags the gateway runs with. `npm start` and the image must give the same ones (the benchmark
 * measures the start script's), and they must bound the heap on every Node that runs devicegate: Node 24's
 * V8 sizes each young-generation semi-space at 64 MB where Node 20 and 22 used 16 MB, so without
 * `--max-semi-space-size` the same old-space cap let the heap reach 384 MB instead of 240, and the
 * gateway's resident size under load rose by about 50 MB, past 250 MB. CI runs this on Node 20 and 24.
 */

const ROOT = process.cwd();
const run = promisify(execFile);

/** The `--` flags of the Dockerfile's (last) exec-form CMD. */
function imageFlags(): string[] {
  const commands = [...readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8').matchAll(/^CMD (\[.*\])\s*$/gm)];
  expect(commands.length).toBeGreaterThan(0);
  const words = JSON.parse(commands.at(-1)![1]) as string[];
  expect(words[0]).toBe('node');
  return words.filter((word) => word.startsWith('--'));
}

describe('the node flags devicegate runs with', () => {
  it('are the same for npm start and the image', () => {
    expect(imageFlags()).toEqual(startFlags(ROOT));
    expect(startFlags(ROOT)).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/), expect.stringMatching(/^--max-semi-space-size=\d+$/)]));
  });

  it(`bound the whole heap, young generation included, to 240 MiB on this Node (${process.version})`, async () => {
    const { stdout } = await run(process.execPath, [...startFlags(ROOT), '-e', 'process.stdout.write(String(require("node:v8").getHeapStatistics().heap_size_limit))'], {
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(Number(stdout) / (1024 * 1024)).toBeLessThanOrEqual(240);
  });
});
