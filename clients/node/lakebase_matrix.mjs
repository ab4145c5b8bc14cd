// The official Databricks Lakebase driver (@databricks/lakebase) through Oxbow's proxy, as its README uses it:
// createLakebasePool() with DATABRICKS_HOST/DATABRICKS_TOKEN pointing at Oxbow (it mints credentials from
// /api/2.0/postgres/credentials for LAKEBASE_ENDPOINT) and NODE_EXTRA_CA_CERTS = Oxbow's CA; see ../README.md.
import fs from 'node:fs';
import { createLakebasePool } from '@databricks/lakebase';
import { env, expect, run } from './checks.mjs';
import { pgChecks } from './pg_checks.mjs';

// host = status.hosts.host; its "require" verifies the certificate and the host name (Node's checks)
const config = { host: env.host, port: env.port, database: 'databricks_postgres', endpoint: process.env.LAKEBASE_ENDPOINT, user: env.user };
const pool = createLakebasePool({ ...config, sslMode: 'require' });

async function open() {
  const c = await pool.connect();
  return [c, async () => c.release()];
}

async function scalar(p, sql) {
  const r = await p.query(sql);
  return Object.values(r.rows[0])[0];
}

try {
  await run({
    connect_require: async () => expect(await scalar(pool, 'select current_user'), env.user),
    connect_verify_full: async () => {
      const explicit = createLakebasePool({ ...config, ssl: { ca: fs.readFileSync(env.ca), rejectUnauthorized: true } });
      try { return expect(await scalar(explicit, 'select 1 as one'), 1); } finally { await explicit.end(); }
    },
    ...pgChecks(open, { host: env.host, port: env.port }),
    after_suspend: async () => expect(await scalar(pool, 'select 1 as one'), 1),
  }, process.argv[2] ?? 'all');
} finally {
  await pool.end();
}
