import { createProviderRegistry } from '../providers.js';
import { buildConfig, ConfigError, parseConfigText } from './config.loader.js';

const providers = createProviderRegistry();
const HASH = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const hw = (extra: Record<string, unknown> = {}) => ({ id: 'hw-main', provider: 'hardwario', space_id: 'space-1', credentials: { api_key: '${HW_KEY}' }, ...extra });

const failure = (document: unknown, env: NodeJS.ProcessEnv = { HW_KEY: 'k' }): string => {
  try {
    buildConfig(document, providers, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('takes the units a connection declares for readings whose vendor names none, and refuses what is not one unit code', () => {
    const units = { temperature: 'Cel', 'boiler.flow_temp': 'Cel', 'air.co2': '[ppm]' };
    const config = buildConfig({ connections: [hw({ readings: { units } })] }, providers, { HW_KEY: 'k' });
    expect(config.connections[0].readings).toEqual({ units });
    // A common key, not a provider setting.
    expect(config.connections[0].settings).toEqual({ space_id: 'space-1' });
    expect(buildConfig({ connections: [hw()] }, providers, { HW_KEY: 'k' }).connections[0].readings).toBeUndefined();
    expect(failure({ connections: [hw({ readings: { units: { temperature: 'degrees celsius' } } })] })).toMatch(/^connections\[0\]\.readings\.units\.temperature: /);
    expect(failure({ connections: [hw({ readings: { units: { temperature: 42 } } })] })).toMatch(/^connections\[0\]\.readings\.units\.temperature: /);
    expect(failure({ connections: [hw({ readings: { unit: { temperature: 'Cel' } } })] })).toMatch(/readings/);
    expect(failure({ connections: [hw({ readings: { units: { '': 'Cel' } } })] })).toMatch(/^connections\[0\]\.readings\.units/);
  });

  it('interpolates ${VAR}, applies the defaults and keeps credentials apart from settings', () => {
    const config = buildConfig({ clients: [{ name: 'dash', key_sha256: HASH, scopes: ['read'] }], connections: [hw()] }, providers, { HW_KEY: 'secret-key' });
    expect(config.connections[0]).toMatchObject({
      id: 'hw-main',
      provider: 'hardwario',
      base_url: 'https://api.hardwario.cloud',
      timeout_ms: 10_000,
      retries: 2,
      settings: { space_id: 'space-1' },
      credentials: { api_key: 'secret-key' },
    });
    expect(config.server).toMatchObject({ port: 3000, rateLimit: { perSecond: 50, burst: 100 }, eventRetentionHours: 168 });
    expect(buildConfig({ server: { event_retention_hours: 1.5 }, connections: [] }, providers, {}).server.eventRetentionHours).toBe(1.5);
    // DT signs its pushes with published keys: its push block may leave the secret out.
    const dt = { id: 'dt', provider: 'disruptive', push: {}, organization_id: 'c0md3mm0c7pi7cghrn40', push_issuer: 'https://identity.example.test/data-connector', credentials: { key_id: 'k', secret: 's', email: 'e@example.test' } };
    expect(buildConfig({ connections: [dt] }, providers, {}).connections[0]).toMatchObject({ push: {}, settings: { push_issuer: 'https://identity.example.test/data-connector' } });
    // Pull mode: devicegate holds the vendor's stream with the connection's own credentials, so no secret and no organization.
    const pulled = { id: 'dt', provider: 'disruptive', push: { mode: 'pull' }, credentials: { key_id: 'k', secret: 's', email: 'e@example.test' } };
    expect(buildConfig({ connections: [pulled] }, providers, {}).connections[0].push).toEqual({ mode: 'pull' });
    // Blynk pushes nothing: in pull mode devicegate samples it, every minute unless the connection says.
    const sampled = { id: 'bl', provider: 'blynk', org_id: 1, push: { mode: 'pull' }, sample_interval_seconds: 15, credentials: { client_id: 'c', client_secret: 's' } };
    expect(buildConfig({ connections: [sampled] }, providers, {}).connections[0]).toMatchObject({ push: { mode: 'pull' }, settings: { sample_interval_seconds: 15 } });
    expect(buildConfig({ server: { webhook_allowed_hosts: ['hooks.example.com', '*.internal.example'] }, connections: [] }, providers, {}).server.webhookAllowedHosts).toEqual([
      'hooks.example.com',
      '*.internal.example',
    ]);
    expect(config.server.exposeNames).toBe(false);
    expect(buildConfig({ server: { expose_names: true }, connections: [] }, providers, {}).server.exposeNames).toBe(true);
    expect([...config.clients[0].connections]).toEqual(['*']);
    expect(buildConfig({ connections: [] }, providers, { PORT: '8080' }).server.port).toBe(8080);
  });

  it.each([
    [{ connections: [hw()] }, {}, 'connections[0].credentials.api_key: environment variable HW_KEY is not set'],
    [{ connections: [hw({ id: 'Bad_Id' })] }, undefined, 'connections[0].id: must match pattern'],
    [{ connections: [hw({ provider: 'acme' })] }, undefined, 'connections[0].provider: must be one of hardwario'],
    [{ connections: [hw({ space_id: undefined })] }, undefined, 'connections[0].space_id: is required'],
    [{ connections: [hw({ credentials: {} })] }, undefined, 'connections[0].credentials.api_key: is required'],
    [{ connections: [hw({ timeout_ms: 'soon' })] }, undefined, 'connections[0].timeout_ms: must be integer'],
    [{ connections: [hw(), hw()] }, undefined, "connections[1].id: 'hw-main' is used by another connection"],
    [{ connections: [hw()], clients: [{ name: 'x', key_sha256: 'abc', scopes: ['read'] }] }, undefined, 'clients[0].key_sha256: must match pattern'],
    [{ connections: [hw()], clients: [{ name: 'x', key_sha256: HASH, scopes: ['admin'] }] }, undefined, 'clients[0].scopes[0]: must be one of read, write, commands, passthrough'],
    [{ connections: [hw()], clients: [{ name: 'x', key_sha256: HASH, scopes: ['read'], connections: ['nope'] }] }, undefined, "clients[0].connections[0]: no connection has the id 'nope'"],
    [
      { connections: [hw()], clients: [{ name: 'ops', key_sha256: HASH, scopes: ['read'] }, { name: 'ops', key_sha256: 'a'.repeat(64), scopes: ['read', 'write'] }] },
      undefined,
      "clients[1].name: another client is already named 'ops'",
    ],
    [{ connections: [hw()], server: { prot: 1 } }, undefined, 'server.prot: is not a known key'],
    [{ connections: [hw()], server: { event_retention_hours: 0 } }, undefined, 'server.event_retention_hours: must be > 0'],
    [{ connections: [hw({ push: {} })] }, undefined, 'connections[0].push.secret: is required'],
    [{ connections: [{ id: 'dt', provider: 'disruptive', push: {}, auth: 'basic', credentials: { key_id: 'k', secret: 's' } }] }, undefined, 'connections[0].organization_id: is required when push is configured'],
    [{ connections: [hw({ push: { mode: 'pull' } })] }, undefined, 'connections[0].push.mode: HARDWARIO Cloud v2 offers no stream to pull'],
    [{ connections: [{ id: 'iz', provider: 'izuma', push: { mode: 'pull', secret: 'x'.repeat(8) }, credentials: { api_key: 'ak_1' } }] }, undefined, 'connections[0].push.secret: is not used in pull mode'],
    [{ connections: [hw({ push: { mode: 'poll' } })] }, undefined, 'connections[0].push.mode: must be one of push, pull'],
    [{ connections: [{ id: 'bl', provider: 'blynk', org_id: 1, push: { secret: 'x'.repeat(8) }, credentials: { client_id: 'c', client_secret: 's' } }] }, undefined, 'connections[0].push.mode: Blynk.Cloud pushes nothing; use mode pull'],
    [{ connections: [{ id: 'bl', provider: 'blynk', org_id: 1, sample_interval_seconds: 0, credentials: { client_id: 'c', client_secret: 's' } }] }, undefined, 'connections[0].sample_interval_seconds: must be >= 1'],
    [{ connections: [hw()], server: { webhook_allowed_hosts: ['https://hooks.example.com/'] } }, undefined, 'server.webhook_allowed_hosts[0]: must match pattern'],
    [{}, undefined, 'connections: is required'],
  ])('names the key: %j', (document, env, message) => {
    expect(failure(document, env ?? { HW_KEY: 'k' })).toContain(message);
  });

  it('reads ${VAR} in flow maps, block values and quoted strings, and never parses what a variable holds as YAML', () => {
    const text = [
      '# ${NOT_SET} in a comment is not needed',
      'connections:',
      '  - { id: hw-main, provider: hardwario, space_id: "s-${SPACE}", credentials: { api_key: ${HW_KEY} }, push: { secret: ${HW_SECRET} } }',
      '  - id: iottly-lab',
      '    provider: iottly',
      '    project_id: ${IOTTLY_PROJECT}',
      "    credentials: { api_key: '${IOTTLY_KEY}' }",
    ].join('\n');
    const awkward = `k"e'y: #1 {a: [b]} \${HW_SECRET}`;
    const env = { SPACE: '1', HW_KEY: awkward, HW_SECRET: 'x'.repeat(8), IOTTLY_PROJECT: '59c19cacecc01400075f3bc9', IOTTLY_KEY: awkward };
    const config = buildConfig(parseConfigText(text), providers, env);
    expect(config.connections.map((c) => [c.settings, c.credentials, c.push])).toEqual([
      [{ space_id: 's-1' }, { api_key: awkward }, { secret: 'xxxxxxxx', mode: 'push' }],
      [{ project_id: '59c19cacecc01400075f3bc9' }, { api_key: awkward }, undefined],
    ]);
    expect(() => buildConfig(parseConfigText(text), providers, { ...env, HW_KEY: undefined })).toThrow(
      new ConfigError('connections[0].credentials.api_key: environment variable HW_KEY is not set'),
    );
  });
});
