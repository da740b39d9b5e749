import { Body, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { GatewayError, type FieldError } from '@devicegate/errors';

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const name = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints
      ? [{ name: name || 'body', message: Object.values(error.constraints).join('; ').replace(/^property (\S+) should not exist$/, 'is not a known field') }]
      : [];
    return [...own, ...flatten(error.children ?? [], name)];
  });
}

/** A JSON body must be an object before its fields can be checked. */
class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw GatewayError.validation([{ name: 'body', message: 'must be a JSON object' }], 'The body must be a JSON object.');
    }
    return super.transform(value, metadata);
  }
}

/** Strict input at the edge: unknown fields are refused, and every bad one is named. */
const validationPipe = () =>
  new BodyValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return GatewayError.validation(fields, fields.length === 1 ? `The field '${fields[0].name}' is invalid.` : 'One or more body fields are invalid.');
    },
  });

/**
 * A JSON body checked against its DTO class: unknown fields refused, every bad field named. Bodies are
 * the only input that goes through class-validator; path and query values are read by the services
 * themselves, so routes without a body do no pipe work at all.
 */
export const ValidBody = () => Body(validationPipe());
