import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ImportRunState = 'running' | 'done';

/**
 * The checkpoint of one import of one file for one merchant: how many of the file's rows are
 * settled (written, refused or found unchanged). It is written in the same transaction as each
 * batch of rows, so after a crash `--resume` starts exactly after the last committed batch.
 */
@Entity('import_runs')
export class ImportRun {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  merchant_id!: string;

  /** SHA-256 of the file's absolute path and the import's options: the same import, resumed. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  source_key!: string;

  @Column({ type: 'varchar', length: 1024 })
  source!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: ImportRunState;

  @Column({ type: 'int' })
  rows_done!: number;

  @Column({ type: 'int' })
  created!: number;

  @Column({ type: 'int' })
  updated!: number;

  @Column({ type: 'int' })
  unchanged!: number;

  @Column({ type: 'int' })
  rejected!: number;

  @Column({ type: 'datetime', precision: 3 })
  started_at!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updated_at!: Date;
}
