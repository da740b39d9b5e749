import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Programs some suites need besides Node; `.ci/run` installs them with apt-get. */
const TOOLS = {
  'redis-server': { env: 'REDIS_SERVER', names: ['redis-server'], install: "Debian's redis-server" },
  chromium: { env: 'CHROMIUM_PATH', names: ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'], install: "Debian's chromium" },
} as const;
export type Tool = keyof typeof TOOLS;

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The tool's executable: the one its variable names (`REDIS_SERVER`, `CHROMIUM_PATH`) when set, else the first on PATH. */
export function findTool(tool: Tool): string | undefined {
  const { env, names } = TOOLS[tool];
  const named = process.env[env];
  const candidates = named ? [named] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).flatMap((dir) => names.map((name) => join(dir, name)));
  return candidates.find(executable);
}

const inCi = (): boolean => !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

/**
 * `describe` for a suite that needs `tool`. Without it the suite is skipped, and says so in one line, so
 * `npm test` passes on a machine with Node alone; under CI (`CI=true`), where `.ci/run` installs the
 * tools, a missing one fails the run instead.
 */
export function describeWith(tool: Tool): (title: string, body: () => void) => void {
  if (findTool(tool)) return describe;
  const { env, install } = TOOLS[tool];
  const why = `${tool} not found (${env}, or PATH): install ${install}`;
  if (inCi()) {
    return (title) =>
      describe(title, () => {
        it(`finds ${tool}`, () => {
          throw new Error(why);
        });
      });
  }
  process.stderr.write(`skipped: ${why}\n`);
  return describe.skip;
}
