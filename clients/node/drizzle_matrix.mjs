// Drizzle ORM over node-postgres through Oxbow's proxy; see ../README.md for the environment and the output.
// Queries, prepared statements and bytea go through Drizzle's query builder; COPY, LISTEN/NOTIFY and cancel,
// which Drizzle has no API for, through the node-postgres client under it (db.$client).
import crypto from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { eq, sql } from 'drizzle-orm';
import { customType, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { env, expect, run } from './checks.mjs';
import { pgChecks } from './pg_checks.mjs';

const md5 = b => crypto.createHash('md5').update(b).digest('hex');
const p = env.prefix;
const base = { host: env.host, port: env.port, user: env.user, password: env.token, database: 'databricks_postgres' };
const require_ = { ...base, ssl: { rejectUnauthorized: false } }; // sslmode=require: TLS, no verification
const verifyFull = { ...base, ssl: { ca: fs.readFileSync(env.ca), rejectUnauthorized: true } }; // the host name against Oxbow's CA

const bytea = customType({ dataType: () => 'bytea' });
const items = pgTable(`${p}items`, { id: integer('id').primaryKey(), name: text('name') });
const blobs = pgTable(`${p}blobs`, { id: integer('id'), b: bytea('b') });
const blob = crypto.randomBytes(10 * 1024 * 1024);

/** A Drizzle database on one node-postgres connection (so its prepared statements can be counted). */
async function using(config, fn) {
  const client = new pg.Client(config);
  await client.connect();
  try { return await fn(drizzle({ client })); } finally { await client.end(); }
}

async function openDriverClient() {
  const db = drizzle({ connection: verifyFull });
  const c = await db.$client.connect();
  return [c, async () => { c.release(); await db.$client.end(); }];
}

const { copy_in, copy_out, listen_notify, cancel } = pgChecks(openDriverClient, base);

await run({
  connect_require: () => using(require_, async db => expect((await db.execute(sql`select current_user as u`)).rows[0].u, env.user)),
  connect_verify_full: () => using(verifyFull, async db => expect((await db.execute(sql`select 1 as one`)).rows[0].one, 1)),
  prepared_reused: () => using(verifyFull, async db => {
    await db.execute(sql.raw(`drop table if exists ${p}items; create table ${p}items (id int primary key, name text)`));
    await db.insert(items).values([1, 2, 3, 4, 5, 6].map(id => ({ id, name: `item ${id}` })));
    const byId = db.select({ id: items.id }).from(items).where(eq(items.id, sql.placeholder('id'))).prepare(`${p}by_id`);
    let total = 0;
    for (let i = 1; i <= 6; i++) total += (await byId.execute({ id: i }))[0].id * 2;
    const prepared = (await db.execute(sql`select count(*)::int as n from pg_prepared_statements`)).rows[0].n;
    expect(prepared >= 1, true);
    return `${expect(total, 42)} (${prepared} server-side prepared)`;
  }),
  copy_in,
  copy_out,
  bytea_10mb_up: () => using(verifyFull, async db => {
    await db.execute(sql.raw(`drop table if exists ${p}blobs; create table ${p}blobs (id int, b bytea)`));
    await db.insert(blobs).values({ id: 1, b: blob });
    return expect((await db.select({ m: sql`md5(${blobs.b})` }).from(blobs).where(eq(blobs.id, 1)))[0].m, md5(blob));
  }),
  bytea_10mb_down: () => using(verifyFull, async db =>
    expect(md5((await db.select({ b: blobs.b }).from(blobs).where(eq(blobs.id, 1)))[0].b), md5(blob))),
  result_50mb: () => using(verifyFull, async db => {
    const r = await db.execute(sql`select repeat('x', 1024) as x from generate_series(1, 51200)`);
    return expect(r.rows.reduce((n, row) => n + row.x.length, 0), 50 * 1024 * 1024);
  }),
  listen_notify,
  cancel,
  after_suspend: () => using(verifyFull, async db => expect((await db.execute(sql`select 1 as one`)).rows[0].one, 1)),
}, process.argv[2] ?? 'all');
