import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildConfig, parseConfigText } from '../apps/gateway/src/config/config.loader.js';
import { createProviderRegistry } from '../apps/gateway/src/providers.js';

/**
 * Every ```yaml block of README.md, and the example of API.md §5 (the contract, kept beside the
 * repository in ../shared), loads as written: a user copies one into a file, sets the variables it
 * names and starts devicegate. Each variable is given a value full of what YAML would misread
 * (quotes, a colon, `#`, braces, another `${…}`), so only real interpolation passes.
 */

const AWKWARD = `ak_"q':#{x}[y],\${OTHER}`;

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m) => m[1]);
}

const blocks = yamlBlocks(readFileSync(resolve(process.cwd(), 'README.md'), 'utf8'));
const contract = readFileSync(resolve(process.cwd(), '../shared/API.md'), 'utf8');
const contractExample = yamlBlocks(contract.slice(contract.indexOf('## 5. Configuration')))[0];
const providers = createProviderRegistry();

describe('configuration examples of README.md and API.md', () => {
  it('has examples to load', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  it.each([...blocks.map((block, i) => [`README block ${i + 1}`, block]), ['API.md §5', contractExample]])('%s loads, every ${VAR} interpolated', (_, block) => {
    const names = [...block.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]);
    const config = buildConfig(parseConfigText(block), providers, Object.fromEntries(names.map((name) => [name, AWKWARD])));
    const values = JSON.stringify(config, (_, v: unknown) => (v instanceof Set ? [...v] : v));
    expect(values).not.toMatch(/\$\{(?!OTHER\})/);
    if (names.length) expect(values).toContain(JSON.stringify(AWKWARD).slice(1, -1));
  });
});
