// Owns running the hand-written statements of a turn's hot path straight through node-postgres, on
// the same pool as the Prisma Client. The statements are written as Prisma's tagged templates
// (Prisma.sql: nested fragments and parameters become `$n` placeholders, nothing is spliced into the
// text); only the execution skips Prisma's query compiler and runtime: about 200 µs of CPU less per
// statement of a turn (bench/README.md, "The statements' own cost").
// Results are node-postgres's: timestamps as Date, int4 as number, bigint and numeric as string,
// json and jsonb parsed.
import type pg from 'pg';

import { Prisma } from './generated/prisma';

export class SqlStatements {
  constructor(private readonly pool: pg.Pool) {}

  /** The rows the statement returns. */
  async rows<T extends object>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]> {
    const sql = Prisma.sql(strings, ...values);
    return (await this.pool.query<T>(sql.text, sql.values)).rows;
  }

  /** How many rows the statement inserted, updated or deleted. */
  async execute(strings: TemplateStringsArray, ...values: unknown[]): Promise<number> {
    const sql = Prisma.sql(strings, ...values);
    return (await this.pool.query(sql.text, sql.values)).rowCount ?? 0;
  }
}
