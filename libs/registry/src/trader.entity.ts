import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity('traders')
export class Trader {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('char', { length: 2 })
  country: string;

  @Column('text', { name: 'national_id' })
  nationalId: string;

  @Column('text')
  name: string;

  @Column('text', { nullable: true })
  address: string | null;

  @Column('text', { array: true })
  aliases: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
