// The ledger's dead-letter CLI (`npm run ledger-dlq -- …`, with KAFKA_BROKERS):
//
//   npm run ledger-dlq -- inspect usage|audit [--json]
//   npm run ledger-dlq -- replay usage|audit (--all | --offsets <partition>:<offset>,…)
//
// inspect lists every letter with where it came from and why it failed; replay sends the chosen ones
// back to their source topic (see dead-letter.reader.ts), e.g. once the cause is fixed.
import { parseArgs } from 'node:util';

import { createKafkaClient } from '@hearth/events';
import { createLogger } from '@hearth/telemetry';

import { DEAD_LETTER_SOURCES, DeadLetterReader, type DeadLetterSource } from './dead-letter.reader';

const USAGE = `usage:
  npm run ledger-dlq -- inspect usage|audit [--json]
  npm run ledger-dlq -- replay usage|audit (--all | --offsets <partition>:<offset>,...)`;

export async function runDeadLetterCli(reader: DeadLetterReader, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, all: { type: 'boolean' }, offsets: { type: 'string' } },
  });
  const [verb, source] = positionals;
  if (!source || !(source in DEAD_LETTER_SOURCES)) {
    console.error(USAGE);
    return 2;
  }
  const letters = await reader.read(source as DeadLetterSource);
  if (verb === 'inspect') {
    if (values.json) console.log(JSON.stringify(letters));
    else
      for (const l of letters)
        console.log(
          [
            `${l.partition}:${l.offset}`,
            l.failedAt,
            l.key ?? '-',
            l.reason,
            (l.value ?? '').slice(0, 200),
          ].join('\t'),
        );
    return 0;
  }
  if (verb === 'replay' && (values.all || values.offsets)) {
    const wanted = new Set((values.offsets ?? '').split(',').filter(Boolean));
    for (const id of wanted)
      if (!/^\d+:\d+$/.test(id)) throw new Error(`--offsets: expected <partition>:<offset>, got ${id}`);
    const chosen = values.all ? letters : letters.filter((l) => wanted.has(`${l.partition}:${l.offset}`));
    const missing = [...wanted].filter((id) => !chosen.some((l) => `${l.partition}:${l.offset}` === id));
    if (missing.length > 0) throw new Error(`no dead letter at ${missing.join(', ')}`);
    const sent = await reader.replay(source as DeadLetterSource, chosen);
    console.log(
      values.json
        ? JSON.stringify({ replayed: sent })
        : `replayed ${sent} letter(s) to ${DEAD_LETTER_SOURCES[source as DeadLetterSource].name}`,
    );
    return 0;
  }
  console.error(USAGE);
  return 2;
}

async function main(): Promise<void> {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
  if (brokers.length === 0) {
    console.error('KAFKA_BROKERS is not set (eval "$(bash deploy/local/infra.sh env)")');
    process.exit(2);
  }
  const logger = createLogger({ service: 'ledger-dlq', level: 'error' });
  const reader = new DeadLetterReader(createKafkaClient({ clientId: 'ledger-dlq', brokers, logger }));
  try {
    process.exitCode = await runDeadLetterCli(reader, process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
