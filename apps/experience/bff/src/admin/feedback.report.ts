// Owns the per-variant feedback report of the admin CLI: the thumbs users gave a tenant's answers,
// counted by the prompt variant that served each answer (read from the answer's turn trace), so a
// prompt rollout can be judged by what people said as well as by the eval harness. One tenant at a
// time; answers traced before prompts were versioned count as variant "(unrecorded)".
import type { PrismaClient } from '@hearth/db';

export interface VariantFeedback {
  variant: string;
  experiment: string;
  up: number;
  down: number;
  /** up / (up + down); null without feedback. */
  upRate: number | null;
}

export class FeedbackReport {
  constructor(private readonly prisma: PrismaClient) {}

  /** Feedback on the tenant's answers given since `since`, per variant, most rated first. */
  async byVariant(tenantId: string, since: Date): Promise<VariantFeedback[]> {
    const rows = await this.prisma.$queryRaw<
      Array<{ variant: string; experiment: string; up: bigint; down: bigint }>
    >`
      SELECT coalesce(t.prompts->>'variant', '(unrecorded)') AS variant,
             coalesce(t.prompts->>'experiment', '') AS experiment,
             count(*) FILTER (WHERE f.rating = 'up') AS up,
             count(*) FILTER (WHERE f.rating = 'down') AS down
        FROM message_feedback f
        JOIN turn_traces t ON t.message_id = f.message_id AND t.tenant_id = f.tenant_id
       WHERE f.tenant_id = ${tenantId}::uuid AND f.updated_at >= ${since}
       GROUP BY 1, 2
       ORDER BY count(*) DESC, 1`;
    return rows.map((row) => {
      const up = Number(row.up);
      const down = Number(row.down);
      return {
        variant: row.variant,
        experiment: row.experiment,
        up,
        down,
        upRate: up + down > 0 ? up / (up + down) : null,
      };
    });
  }
}
