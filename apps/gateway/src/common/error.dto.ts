import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ERROR_TYPES } from '@devicegate/errors';

@ApiSchema({ name: 'FieldError', description: 'One invalid parameter or body field of a validation_error.' })
export class FieldErrorDto {
  @ApiProperty({ description: 'The parameter or body field that is invalid.', example: 'limit' })
  name: string;

  @ApiProperty({ description: 'What is wrong with it.', example: 'must be an integer from 2 to 1000' })
  message: string;
}

@ApiSchema({ name: 'Error', description: 'The error object every non-2xx answer carries.' })
export class ErrorDto {
  @ApiProperty({ description: 'Always `error`.', enum: ['error'], example: 'error' })
  object: 'error';

  @ApiProperty({ description: 'The HTTP status code of the answer.', example: 400 })
  code: number;

  @ApiProperty({ description: 'The error type; clients branch on it.', enum: ERROR_TYPES, example: 'validation_error' })
  type: string;

  @ApiProperty({ description: 'A human-readable explanation.', example: 'One or more query parameters are invalid.' })
  message: string;

  @ApiPropertyOptional({ description: 'For `validation_error`: one entry per invalid parameter or field.', type: [FieldErrorDto] })
  fields?: FieldErrorDto[];

  @ApiProperty({ description: 'The id of the request, also in the `X-Request-ID` header; quote it when asking for help.', example: '0161991d63150242ac12000600000000' })
  request_id: string;

  @ApiPropertyOptional({ description: 'The connection whose vendor call caused the error.', example: 'sandbox-hardwario' })
  connection_id?: string;

  @ApiPropertyOptional({ description: 'The provider of that connection.', example: 'hardwario' })
  provider?: string;

  @ApiPropertyOptional({ description: 'The HTTP status the vendor answered.', example: 503 })
  upstream_status?: number;

  @ApiProperty({ description: 'Whether the same request may succeed later.', example: false })
  retryable: boolean;
}
