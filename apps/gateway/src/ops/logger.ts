import type { LoggerService } from '@nestjs/common';
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino blanks out, so a credential never reaches a log line even by mistake. Log calls name
 * their fields explicitly (no request headers, no connection configuration); these paths cover the
 * places a credential could otherwise appear. Wildcard paths are left out: they cost on every line.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.authentication',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.authentication',
  'credentials',
  'connection.credentials',
];

/**
 * Log lines on their way to an output, written in batches: a line waits at most `maxDelayMs`, or until
 * `maxLength` characters are pending, and then goes out with the others in one write. A busy gateway writes a line
 * per request; handed over one by one, pino's stdout writer measured all its pending text again for each
 * line and started a file write for most of them, about a tenth of the gateway's CPU. Lines keep their order.
 */
export class LineBatcher implements pino.DestinationStream {
  private lines: string[] = [];
  private length = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly output: { write(text: string): unknown },
    private readonly maxDelayMs = 100,
    private readonly maxLength = 16 * 1024,
  ) {}

  write(line: string): void {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= this.maxLength) this.flush();
    // Unref'd: pending lines never keep the process alive; on exit they are written by then (stdoutLines).
    else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs).unref();
  }

  /** Writes whatever is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0] : this.lines.join('');
    this.lines = [];
    this.length = 0;
    this.output.write(text);
  }
}

let stdout: LineBatcher | undefined;

/**
 * The process's stdout for log lines, one for all loggers. Its writes are synchronous — one per batch, not
 * per line — so that the lines pending when the process exits (`process.exit`, a crash, the end of a
 * graceful stop) are written by the first `exit` listener, before anything else runs at exit.
 */
function stdoutLines(): LineBatcher {
  if (!stdout) {
    const lines = new LineBatcher(pino.destination({ dest: 1, sync: true }));
    process.prependListener('exit', () => lines.flush());
    stdout = lines;
  }
  return stdout;
}

/** Structured JSON logs on stdout, written in batches within 0.1 s; `LOG_LEVEL` sets the level (default info). */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'devicegate' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return pino(options, destination ?? stdoutLines());
}

/** Nest's start-up chatter (one line per module and route) is detail, not news. */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** Nest's own log lines (start-up, errors) through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    if (context && QUIET_CONTEXTS.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
