/** The TypeORM data source for the migration CLI (npm run migration:run): the app's own options. */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/config';
import { dataSourceOptions } from './src/database/data-source-options';

export default new DataSource(dataSourceOptions(loadConfig().databaseUrl));
