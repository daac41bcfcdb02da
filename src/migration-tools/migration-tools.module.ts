import { DynamicModule, Module } from '@nestjs/common';
import { AppModule } from '../app.module';
import { AuthModule } from '../auth/auth.module';
import type { AppConfig } from '../config/config';
import { CustomersModule } from '../customers/customers.module';
import { CustomerExporter } from './customer-export';
import { CustomerImporter } from './customer-import';
import { DemoSeeder } from './demo-seed';
import { ImportRunsRepository } from './import-runs.repository';

/**
 * The data-migration commands of the CLI, over the whole application (no HTTP server): the
 * customer writes they make run every step other modules add to a change (CustomerChanges),
 * exactly as the API's do.
 */
@Module({})
export class MigrationToolsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MigrationToolsModule,
      imports: [AppModule.forRoot(config), CustomersModule, AuthModule],
      providers: [ImportRunsRepository, CustomerImporter, CustomerExporter, DemoSeeder],
    };
  }
}
