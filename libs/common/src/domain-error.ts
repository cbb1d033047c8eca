/**
 * Errors that services throw. Each carries a stable code that the exception filter maps to an HTTP
 * status and the error body of API.md; services never deal in HTTP statuses themselves.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  STALE_VERSION: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  BUSINESS_RULE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  DEPENDENCY_DOWN: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export class ValidationFailedError extends DomainError {
  constructor(details: ErrorDetail[], message = 'The request is not valid') {
    super('VALIDATION_FAILED', message, details);
  }

  static of(path: string, message: string): ValidationFailedError {
    return new ValidationFailedError([{ path, message }]);
  }
}

export class NotFoundError extends DomainError {
  constructor(entity: string, id?: string) {
    super('NOT_FOUND', id ? `${entity} ${id} was not found` : `${entity} was not found`);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super('CONFLICT', message, details);
  }
}

export class StaleVersionError extends DomainError {
  constructor(entity: string, expected: number, actual: number) {
    super('STALE_VERSION', `${entity} is at version ${actual}, not ${expected}: reload it and try again`, [
      { path: 'version', message: `must be ${actual}` },
    ]);
  }
}

export class BusinessRuleError extends DomainError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super('BUSINESS_RULE', message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Authentication is required') {
    super('UNAUTHENTICATED', message);
  }
}
