import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, buildMessage, IsIn, isEmail, IsString, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { ROLES, type Role } from '@hgtrace/common';

const lower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** A UTF-16 surrogate that is not half of a pair (JSON's `\uD800` alone): such text is not Unicode. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/**
 * IsEmail({ require_tld: false }), false for text with an unpaired surrogate: validator.js measures an
 * address's length by URI-encoding it, which throws on such text (a 500 instead of a 400).
 */
function IsEmailAddress(): PropertyDecorator {
  return ValidateBy({
    name: 'isEmail',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && !UNPAIRED_SURROGATE.test(value) && isEmail(value, { require_tld: false }),
      defaultMessage: buildMessage((each) => `${each}$property must be an email`),
    },
  });
}

export class LoginDto {
  @ApiProperty({ example: 'admin@hgtrace.local' })
  @Transform(lower)
  @IsString() @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'hgtrace-admin-pass' })
  @IsString() @MaxLength(1024)
  password: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'officer.mx@aduanas.example' })
  @Transform(lower)
  @IsEmailAddress() @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'a-long-passphrase', minLength: 12 })
  @IsString() @MinLength(12) @MaxLength(1024)
  password: string;

  @ApiProperty({ enum: ROLES, example: 'customs_officer' })
  @IsIn(ROLES)
  role: Role;

  @ApiProperty({ type: [String], example: ['MX'], description: 'ISO 3166-1 alpha-2 codes; ["*"] (all countries) only for analyst and admin' })
  @ArrayMinSize(1) @ArrayMaxSize(300) @ArrayUnique()
  @IsString({ each: true }) @Matches(/^([A-Z]{2}|\*)$/, { each: true, message: 'each value in countries must be an ISO 3166-1 alpha-2 code or "*"' })
  countries: string[];
}

export class CreateTokenDto {
  @ApiProperty({ example: 'VUCEM customs feed' })
  @IsString() @MinLength(1) @MaxLength(100)
  name: string;
}

export class UserViewDto {
  @ApiProperty({ example: '0b6f8a52-8f4e-4f55-9a53-6f1c8b6a2f10' }) id: string;
  @ApiProperty({ example: 'officer.mx@aduanas.example' }) email: string;
  @ApiProperty({ enum: ROLES, example: 'customs_officer' }) role: Role;
  @ApiProperty({ type: [String], example: ['MX'] }) countries: string[];
  @ApiProperty({ example: '2026-03-01T12:00:00.000Z' }) createdAt: string;
}

export class LoginResponseDto {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' }) accessToken: string;
  @ApiProperty({ example: 900, description: 'seconds' }) expiresIn: number;
  @ApiProperty({ type: UserViewDto }) user: UserViewDto;
}

export class TokenResponseDto {
  @ApiProperty({ example: 'hgt_3q2-7wEXAMPLEzY1nB0tRkz7oQ', description: 'shown once; only its hash is stored' }) token: string;
  @ApiProperty({ example: '5f2a8d1e-2b1c-4a8e-9b0a-1d2e3f4a5b6c' }) id: string;
  @ApiProperty({ example: 'VUCEM customs feed' }) name: string;
}
