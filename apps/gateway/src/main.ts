import 'reflect-metadata';
import { closeGracefully, createApp } from './app.setup.js';
import { ConfigError, DEFAULT_SHUTDOWN_TIMEOUT_SECONDS, configPathFromArgs, loadConfigFile, prepareDataDir, readableByOthers } from './config/config.loader.js';
import type { GatewayConfig } from './config/config.types.js';
import { createLogger } from './ops/logger.js';
import { createProviderRegistry } from './providers.js';
import type { Sandbox } from './sandbox/sandbox.js';

async function bootstrap(): Promise<void> {
  const logger = createLogger();
  const providers = createProviderRegistry();
  const path = configPathFromArgs(process.argv.slice(2));
  let config: GatewayConfig;
  let sandbox: Sandbox | undefined;
  try {
    if (path) {
      config = loadConfigFile(path, providers);
      if (readableByOthers(path)) logger.warn({ path }, 'the configuration file is readable by other users (chmod o-r it): it holds key hashes and vendor credentials');
      if (config.server.dataDir && config.server.dataDir !== ':memory:') prepareDataDir(config.server.dataDir);
    } else {
      // The emulators are loaded only in sandbox mode: a configured gateway does not carry them.
      const { startSandbox } = await import('./sandbox/sandbox.js');
      sandbox = await startSandbox(providers, { host: process.env.DEVICEGATE_SANDBOX_HOST });
      config = sandbox.config;
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`devicegate: invalid configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }

  const app = await createApp(config, providers, { logger });
  // Before anything announces the address (Fastify logs it in listen): whoever reads it may send SIGTERM at once.
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'finishing requests in flight, then stopping');
    // Whatever is still pending by then (a slow vendor call, a queued one, an emulator) does not keep the process.
    const seconds = config.server.shutdownTimeoutSeconds ?? DEFAULT_SHUTDOWN_TIMEOUT_SECONDS;
    setTimeout(() => {
      logger.warn({ signal, seconds }, 'not stopped within server.shutdown_timeout_seconds: exiting now');
      process.exit(1);
    }, seconds * 1000);
    await closeGracefully(app);
    await sandbox?.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: config.server.port, host: config.server.host });
  const { port } = app.getHttpServer().address() as { port: number };
  const address = `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${port}`;
  if (sandbox) {
    // The emulators push to the gateway's hooks, whose port is known only now.
    await sandbox.connectPush(address);
    console.log(sandbox.banner(address));
  } else {
    logger.info({ host: config.server.host, port }, `listening; Swagger UI at ${address}/docs`);
  }
}

if (process.argv.includes('--check-config')) {
  const { checkConfigCommand } = await import('./cli/check-config.js');
  process.exit(await checkConfigCommand(process.argv.slice(2), createProviderRegistry()));
}
await bootstrap();
