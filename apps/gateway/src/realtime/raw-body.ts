import { Readable } from 'node:stream';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '@devicegate/errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../common/json-depth.js';
import { HookRefusals } from './hook-refusals.js';

export const HOOKS_PATH = '/v1/hooks/';

/** The 1 MiB every body is held to (API.md §2.1). */
const BODY_LIMIT = 1024 * 1024;

const RAW_BODY = Symbol('devicegate.rawBody');

/** The exact bytes of a vendor push, as read before JSON parsing (empty for other routes). */
export const rawBodyOf = (request: FastifyRequest): Buffer => (request as FastifyRequest & { [RAW_BODY]?: Buffer })[RAW_BODY] ?? Buffer.alloc(0);

async function readRaw(payload: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buffer.length;
    if (size > BODY_LIMIT) throw new GatewayError('payload_too_large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Vendor signatures are computed over the bytes sent, which JSON parsing loses; for `/v1/hooks/*` only,
 * the body is read once, kept, and handed on to the usual JSON parser unchanged. Before that, a source
 * with too many refused pushes is answered 429 without its body being read, and a body nested deeper
 * than any vendor's is refused (and counted as a refusal) before it costs a parse.
 */
@Injectable()
export class RawBodyCapture implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly refusals: HookRefusals,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('preParsing', (request, _reply, payload, done) => {
      if (!request.url.startsWith(HOOKS_PATH)) return done(null, payload);
      const wait = this.refusals.blocked(request.ip);
      if (wait !== undefined) return done(new GatewayError('rate_limited', 'Too many refused pushes from this address; retry later.', { retryAfter: wait }));
      readRaw(payload).then((raw) => {
        if (exceedsJsonDepth(raw)) {
          this.refusals.refused(request.ip);
          return done(GatewayError.validation([{ name: 'body', message: `is nested more than ${MAX_JSON_DEPTH} levels deep` }], 'The push is not a vendor push.'));
        }
        (request as FastifyRequest & { [RAW_BODY]?: Buffer })[RAW_BODY] = raw;
        done(null, Readable.from([raw]));
      }, done);
    });
  }
}
