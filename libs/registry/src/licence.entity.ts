import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { numericColumn } from './numeric.js';

export const LICENCE_TYPES = ['export', 'import'] as const;
export type LicenceType = (typeof LICENCE_TYPES)[number];
export const STORED_LICENCE_STATUSES = ['active', 'suspended', 'revoked'] as const;
export type StoredLicenceStatus = (typeof STORED_LICENCE_STATUSES)[number];
/** `expired` is never stored: it is derived from the validity dates. */
export const LICENCE_STATUSES = [...STORED_LICENCE_STATUSES, 'expired'] as const;
export type LicenceStatus = (typeof LICENCE_STATUSES)[number];

@Entity('licences')
export class Licence {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('char', { length: 2 })
  country: string;

  @Column('uuid', { name: 'trader_id' })
  traderId: string;

  @Column('text')
  number: string;

  @Column('text')
  type: LicenceType;

  @Column('text', { name: 'hs_codes', array: true })
  hsCodes: string[];

  @Column('numeric', { name: 'max_quantity_kg', nullable: true, transformer: numericColumn })
  maxQuantityKg: number | null;

  @Column('numeric', { name: 'used_quantity_kg', transformer: numericColumn, default: 0 })
  usedQuantityKg: number;

  @Column('date', { name: 'valid_from' })
  validFrom: string;

  @Column('date', { name: 'valid_to' })
  validTo: string;

  @Column('text')
  status: StoredLicenceStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
