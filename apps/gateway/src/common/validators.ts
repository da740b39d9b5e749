import { registerDecorator, type ValidationOptions } from 'class-validator';

/** An object whose values are all strings (or null, when `allowNull`), with sane key and value sizes. */
export function IsStringMap(options: { allowNull?: boolean; maxEntries?: number } = {}, validationOptions?: ValidationOptions) {
  return (target: object, propertyName: string) => {
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName,
      options: {
        message: `${propertyName} must be an object of string${options.allowNull ? ' or null' : ''} values (keys 1-128 characters, values up to 1024)`,
        ...validationOptions,
      },
      validator: {
        validate(value: unknown) {
          if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          if (entries.length > (options.maxEntries ?? 100)) return false;
          return entries.every(
            ([key, v]) => key.length >= 1 && key.length <= 128 && ((typeof v === 'string' && v.length <= 1024) || (options.allowNull === true && v === null)),
          );
        },
      },
    });
  };
}
