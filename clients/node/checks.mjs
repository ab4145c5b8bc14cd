// The output protocol of the client matrix: one PASS or FAIL line per check (see ../README.md).
export const env = {
  host: process.env.OXBOW_HOST, // the endpoint's status.hosts.host
  port: Number(process.env.PGPORT),
  user: process.env.OXBOW_USER,
  token: process.env.OXBOW_TOKEN,
  ca: process.env.OXBOW_CA,
  rows: Number(process.env.OXBOW_ROWS),
  prefix: process.env.OXBOW_PREFIX,
};

export function expect(got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new Error(`expected ${w}, got ${g}`);
  return g;
}

/** Runs the checks of the mode (all but after_suspend, or only it); a failed check does not hide the others. */
export async function run(checks, mode) {
  for (const [name, fn] of Object.entries(checks)) {
    if ((name === 'after_suspend') !== (mode === 'after-suspend')) continue;
    const start = Date.now();
    try {
      const detail = await fn();
      console.log(`PASS ${name} ${detail} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    } catch (e) {
      console.log(`FAIL ${name} ${String(e?.stack ?? e).replace(/\s+/g, ' ').slice(0, 600)}`);
    }
  }
}

/** COPY text rows "i<TAB>row i" in blocks. */
export function* copyRows(rows) {
  const block = 50000;
  for (let start = 1; start <= rows; start += block) {
    let s = '';
    for (let i = start; i < Math.min(start + block, rows + 1); i++) s += `${i}\trow ${i}\n`;
    yield s;
  }
}

export async function until(condition) {
  for (let i = 0; i < 3000; i++) {
    if (await condition()) return;
    await new Promise(r => setTimeout(r, 10));
  }
  throw new Error('condition never held');
}
