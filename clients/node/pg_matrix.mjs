// node-postgres (pg) through Oxbow's proxy; see ../README.md for the environment and the output.
import fs from 'node:fs';
import pg from 'pg';
import { env, expect, run } from './checks.mjs';
import { pgChecks } from './pg_checks.mjs';

const base = { host: env.host, port: env.port, user: env.user, password: env.token, database: 'databricks_postgres' };
const require_ = { ...base, ssl: { rejectUnauthorized: false } }; // sslmode=require: TLS, no verification
const verifyFull = { ...base, ssl: { ca: fs.readFileSync(env.ca), rejectUnauthorized: true } }; // the host name against Oxbow's CA

async function open(config = require_) {
  const c = new pg.Client(config);
  await c.connect();
  return [c, () => c.end()];
}

async function scalar(config, sql) {
  const [c, done] = await open(config);
  try { return Object.values((await c.query(sql)).rows[0])[0]; } finally { await done(); }
}

await run({
  connect_require: async () => expect(await scalar(require_, 'select current_user'), env.user),
  connect_verify_full: async () => expect(await scalar(verifyFull, 'select 1 as one'), 1),
  ...pgChecks(() => open(verifyFull), base),
  after_suspend: async () => expect(await scalar(verifyFull, 'select 1 as one'), 1),
}, process.argv[2] ?? 'all');
