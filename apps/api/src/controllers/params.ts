import { ParseUUIDPipe } from '@nestjs/common';
import { ValidationFailedError } from '@hgtrace/common';

/** A UUID path parameter; anything else is a 400 naming the parameter. */
export const uuidParam = (name = 'id') => new ParseUUIDPipe({ exceptionFactory: () => ValidationFailedError.of(name, 'must be a UUID') });
