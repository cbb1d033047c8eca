import { Command, CommandRunner } from 'nest-commander';
import { DEMO_PASSWORD, DEMO_USERS, DemoSeeder } from '../demo/demo-seeder.js';

@Command({ name: 'demo:seed', description: 'Load the demo dataset (users, registries, consents, two years of shipments with planted anomalies); does nothing if it is loaded' })
export class DemoSeedCommand extends CommandRunner {
  constructor(private readonly seeder: DemoSeeder) {
    super();
  }

  async run(): Promise<void> {
    const result = await this.seeder.seed();
    if (!result.seeded) {
      console.log('the demo dataset is already loaded');
      return;
    }
    console.log(`demo dataset loaded: ${result.declarations} declarations (checked by the worker in the background)`);
    console.log(`logins (password ${DEMO_PASSWORD}): ${DEMO_USERS.map((u) => u.email).join(', ')}`);
  }
}
