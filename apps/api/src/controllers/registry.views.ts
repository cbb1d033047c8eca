import { ApiProperty } from '@nestjs/swagger';
import { LICENCE_STATUSES, LICENCE_TYPES } from '@hgtrace/registry';
import { CONSENT_PURPOSES, CONSENT_STATUSES, CONSENT_TYPES } from '@hgtrace/consents';

/** Response shapes, for the OpenAPI document. */
export class TraderDto {
  @ApiProperty({ example: '0b6f8a52-8f4e-4f55-9a53-6f1c8b6a2f10' }) id: string;
  @ApiProperty({ example: 'MX' }) country: string;
  @ApiProperty({ example: 'MNO-840512-AB1' }) nationalId: string;
  @ApiProperty({ example: 'Minera del Norte SA de CV' }) name: string;
  @ApiProperty({ example: 'Av. Industrial 120, Zacatecas', nullable: true, type: String }) address: string | null;
  @ApiProperty({ type: [String], example: ['Minera Norte'] }) aliases: string[];
  @ApiProperty({ example: '2026-03-01T12:00:00.000Z' }) createdAt: string;
  @ApiProperty({ required: false, example: 0.82, description: 'similarity to the search, when searching' }) similarity?: number;
}

class StatusOnDto {
  @ApiProperty({ example: '2026-03-01' }) date: string;
  @ApiProperty({ example: 'active' }) status: string;
  @ApiProperty({ example: true }) valid: boolean;
}

class LicenceChangeDto {
  @ApiProperty({ example: 'active' }) from: string;
  @ApiProperty({ example: 'suspended' }) to: string;
  @ApiProperty({ example: 'Inspection found storage outside the licensed site' }) reason: string;
  @ApiProperty({ example: 'focal.mx@semarnat.example' }) actor: string;
  @ApiProperty({ example: '2026-03-10T09:00:00.000Z' }) at: string;
}

export class LicenceDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'MX' }) country: string;
  @ApiProperty() traderId: string;
  @ApiProperty({ example: 'Minera del Norte SA de CV' }) traderName: string;
  @ApiProperty({ example: 'MX-EXP-0042' }) number: string;
  @ApiProperty({ enum: LICENCE_TYPES, example: 'export' }) type: string;
  @ApiProperty({ type: [String], example: ['280540'] }) hsCodes: string[];
  @ApiProperty({ example: 10000, nullable: true, type: Number }) maxQuantityKg: number | null;
  @ApiProperty({ example: 3450 }) usedQuantityKg: number;
  @ApiProperty({ example: 6550, nullable: true, type: Number }) remainingQuantityKg: number | null;
  @ApiProperty({ example: '2026-01-01' }) validFrom: string;
  @ApiProperty({ example: '2026-12-31' }) validTo: string;
  @ApiProperty({ enum: LICENCE_STATUSES, example: 'active' }) status: string;
  @ApiProperty({ type: StatusOnDto }) statusOn: StatusOnDto;
  @ApiProperty({ type: [LicenceChangeDto] }) history: LicenceChangeDto[];
  @ApiProperty({ example: '2026-01-01T09:00:00.000Z' }) createdAt: string;
}

export class TraderWithLicencesDto extends TraderDto {
  @ApiProperty({ type: [LicenceDto] }) licences: LicenceDto[];
}

export class TraderPageDto {
  @ApiProperty({ type: [TraderDto] }) items: TraderDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class LicencePageDto {
  @ApiProperty({ type: [LicenceDto] }) items: LicenceDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ConsentDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'BO-PIC-2026-007' }) reference: string;
  @ApiProperty({ enum: CONSENT_TYPES, example: 'written_consent' }) type: string;
  @ApiProperty({ example: 'BO' }) issuingCountry: string;
  @ApiProperty({ example: 'MX' }) exportingCountry: string;
  @ApiProperty({ example: 'BO' }) importingCountry: string;
  @ApiProperty({ nullable: true, type: String }) exporterId: string | null;
  @ApiProperty({ nullable: true, type: String }) importerId: string | null;
  @ApiProperty({ type: [String], example: ['280540'] }) hsCodes: string[];
  @ApiProperty({ example: 3450, nullable: true, type: Number }) quantityKg: number | null;
  @ApiProperty({ example: 1000 }) usedQuantityKg: number;
  @ApiProperty({ example: 2450, nullable: true, type: Number }) remainingQuantityKg: number | null;
  @ApiProperty({ enum: CONSENT_PURPOSES, example: 'allowed_use' }) purpose: string;
  @ApiProperty({ example: '2026-01-01' }) validFrom: string;
  @ApiProperty({ example: '2026-12-31' }) validTo: string;
  @ApiProperty({ example: false }) nonPartyCertification: boolean;
  @ApiProperty({ nullable: true, type: String }) conditions: string | null;
  @ApiProperty({ enum: CONSENT_STATUSES, example: 'active' }) status: string;
  @ApiProperty({ nullable: true, type: String }) withdrawnReason: string | null;
  @ApiProperty({ nullable: true, type: String }) withdrawnAt: string | null;
  @ApiProperty({ type: StatusOnDto }) statusOn: StatusOnDto;
  @ApiProperty({ example: '2026-01-01T09:00:00.000000Z' }) createdAt: string;
}

export class ConsentPageDto {
  @ApiProperty({ type: [ConsentDto] }) items: ConsentDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
