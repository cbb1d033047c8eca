import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsNotEmptyObject, IsObject, IsOptional, IsPositive, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested,
} from 'class-validator';
import { IsDecimalNumber, MAX_PAGE_SIZE } from '@hgtrace/common';
import { IsHsCode, ToHsCode } from '@hgtrace/reference';
import { IsCountry, IsDate, IsDateOnly } from '@hgtrace/registry';

export const FLOWS = ['export', 'import'] as const;
export type Flow = (typeof FLOWS)[number];
export const TRANSPORT_MODES = ['sea', 'air', 'road', 'rail', 'post', 'other'] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];
export const DECLARATION_STATUSES = ['received', 'amended', 'cancelled'] as const;
export type DeclarationStatus = (typeof DECLARATION_STATUSES)[number];

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const upper = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toUpperCase() : value);
const emptyToUndefined = ({ value }: { value: unknown }) => (typeof value === 'string' && value.trim() === '' ? undefined : typeof value === 'string' ? value.trim() : value);

export class DeclaringTraderDto {
  @ApiProperty({ example: 'MXA-0001' }) @Transform(trim) @IsString() @MinLength(1) @MaxLength(64) nationalId: string;
  @ApiProperty({ example: 'Minera del Norte SA de CV' }) @Transform(trim) @IsString() @MinLength(1) @MaxLength(300) name: string;
}

export class CounterpartyDto {
  @ApiProperty({ example: 'Importadora Andina SRL' }) @Transform(trim) @IsString() @MinLength(1) @MaxLength(300) name: string;
  @ApiProperty({ example: 'BO' }) @Transform(upper) @IsString() @IsCountry() country: string;
  @ApiPropertyOptional({ example: 'La Paz' }) @IsOptional() @IsString() @MaxLength(500) address?: string;
}

export class DeclarationItemDto {
  @ApiProperty({ example: '280540', description: '6 to 10 digits; dots and spaces are removed' }) @ToHsCode() @IsString() @IsHsCode() hsCode: string;
  @ApiPropertyOptional({ example: 'Mercury, 100 flasks' }) @IsOptional() @IsString() @MaxLength(1000) description?: string;
  @ApiProperty({ example: 3450, description: 'net mass, kg (up to 3 decimals)' })
  @IsDecimalNumber(3) @IsPositive({ message: 'must be a positive number' }) @Max(1e12)
  netMassKg: number;
  @ApiProperty({ example: 186300, description: 'value, USD (FOB for exports, CIF for imports; up to 2 decimals)' })
  @IsDecimalNumber(2) @Min(0) @Max(1e14)
  valueUsd: number;
}

/** A customs declaration as API.md defines it. */
export class DeclarationDto {
  @ApiProperty({ example: 'MX' }) @Transform(upper) @IsString() @IsCountry() country: string;
  @ApiProperty({ enum: FLOWS, example: 'export' }) @IsIn(FLOWS) flow: Flow;
  @ApiProperty({ example: 'MX-2026-000123' }) @Transform(trim) @IsString() @MinLength(1) @MaxLength(64) @Matches(/^[\x21-\x7e]+( [\x21-\x7e]+)*$/, { message: 'must be printable characters' }) number: string;
  @ApiProperty({ example: '2026-03-01', description: 'acceptance date; not in the future' }) @IsString() @IsDateOnly() @IsDate() date: string;

  @ApiProperty({ type: DeclaringTraderDto, description: 'the exporter for an export, the importer for an import' })
  @IsObject() @IsNotEmptyObject() @ValidateNested() @Type(() => DeclaringTraderDto)
  trader: DeclaringTraderDto;

  @ApiProperty({ type: CounterpartyDto, description: 'the consignee for an export, the consignor for an import' })
  @IsObject() @IsNotEmptyObject() @ValidateNested() @Type(() => CounterpartyDto)
  counterparty: CounterpartyDto;

  @ApiProperty({ example: 'BO', description: 'destination for an export, consignment country for an import' }) @Transform(upper) @IsString() @IsCountry() partnerCountry: string;
  @ApiProperty({ example: 'MX' }) @Transform(upper) @IsString() @IsCountry() originCountry: string;

  @ApiPropertyOptional({ example: 'MSCU1234567', description: 'bill of lading or air waybill' }) @IsOptional() @Transform(emptyToUndefined) @IsString() @MaxLength(64) transportDocument?: string;
  @ApiPropertyOptional({ type: [String], example: ['MSCU1234565'] })
  @IsOptional() @IsArray() @ArrayMaxSize(200) @IsString({ each: true }) @MinLength(1, { each: true }) @MaxLength(32, { each: true })
  containers?: string[];

  @ApiPropertyOptional({ example: 'MX-EXP-0042' }) @IsOptional() @Transform(emptyToUndefined) @IsString() @MaxLength(64) licenceNumber?: string;
  @ApiPropertyOptional({ example: 'BO-PIC-2026-007' }) @IsOptional() @Transform(emptyToUndefined) @IsString() @MaxLength(64) consentReference?: string;
  @ApiPropertyOptional({ enum: TRANSPORT_MODES, example: 'sea' }) @IsOptional() @IsIn(TRANSPORT_MODES) transportMode?: TransportMode;

  @ApiProperty({ type: [DeclarationItemDto] })
  // IsObject each: ValidateNested alone lets a list nested in the list through ([[item]]).
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(500) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => DeclarationItemDto)
  items: DeclarationItemDto[];
}

export class AmendDeclarationDto extends DeclarationDto {
  @ApiProperty({ example: 1, description: 'the version being amended; 409 if it is not the current one' }) @IsInt() @Min(1) version: number;
}

export class CancelDeclarationDto {
  @ApiProperty({ example: 'Shipment withdrawn by the exporter' }) @Transform(trim) @IsString() @MinLength(3) @MaxLength(2000) reason: string;
}

export class BatchDto {
  @ApiProperty({ type: [DeclarationDto], description: 'up to 1,000 declarations; each is validated on its own' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1000)
  declarations: unknown[];
}

export class ListDeclarationsQuery {
  @ApiPropertyOptional({ example: 'MX' }) @IsOptional() @Transform(upper) @IsString() @IsCountry() country?: string;
  @ApiPropertyOptional({ enum: FLOWS }) @IsOptional() @IsIn(FLOWS) flow?: Flow;
  @ApiPropertyOptional({ example: '2026-01-01' }) @IsOptional() @IsString() @IsDateOnly() @IsDate() from?: string;
  @ApiPropertyOptional({ example: '2026-12-31' }) @IsOptional() @IsString() @IsDateOnly() @IsDate() to?: string;
  @ApiPropertyOptional({ example: '2805', description: 'HS code prefix of any item' }) @IsOptional() @ToHsCode() @IsString() @Matches(/^\d{2,10}$/, { message: 'must be 2 to 10 digits' }) hsCode?: string;
  @ApiPropertyOptional({ example: 'MXA-0001', description: 'the declaring trader\'s national id, or words of its name' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(300) trader?: string;
  @ApiPropertyOptional({ enum: DECLARATION_STATUSES }) @IsOptional() @IsIn(DECLARATION_STATUSES) status?: DeclarationStatus;
  @ApiPropertyOptional({ default: 50, maximum: MAX_PAGE_SIZE }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}
