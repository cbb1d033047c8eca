import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { ValidationFailedError, validationDetails } from '@hgtrace/common';
import { BatchDto, DeclarationDto, fastValidateDeclaration } from '@hgtrace/declarations';

/**
 * How deeply a JSON body may nest. The deepest body of the API (a batch of declarations with their
 * items) nests 4 levels; class-transformer recurses once per level and overflows the stack a few
 * thousand levels down, which would otherwise answer a 500.
 */
export const MAX_BODY_DEPTH = 32;

/** The first path in `value` that nests deeper than `max` levels, or null; iterative, so any depth is safe. */
export function pathNestedDeeperThan(value: unknown, max: number): string | null {
  const pending: [unknown, number, string][] = [[value, 0, '']];
  while (pending.length > 0) {
    const [node, depth, path] = pending.pop()!;
    if (depth > max) return path;
    for (const [key, child] of Object.entries(node as object)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1, Array.isArray(node) ? `${path}[${key}]` : path ? `${path}.${key}` : key]);
    }
  }
  return null;
}

/** A NUL character, or a surrogate without its other half: text PostgreSQL cannot store. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The paths of the strings in `value` that PostgreSQL cannot store (UNSTORABLE); iterative, so any depth is safe. */
export function unstorableTextPaths(value: unknown): string[] {
  const found: string[] = [];
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [node, path] = pending.pop()!;
    for (const [key, child] of Object.entries(node as object)) {
      const at = Array.isArray(node) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      if (typeof child === 'string' && UNSTORABLE.test(child)) found.push(at);
      else if (child !== null && typeof child === 'object') pending.push([child, at]);
    }
  }
  return found.sort();
}

/**
 * Bodies nested too deep are refused first, then text PostgreSQL cannot store, by path (the
 * declarations say so themselves, per declaration of a batch, DeclarationsService.validate). A declaration body (filing one, verify) that is valid
 * beyond doubt takes the fast path, which builds the same DTO in a few µs instead of the ~150 µs of
 * class-transformer and class-validator; anything else goes through class-validator, which names the
 * problem.
 */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && value !== null && typeof value === 'object') {
      const path = pathNestedDeeperThan(value, MAX_BODY_DEPTH);
      if (path !== null) throw ValidationFailedError.of(path, `is nested deeper than ${MAX_BODY_DEPTH} levels`);
      if (metadata.metatype !== DeclarationDto && metadata.metatype !== BatchDto) {
        const unstorable = unstorableTextPaths(value);
        if (unstorable.length > 0) throw new ValidationFailedError(unstorable.map((at) => ({ path: at, message: 'must not contain a NUL character or an unpaired surrogate' })));
      }
      if (metadata.metatype === DeclarationDto) {
        const dto = fastValidateDeclaration(value);
        if (dto) return dto;
      }
    }
    return super.transform(value, metadata);
  }
}

/** The global pipe: whitelist, refuse unknown fields, transform to DTO classes; errors as VALIDATION_FAILED with field paths. */
export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(validationDetails(errors)),
  });
}

