// @ts-check
import { pathsToModuleNameMapper } from 'ts-jest';
import ts from 'typescript';

// Path aliases live in tsconfig.json; read them from there rather than repeat them.
const { config: tsconfig } = ts.readConfigFile('./tsconfig.json', ts.sys.readFile);
const moduleNameMapper = {
  '^(\\.{1,2}/.*)\\.js$': '$1',
  ...pathsToModuleNameMapper(tsconfig.compilerOptions.paths, { prefix: '<rootDir>/', useESM: true }),
};
const common = {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  moduleNameMapper,
};

/** @type {import('jest').Config} */
export default {
  maxWorkers: 2,
  // e2e tests start the api and worker processes; a unit test never comes near this.
  testTimeout: 90_000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/apps', '<rootDir>/libs'], testRegex: '\\.spec\\.ts$' },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test'],
      testRegex: '\\.e2e-spec\\.ts$',
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
    },
    {
      ...common,
      // Fault injection: each file starts PostgreSQL and Redis servers of its own and kills parts of hgtrace.
      displayName: 'faults',
      roots: ['<rootDir>/test'],
      testRegex: '\\.faults-spec\\.ts$',
      globalSetup: '<rootDir>/test/support/faults/global-setup.mjs',
    },
  ],
};
