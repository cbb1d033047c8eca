import { ValidationPipe } from '@nestjs/common';
import { ValidationFailedError, validationDetails } from '@hgtrace/common';

/** The global pipe: whitelist, refuse unknown fields, transform to DTO classes; errors as VALIDATION_FAILED with field paths. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(validationDetails(errors)),
  });
}
