import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '@hgtrace/common';

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  email: string;

  @Column('text', { name: 'password_hash', select: false })
  passwordHash: string;

  @Column('text')
  role: Role;

  @Column('text', { array: true })
  countries: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt: Date | null;
}

/** A user as the API shows it: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  role: Role;
  countries: string[];
  createdAt: string;
}

export function toUserView(user: User): UserView {
  return { id: user.id, email: user.email, role: user.role, countries: user.countries, createdAt: user.createdAt.toISOString() };
}
