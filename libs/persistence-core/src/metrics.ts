/**
 * Persistence metrics. Consumer lag, ack-pending, batch sizes and per-outcome message counts come from the pull
 * worker (`sightline_consumer_*{consumer="persistence"}`); these cover the database side.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface PersistenceMetrics {
  rows: Counter;
  duplicates: Counter;
  commitSeconds: Histogram;
  insertErrors: Counter<'kind'>;
  redeliveries: Counter;
  deadLetters: Counter<'code'>;
}

export function persistenceMetrics(registry: Registry, isDatabaseUp: () => Promise<boolean>): PersistenceMetrics {
  const registers = [registry];
  new Gauge({
    name: 'sightline_persistence_db_up',
    help: '1 while PostgreSQL answers queries, 0 otherwise (probed at each scrape)',
    registers,
    async collect() {
      this.set((await isDatabaseUp()) ? 1 : 0);
    },
  });
  return {
    rows: new Counter({ name: 'sightline_persistence_rows_total', help: 'Result rows inserted into analysis_results', registers }),
    duplicates: new Counter({
      name: 'sightline_persistence_duplicate_rows_total',
      help: 'Results skipped because their idempotency key was already stored (redeliveries)',
      registers,
    }),
    commitSeconds: new Histogram({
      name: 'sightline_persistence_commit_seconds',
      help: 'Time to insert and commit one batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    insertErrors: new Counter({
      name: 'sightline_persistence_insert_errors_total',
      help: 'Failed batch inserts: kind=unavailable (retried) or rejected (PostgreSQL refused a row)',
      labelNames: ['kind'],
      registers,
    }),
    redeliveries: new Counter({
      name: 'sightline_persistence_redeliveries_total',
      help: 'Results delivered more than once by JetStream (crash, lost ack, ack-wait expiry)',
      registers,
    }),
    deadLetters: new Counter({
      name: 'sightline_persistence_dead_letters_total',
      help: 'Results sent to the dead-letter stream, by reason code',
      labelNames: ['code'],
      registers,
    }),
  };
}
