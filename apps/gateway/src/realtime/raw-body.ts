import { Readable } from 'node:stream';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '@devicegate/errors';

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
 * the body is read once, kept, and handed on to the usual JSON parser unchanged.
 */
@Injectable()
export class RawBodyCapture implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('preParsing', (request, _reply, payload, done) => {
      if (!request.url.startsWith(HOOKS_PATH)) return done(null, payload);
      readRaw(payload).then((raw) => {
        (request as FastifyRequest & { [RAW_BODY]?: Buffer })[RAW_BODY] = raw;
        done(null, Readable.from([raw]));
      }, done);
    });
  }
}
