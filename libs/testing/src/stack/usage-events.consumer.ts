// Owns reading llm.usage.v1 from the real broker for one spec: from the topic's end at subscription time
// (earlier runs' events are skipped), each record parsed with the topic's schema, the ones `keep` accepts
// kept.
import { USAGE_TOPIC, type UsageEvent } from '@hearth/events';

import { consumeTopicRecords } from './topic-records.consumer';

export interface UsageEvents {
  /** Every kept event, in arrival order. */
  readonly events: UsageEvent[];
  forTenant(tenantId: string): UsageEvent[];
  close(): Promise<void>;
}

export interface UsageEventsOptions {
  /** Which events to keep (default: all). */
  keep?: (event: UsageEvent) => boolean;
}

export async function consumeUsageEvents(options: UsageEventsOptions = {}): Promise<UsageEvents> {
  const topic = await consumeTopicRecords([USAGE_TOPIC.name]);
  const kept: UsageEvent[] = [];
  let read = 0;
  // Parsed as they are asked for; a record that is not a usage event (a DLQ spec's poison) is skipped.
  const events = () => {
    for (; read < topic.records.length; read++) {
      const parsed = USAGE_TOPIC.schema.safeParse(jsonOrNull(topic.records[read]?.value));
      if (parsed.success && (options.keep?.(parsed.data as UsageEvent) ?? true))
        kept.push(parsed.data as UsageEvent);
    }
    return kept;
  };
  return {
    get events() {
      return events();
    },
    forTenant: (tenantId) => events().filter((event) => event.tenantId === tenantId),
    close: topic.close,
  };
}

function jsonOrNull(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? 'null');
  } catch {
    return null;
  }
}
