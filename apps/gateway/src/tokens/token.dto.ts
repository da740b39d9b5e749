import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { SCOPES, type Scope } from '../config/config.types.js';
import { MAX_TOKEN_TTL_SECONDS } from './token-signer.js';

export const DEFAULT_TOKEN_TTL_SECONDS = 900;
const TOKEN_EXAMPLE = 'dgt_eyJjIjoic2FuZGJveCIsInMiOlsicmVhZCJdLCJuIjpbIioiXSwiZSI6MTcxMzM1NTIwN30.lQ0n8wDNVQqXvzZ7n3ekyOGPo9Y3U6Xq2m1aPj0oW9c';

@ApiSchema({ name: 'CreateTokenRequest', description: 'What a short-lived token may do: never more than the key that mints it.' })
export class CreateTokenDto {
  @ApiPropertyOptional({ description: `How long the token is valid, in seconds: 1 to ${MAX_TOKEN_TTL_SECONDS}.`, minimum: 1, maximum: MAX_TOKEN_TTL_SECONDS, default: DEFAULT_TOKEN_TTL_SECONDS, example: 600 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TOKEN_TTL_SECONDS)
  ttl_seconds?: number;

  @ApiPropertyOptional({ description: "The scopes it carries, each one the minting key's own. Default: the key's scopes.", type: [String], enum: SCOPES, example: ['read'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(SCOPES, { each: true })
  scopes?: Scope[];

  @ApiPropertyOptional({ description: 'The connection ids it may reach (`*`: all), each one the minting key may reach. Default: the key\'s connections.', type: [String], example: ['sandbox-hardwario', 'sandbox-disruptive'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  connections?: string[];
}

@ApiSchema({ name: 'Token', description: 'A short-lived bearer token.' })
export class TokenDto {
  @ApiProperty({ description: 'Always `token`.', enum: ['token'], example: 'token' })
  object: 'token';

  @ApiProperty({ description: 'Use it as `Authorization: Bearer <token>`, or on `GET /v1/events` as `?access_token=<token>`.', example: TOKEN_EXAMPLE })
  token: string;

  @ApiProperty({ description: 'When it stops being accepted (RFC 3339 UTC).', type: String, format: 'date-time', example: '2024-04-17T11:18:27.000Z' })
  expires_at: string;

  @ApiProperty({ description: 'The scopes it carries.', type: [String], enum: SCOPES, example: ['read'] })
  scopes: Scope[];

  @ApiProperty({ description: 'The connection ids it may reach (`*`: all).', type: [String], example: ['sandbox-hardwario', 'sandbox-disruptive'] })
  connections: string[];
}
