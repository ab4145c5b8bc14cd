// Checks on node-postgres clients (pg.Client), shared by node-postgres itself and @databricks/lakebase (a pg.Pool).
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { copyRows, env, expect, until } from './checks.mjs';

const md5 = b => crypto.createHash('md5').update(b).digest('hex');
const p = env.prefix;

/**
 * open() gives a connected client and a function that gives it back; cancelConfig is where the client's
 * CancelRequest goes (pg sends it on a new connection without TLS, as libpq does).
 */
export function pgChecks(open, cancelConfig) {
  const blob = crypto.randomBytes(10 * 1024 * 1024);
  const withClient = async fn => {
    const [client, done] = await open();
    try { return await fn(client); } finally { await done(); }
  };
  return {
    prepared_reused: () => withClient(async c => {
      let total = 0;
      for (let i = 1; i <= 6; i++) total += (await c.query({ name: `${p}twice`, text: 'select $1::int * 2 as v', values: [i] })).rows[0].v;
      const prepared = (await c.query('select count(*)::int as n from pg_prepared_statements')).rows[0].n;
      expect(prepared >= 1, true);
      return `${expect(total, 42)} (${prepared} server-side prepared)`;
    }),
    copy_in: () => withClient(async c => {
      await c.query(`drop table if exists ${p}rows; create table ${p}rows (i int, t text)`);
      await pipeline(Readable.from(copyRows(env.rows)), c.query(copyStreams.from(`copy ${p}rows from stdin`)));
      const r = (await c.query(`select count(*)::int as n, sum(i)::text as s from ${p}rows`)).rows[0];
      return expect([r.n, r.s], [env.rows, String(env.rows * (env.rows + 1) / 2)]);
    }),
    copy_out: () => withClient(async c => {
      let lines = 0;
      for await (const chunk of c.query(copyStreams.to(`copy ${p}rows to stdout`))) {
        for (const byte of chunk) if (byte === 10) lines++;
      }
      return expect(lines, env.rows);
    }),
    bytea_10mb_up: () => withClient(async c => {
      await c.query(`drop table if exists ${p}blobs; create table ${p}blobs (id int, b bytea)`);
      await c.query(`insert into ${p}blobs values (1, $1)`, [blob]);
      return expect((await c.query(`select md5(b) as m from ${p}blobs`)).rows[0].m, md5(blob));
    }),
    bytea_10mb_down: () => withClient(async c => expect(md5((await c.query(`select b from ${p}blobs where id = 1`)).rows[0].b), md5(blob))),
    result_50mb: () => withClient(async c => {
      const r = await c.query("select repeat('x', 1024) as x from generate_series(1, 51200)");
      return expect(r.rows.reduce((n, row) => n + row.x.length, 0), 50 * 1024 * 1024);
    }),
    listen_notify: () => withClient(c => withClient(async sender => {
      await c.query(`listen ${p}chan`);
      const got = new Promise(resolve => c.once('notification', resolve));
      await sender.query(`notify ${p}chan, 'hello'`);
      const n = await got;
      return expect([n.channel, n.payload], [`${p}chan`, 'hello']);
    })),
    cancel: () => withClient(c => withClient(async watcher => {
      const pid = c.processID;
      const sleeping = c.query('select pg_sleep(60)');
      await until(async () => (await watcher.query("select count(*)::int as n from pg_stat_activity where pid = $1 and wait_event = 'PgSleep'", [pid])).rows[0].n === 1);
      new pg.Client(cancelConfig).cancel(c, c.activeQuery);
      try {
        await sleeping;
      } catch (e) {
        return `${expect(e.code, '57014')} ${e.message}`;
      }
      throw new Error('pg_sleep(60) was not cancelled');
    })),
  };
}
