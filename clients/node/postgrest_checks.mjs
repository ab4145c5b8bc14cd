// @supabase/postgrest-js against Oxbow's Data API (DataApiTest runs it): CRUD, filters, embedding, upsert, RPC, CSV,
// counts and ranges, full-text search, errors, and row-level security between two callers. Output: one PASS or FAIL line per check.
import { PostgrestClient } from '@supabase/postgrest-js';
import { expect, run } from './checks.mjs';

const url = process.env.OXBOW_DATA_API_URL.replace(/\/$/, '');
const as = (token) => new PostgrestClient(url, { headers: { Authorization: `Bearer ${token}` } });
const alice = as(process.env.OXBOW_TOKEN);
const bob = as(process.env.OXBOW_OTHER_TOKEN);

function ok({ data, error, status }) {
  if (error) throw new Error(`status ${status}: ${JSON.stringify(error)}`);
  return data;
}

const checks = {
  async select_filters_order() {
    const rows = ok(await alice.from('books').select('id,title').gte('price', 8).order('id', { ascending: false }));
    return expect(rows.map((r) => r.id), [3, 1]);
  },
  async filter_families() {
    const inList = ok(await alice.from('books').select('id').in('id', [1, 3]).order('id'));
    const ilike = ok(await alice.from('books').select('id').ilike('title', '%LATHE%'));
    const or = ok(await alice.from('books').select('id').or('id.eq.1,price.gt.10').order('id'));
    const not = ok(await alice.from('books').select('id').not('author_id', 'eq', 1));
    const nul = ok(await alice.from('authors').select('id').is('born', null).order('id'));
    return expect([inList.map((r) => r.id), ilike.map((r) => r.id), or.map((r) => r.id), not.map((r) => r.id), nul.length],
      [[1, 3], [2], [1, 3], [3], 2]);
  },
  async embedding_and_single() {
    const author = ok(await alice.from('authors').select('name, books(title)').eq('id', 1).single());
    const book = ok(await alice.from('books').select('title, author:authors(name)').eq('id', 3).maybeSingle());
    return expect([author.name, author.books.map((b) => b.title).sort(), book.author.name],
      ['Ursula', ['The Dispossessed', 'The Lathe of Heaven'], 'Iain']);
  },
  async insert_update_delete() {
    const [made] = ok(await alice.from('todos').insert({ title: 'write tests' }).select());
    const [changed] = ok(await alice.from('todos').update({ done: true }).eq('id', made.id).select());
    ok(await alice.from('todos').delete().eq('id', made.id));
    const left = ok(await alice.from('todos').select('id').eq('id', made.id));
    return expect([made.done, changed.done, left.length], [false, true, 0]);
  },
  async bulk_insert_and_upsert() {
    ok(await alice.from('todos').insert([{ id: 100, title: 'a' }, { id: 101, title: 'b' }]));
    const merged = ok(await alice.from('todos').upsert([{ id: 101, title: 'b2' }, { id: 102, title: 'c' }]).select().order('id'));
    const ignored = ok(await alice.from('todos').upsert({ id: 100, title: 'not me' }, { onConflict: 'id', ignoreDuplicates: true }).select());
    const now = ok(await alice.from('todos').select('id,title').gte('id', 100).order('id'));
    return expect([merged.map((r) => r.title), ignored.length, now.map((r) => r.title)], [['b2', 'c'], 0, ['a', 'b2', 'c']]);
  },
  async count_and_range() {
    const head = await alice.from('books').select('*', { count: 'exact', head: true });
    const page = ok(await alice.from('books').select('id').order('id').range(1, 2));
    return expect([head.count, head.data, page.map((r) => r.id)], [3, null, [2, 3]]);
  },
  async text_search() {
    const fts = ok(await alice.from('books').select('id').textSearch('title', "'lathe' & 'heaven'", { config: 'english' }));
    const plain = ok(await alice.from('books').select('id').textSearch('title', 'dispossessed', { type: 'plain' }));
    const phrase = ok(await alice.from('books').select('id').textSearch('title', 'lathe of heaven', { type: 'phrase' }));
    const web = ok(await alice.from('books').select('id').textSearch('title', 'excession or dispossessed', { type: 'websearch' }).order('id'));
    return expect([fts, plain, phrase, web].map((rows) => rows.map((r) => r.id)), [[2], [1], [2], [1, 3]]);
  },
  async rpc() {
    const sum = ok(await alice.rpc('add', { a: 20, b: 22 }));
    const books = ok(await alice.rpc('books_by', { author: 2 }).select('title'));
    return expect([sum, books.map((b) => b.title)], [42, ['Excession']]);
  },
  async csv() {
    const text = ok(await alice.from('authors').select('id,name').order('id').csv());
    return expect(text.split('\n')[0], 'id,name');
  },
  async errors() {
    const noTable = await alice.from('nope').select();
    const noColumn = await alice.from('books').select('nope');
    const denied = await bob.from('books').select();
    const bad = await alice.from('books').select().eq('id', 'not-a-number');
    return expect([noTable.status, noTable.error?.code, noColumn.status, denied.status, denied.error?.code, bad.status, bad.error?.code],
      [404, 'PGRST205', 400, 403, '42501', 400, '22P02']);
  },
  async row_level_security() {
    ok(await alice.from('notes').insert({ note: 'from js, alice' }));
    ok(await bob.from('notes').insert({ note: 'from js, bob' }));
    const hers = ok(await alice.from('notes').select('owner'));
    const his = ok(await bob.from('notes').select('owner'));
    const forged = await bob.from('notes').insert({ note: 'forged', owner: 'alice@dapi.example.com' });
    return expect([new Set(hers.map((n) => n.owner)).size, his.every((n) => n.owner !== hers[0].owner), forged.status],
      [1, true, 403]);
  },
};

await run(checks, process.argv[2] ?? 'all');
