import { DataSource } from 'typeorm';
import { loadEnv } from '@hgtrace/config';
import { dataSourceOptions } from './database.options.js';

/** For the TypeORM CLI (`npm run typeorm -- migration:show`). The app builds its own from the same options. */
export default new DataSource(dataSourceOptions(loadEnv(), 'hgtrace-cli'));
