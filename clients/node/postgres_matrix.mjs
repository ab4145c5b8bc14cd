// postgres.js through Oxbow's proxy; see ../README.md for the environment and the output.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { copyRows, env, expect, run, until } from './checks.mjs';

const md5 = b => crypto.createHash('md5').update(b).digest('hex');
const p = env.prefix;
const base = { host: env.host, port: env.port, user: env.user, pass: env.token, database: 'databricks_postgres', onnotice: () => {} };
const verifyFull = { ...base, ssl: { ca: fs.readFileSync(env.ca), rejectUnauthorized: true } };
const blob = crypto.randomBytes(10 * 1024 * 1024);

async function using(config, fn) {
  const sql = postgres(config);
  try { return await fn(sql); } finally { await sql.end(); }
}

const checks = {
  connect_require: () => using({ ...base, ssl: 'require' }, async sql => expect((await sql`select current_user as u`)[0].u, env.user)),
  connect_verify_full: () => using(verifyFull, async sql => expect((await sql`select 1 as one`)[0].one, 1)),
  prepared_reused: () => using(verifyFull, async sql => {
    const c = await sql.reserve(); // one connection, so its prepared statements can be counted
    try {
      let total = 0;
      for (let i = 1; i <= 6; i++) total += (await c`select ${i}::int * 2 as v`)[0].v; // prepared (postgres.js default)
      const prepared = (await c`select count(*)::int as n from pg_prepared_statements`)[0].n;
      expect(prepared >= 1, true);
      return `${expect(total, 42)} (${prepared} server-side prepared)`;
    } finally { c.release(); }
  }),
  copy_in: () => using(verifyFull, async sql => {
    await sql`drop table if exists ${sql(p + 'rows')}`;
    await sql`create table ${sql(p + 'rows')} (i int, t text)`;
    await pipeline(Readable.from(copyRows(env.rows)), await sql`copy ${sql(p + 'rows')} from stdin`.writable());
    const r = (await sql`select count(*)::int as n, sum(i)::text as s from ${sql(p + 'rows')}`)[0];
    return expect([r.n, r.s], [env.rows, String(env.rows * (env.rows + 1) / 2)]);
  }),
  copy_out: () => using(verifyFull, async sql => {
    let lines = 0;
    for await (const chunk of await sql`copy ${sql(p + 'rows')} to stdout`.readable()) {
      for (const byte of chunk) if (byte === 10) lines++;
    }
    return expect(lines, env.rows);
  }),
  bytea_10mb_up: () => using(verifyFull, async sql => {
    await sql`drop table if exists ${sql(p + 'blobs')}`;
    await sql`create table ${sql(p + 'blobs')} (id int, b bytea)`;
    await sql`insert into ${sql(p + 'blobs')} values (1, ${blob})`;
    return expect((await sql`select md5(b) as m from ${sql(p + 'blobs')}`)[0].m, md5(blob));
  }),
  bytea_10mb_down: () => using(verifyFull, async sql => expect(md5((await sql`select b from ${sql(p + 'blobs')} where id = 1`)[0].b), md5(blob))),
  result_50mb: () => using(verifyFull, async sql => {
    const rows = await sql`select repeat('x', 1024) as x from generate_series(1, 51200)`;
    return expect(rows.reduce((n, r) => n + r.x.length, 0), 50 * 1024 * 1024);
  }),
  listen_notify: () => using(verifyFull, async sql => {
    let resolve;
    const got = new Promise(r => { resolve = r; });
    await sql.listen(p + 'chan', payload => resolve(payload));
    await sql.notify(p + 'chan', 'hello');
    return expect(await got, 'hello');
  }),
  cancel: () => using(verifyFull, async sql => {
    const sleeping = sql`select pg_sleep(60) /* ${sql.unsafe(p)}sleep */`.execute();
    await until(async () => (await sql`select count(*)::int as n from pg_stat_activity where wait_event = 'PgSleep' and query like ${'%/* ' + p + 'sleep */'}`)[0].n === 1);
    sleeping.cancel();
    try {
      await sleeping;
    } catch (e) {
      return `${expect(e.code, '57014')} ${e.message}`;
    }
    throw new Error('pg_sleep(60) was not cancelled');
  }),
  after_suspend: () => using(verifyFull, async sql => expect((await sql`select 1 as one`)[0].one, 1)),
};

await run(checks, process.argv[2] ?? 'all');
