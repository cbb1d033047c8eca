import { Global, Module } from '@nestjs/common';
import { Env, loadEnv } from './env.js';

/** Provides the validated Env to every module. Validation happens once, when the module is built. */
@Global()
@Module({
  providers: [{ provide: Env, useFactory: () => loadEnv() }],
  exports: [Env],
})
export class ConfigModule {}
