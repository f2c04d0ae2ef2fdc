// First import of main.ts: registers the library instrumentations (HTTP, PostgreSQL, Prisma, Redis,
// Kafka) before anything requires the modules they patch.
import { instrumentLibraries } from '@hearth/telemetry';

instrumentLibraries();
