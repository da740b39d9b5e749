import { Controller, Inject, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { GatewayError, type FieldError } from '@devicegate/errors';
import { CurrentClient } from '../auth/current-client.decorator.js';
import { V1Operation } from '../common/api.decorators.js';
import { ValidBody } from '../common/validation.js';
import { GATEWAY_CONFIG, type ClientConfig, type GatewayConfig } from '../config/config.types.js';
import { CreateTokenDto, DEFAULT_TOKEN_TTL_SECONDS, TokenDto } from './token.dto.js';
import { MAX_TOKEN_TTL_SECONDS, TokenSigner } from './token-signer.js';

@ApiTags('tokens')
@Controller('v1/tokens')
export class TokensController {
  private readonly connectionIds: Set<string>;

  constructor(
    private readonly signer: TokenSigner,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.connectionIds = new Set(config.connections.map((connection) => connection.id));
  }

  @Post()
  @V1Operation({
    operationId: 'createToken',
    summary: 'Mint a short-lived token',
    description: `A bearer token for a browser page, so the page never holds the key: it carries at most the scopes and connections of the key that mints it (asking for more is a \`validation_error\` naming the field) and expires after \`ttl_seconds\` (at most ${MAX_TOKEN_TTL_SECONDS}). It acts as the minting client: the same rate limit and the same webhooks. Use it as \`Authorization: Bearer <token>\` on any operation, and on \`GET /v1/events\` (where \`EventSource\` cannot send headers) also as \`?access_token=<token>\`. A token cannot mint tokens, and is not revocable: keep \`ttl_seconds\` short. Tokens are signed with \`server.token_secret\`; instances behind one load balancer need the same secret, and without one each process uses a random secret, so its tokens end when it restarts.`,
  })
  @ApiCreatedResponse({ description: 'The token.', type: TokenDto })
  createToken(@CurrentClient() client: ClientConfig, @ValidBody() body: CreateTokenDto): TokenDto {
    if (client.tokenExpiresAt !== undefined) throw new GatewayError('access_denied', 'A token cannot mint tokens; use a key.');
    const scopes = body.scopes ?? [...client.scopes];
    const connections = body.connections ?? [...client.connections];
    const all = client.connections.has('*');
    const fields: FieldError[] = [
      ...scopes.flatMap((scope, i) => (client.scopes.has(scope) ? [] : [{ name: `scopes[${i}]`, message: `'${scope}' is not a scope of this key` }])),
      ...connections.flatMap((id, i) =>
        (id === '*' ? all : this.connectionIds.has(id) && (all || client.connections.has(id))) ? [] : [{ name: `connections[${i}]`, message: `'${id}' is not a connection this key may reach` }],
      ),
    ];
    if (fields.length) throw GatewayError.validation(fields, 'A token cannot grant more than the key that mints it.');
    const expiresAt = Math.floor(Date.now() / 1000) + (body.ttl_seconds ?? DEFAULT_TOKEN_TTL_SECONDS);
    const unique = { scopes: [...new Set(scopes)], connections: [...new Set(connections)] };
    return {
      object: 'token',
      token: this.signer.mint({ client: client.name, ...unique, expiresAt }),
      expires_at: new Date(expiresAt * 1000).toISOString(),
      ...unique,
    };
  }
}
