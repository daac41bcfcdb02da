import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { dataSourceOptions } from './data-source-options';
import { isPermanentDatabaseError } from '../startup-failure';
import { DatabaseService } from './database.service';

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
    }),
  ],
  providers: [DatabaseService],
  exports: [DatabaseService],
})
export class DatabaseModule {}
