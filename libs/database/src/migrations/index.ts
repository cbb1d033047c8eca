import { Platform1763769600000 } from './1763769600000-Platform.js';
import { Registry1763856000000 } from './1763856000000-Registry.js';
import { Declarations1763942400000 } from './1763942400000-Declarations.js';
import { Imports1764028800000 } from './1764028800000-Imports.js';
import { Flags1764115200000 } from './1764115200000-Flags.js';
import { CrosscheckRuns1764201600000 } from './1764201600000-CrosscheckRuns.js';
import { Mirror1764288000000 } from './1764288000000-Mirror.js';
import { UndocumentedIndexes1764374400000 } from './1764374400000-UndocumentedIndexes.js';
import { AuditHeadOncePerStatement1764460800000 } from './1764460800000-AuditHeadOncePerStatement.js';
import { LicenceUsageInValidity1764600000000 } from './1764600000000-LicenceUsageInValidity.js';
import { RunSlices1764600000010 } from './1764600000010-RunSlices.js';
import { AuditChainLean1764600000100 } from './1764600000100-AuditChainLean.js';
import { LicenceUsageTotals1764650000000 } from './1764650000000-LicenceUsageTotals.js';
import { AuthChangeNotify1764700000000 } from './1764700000000-AuthChangeNotify.js';
import { DeclarationsFillfactor1764800000000 } from './1764800000000-DeclarationsFillfactor.js';
import { ExportRouteGenerations1764900000000 } from './1764900000000-ExportRouteGenerations.js';
import { RegistryVersion1765000000000 } from './1765000000000-RegistryVersion.js';

/** Every migration, in order. A migration is never edited once it has landed: add a new one. */
export const MIGRATIONS = [Platform1763769600000, Registry1763856000000, Declarations1763942400000, Imports1764028800000, Flags1764115200000, CrosscheckRuns1764201600000, Mirror1764288000000, UndocumentedIndexes1764374400000, AuditHeadOncePerStatement1764460800000, LicenceUsageInValidity1764600000000, RunSlices1764600000010, AuditChainLean1764600000100, LicenceUsageTotals1764650000000, AuthChangeNotify1764700000000, DeclarationsFillfactor1764800000000, ExportRouteGenerations1764900000000, RegistryVersion1765000000000];
