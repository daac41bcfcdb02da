import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { isPermanentDatabaseError } from '../startup-failure';
import { dataSourceOptions } from './data-source-options';
import { DatabaseService } from './database.service';

/**
 * Connects, then runs pending migrations (when MIGRATIONS_RUN is on) and names each one it
 * applied in one log line; TypeORM's own migrationsRun would apply them silently.
 */
export async function connectAndMigrate(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
  if (!options.migrationsRun) return dataSource;
  try {
    const applied = await dataSource.runMigrations({
      transaction: options.migrationsTransactionMode ?? 'all',
    });
    const logger = new Logger('Migrations');
    for (const migration of applied) logger.log(`Applied migration ${migration.name}`);
  } catch (err) {
    // A retry starts from a new connection; do not leave this one open.
    await dataSource.destroy();
    throw err;
  }
  return dataSource;
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.databaseUrl, config.dbPoolSize),
        migrationsRun: config.migrationsRun,
        // Start-up fails fast when the database is away instead of retrying for minutes.
        retryAttempts: 2,
        retryDelay: 1000,
        // A wrong password or an unknown database will not fix itself by waiting.
        toRetry: (err: unknown) => !isPermanentDatabaseError(err),
      }),
      dataSourceFactory: (options) => connectAndMigrate(options as DataSourceOptions),
    }),
  ],
  providers: [DatabaseService],
  exports: [DatabaseService],
})
export class DatabaseModule {}
