import { Readable } from 'node:stream';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '@devicegate/errors';
import { JsonDepthScanner, MAX_JSON_DEPTH } from '../common/json-depth.js';
import { HookRefusals } from './hook-refusals.js';

export const HOOKS_PATH = '/v1/hooks/';

/** The 1 MiB every body is held to (API.md §2.1). */
const BODY_LIMIT = 1024 * 1024;

const RAW_BODY = Symbol('devicegate.rawBody');

/** The exact bytes of a vendor push, as read before JSON parsing (empty for other routes). */
export const rawBodyOf = (request: FastifyRequest): Buffer => (request as FastifyRequest & { [RAW_BODY]?: Buffer })[RAW_BODY] ?? Buffer.alloc(0);

/** Marks a body refused for its nesting, so the refusal is counted against its source. */
const TOO_DEEP = Symbol('devicegate.tooDeep');

/** Reads the body, refusing it at the first chunk that is too large or nested too deep. */
async function readRaw(payload: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const depth = new JsonDepthScanner();
  let size = 0;
  for await (const chunk of payload) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    size += buffer.length;
    if (size > BODY_LIMIT) throw new GatewayError('payload_too_large');
    if (depth.push(buffer)) {
      throw Object.assign(GatewayError.validation([{ name: 'body', message: `is nested more than ${MAX_JSON_DEPTH} levels deep` }], 'The push is not a vendor push.'), { [TOO_DEEP]: true });
    }
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
    fastify.addHook('preParsing', (request, reply, payload, done) => {
      if (!request.url.startsWith(HOOKS_PATH)) return done(null, payload);
      // Refused with the body (partly) unread: the connection ends with the answer instead of reading the rest.
      // Taken now: once the body is cut short the socket may be gone, and its address with it.
      const source = request.ip;
      const wait = this.refusals.blocked(source);
      if (wait !== undefined) {
        reply.header('connection', 'close');
        return done(new GatewayError('rate_limited', 'Too many refused pushes from this address; retry later.', { retryAfter: wait }));
      }
      readRaw(payload).then(
        (raw) => {
          (request as FastifyRequest & { [RAW_BODY]?: Buffer })[RAW_BODY] = raw;
          done(null, Readable.from([raw]));
        },
        (error: Error & { [TOO_DEEP]?: true }) => {
          if (error[TOO_DEEP]) this.refusals.refused(source);
          reply.header('connection', 'close');
          done(error);
        },
      );
    });
  }
}
