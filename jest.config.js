import { availableParallelism } from 'node:os';

/** Jest runs the TypeScript sources as native ESM through SWC (legacy decorators + metadata, as Nest needs). */
const swc = {
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
  swcrc: false,
};

/**
 * ESM-only packages that CommonJS dependencies `require` (Node 20.19+ allows that, Jest on Node 20 does not):
 * Jest gets them compiled to CommonJS.
 */
const ESM_REQUIRED_FROM_CJS = ['content-disposition'];
const esmToCjs = {
  jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } },
  module: { type: 'commonjs' },
  swcrc: false,
};

const alias = (name, dir) => [`^@devicegate/${name}$`, `<rootDir>/${dir}/src/index.ts`];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', swc],
    [`/node_modules/(${ESM_REQUIRED_FROM_CJS.join('|')})/.+\\.js$`]: ['@swc/jest', esmToCjs],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_REQUIRED_FROM_CJS.join('|')})/)`],
  moduleNameMapper: Object.fromEntries([
    alias('core', 'libs/core'),
    alias('errors', 'libs/errors'),
    alias('request-context', 'libs/request-context'),
    alias('http-client', 'libs/http-client'),
    alias('listing', 'libs/listing'),
    ['^@devicegate/providers/(.*)$', '<rootDir>/libs/providers/$1/src/index.ts'],
    ['^@devicegate/emulators/(.*)$', '<rootDir>/libs/emulators/$1/src/index.ts'],
    ['^(\\.{1,2}/.*)\\.js$', '$1'],
  ]),
  testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  // The end-to-end suites spend most of their time waiting on sockets and timers, so two run side by side even
  // on a two-core machine, where Jest's default (cores - 1) would run one at a time: there the whole suite takes
  // about half as long (about 5 instead of 8-10 minutes here), which keeps `.ci/run`'s two runs well within its time.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  // A hang detector, not a speed limit: with two suites side by side on a loaded two-core machine a test's fixed
  // amount of work takes several times as long (speed belongs to `npm run bench`).
  testTimeout: 120_000,
};
