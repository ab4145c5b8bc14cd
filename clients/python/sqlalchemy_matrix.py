"""SQLAlchemy through Oxbow's proxy, with the token-injecting pool of the Lakebase docs (a fresh database credential
from /api/2.0/postgres/credentials for every new connection); see ../README.md for the environment and the output.
Its psycopg 3 dialect needs SQLAlchemy 2; before that (Debian 12) the psycopg2 one is used."""
import contextlib
import hashlib
import io
import json
import os
import select
import sys
import threading
import urllib.request

import sqlalchemy
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL

from checks import Checks

host = os.environ["OXBOW_HOST"]
user = os.environ["OXBOW_USER"]
ca = os.environ["OXBOW_CA"]
rows = int(os.environ["OXBOW_ROWS"])
p = os.environ["OXBOW_PREFIX"]
driver = "psycopg" if int(sqlalchemy.__version__.split(".")[0]) >= 2 else "psycopg2"
checks = Checks()


def mint_credential():
    request = urllib.request.Request(os.environ["DATABRICKS_HOST"] + "/api/2.0/postgres/credentials",
                                     data=json.dumps({"endpoint": os.environ["LAKEBASE_ENDPOINT"]}).encode(),
                                     headers={"Authorization": "Bearer " + os.environ["DATABRICKS_TOKEN"],
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)["token"]


def engine(**connect_args):
    url = URL.create(f"postgresql+{driver}", username=user, host=host, port=int(os.environ["PGPORT"]),
                     database="databricks_postgres", query={"sslmode": "require"})
    e = create_engine(url, connect_args=connect_args, pool_pre_ping=True)

    @event.listens_for(e, "do_connect")
    def provide_token(dialect, conn_rec, cargs, cparams):
        cparams["password"] = mint_credential()

    return e


db = engine()


@checks.check("connect_require")
def connect_require():
    with db.connect() as conn:
        return Checks.expect(conn.execute(text("select current_user")).scalar(), user)


@checks.check("connect_verify_full")
def connect_verify_full():
    with engine(sslmode="verify-full", sslrootcert=ca).connect() as conn:
        return Checks.expect(conn.execute(text("select 1")).scalar(), 1)


@checks.check("prepared_reused")
def prepared_reused():
    with db.connect() as conn:
        statement = text("select cast(:i as int) * 2")  # compiled once, from SQLAlchemy's statement cache after
        cached = sum(conn.execute(statement, {"i": i}).scalar() for i in range(1, 7))
        # psycopg2 has no protocol-level prepared statements: SQL PREPARE/EXECUTE for the server-side ones
        conn.execute(text(f"prepare {p}twice(int) as select $1 * 2"))
        prepared = sum(conn.execute(text(f"execute {p}twice({i})")).scalar() for i in range(1, 7))
        return Checks.expect((cached, prepared), (42, 42))


@contextlib.contextmanager
def raw():
    """The driver's own connection, checked out of the pool until the block ends (the pool's proxy would keep
    attributes such as autocommit to itself)."""
    fairy = db.raw_connection()
    try:
        yield fairy.dbapi_connection
    finally:
        fairy.close()


@checks.check("copy_in")
def copy_in():
    with raw() as conn:
        cur = conn.cursor()
        cur.execute(f"drop table if exists {p}rows; create table {p}rows (i int, t text)")
        cur.copy_expert(f"copy {p}rows from stdin", io.StringIO("".join(f"{i}\trow {i}\n" for i in range(1, rows + 1))))
        conn.commit()
        cur.execute(f"select count(*), sum(i) from {p}rows")
        count, total = cur.fetchone()
        return Checks.expect((count, int(total)), (rows, rows * (rows + 1) // 2))


@checks.check("copy_out")
def copy_out():
    with raw() as conn:
        out = io.StringIO()
        conn.cursor().copy_expert(f"copy {p}rows to stdout", out)
        return Checks.expect(out.getvalue().count("\n"), rows)


blob = os.urandom(10 * 1024 * 1024)


@checks.check("bytea_10mb_up")
def bytea_up():
    with db.begin() as conn:
        conn.execute(text(f"drop table if exists {p}blobs; create table {p}blobs (id int, b bytea)"))
        conn.execute(text(f"insert into {p}blobs values (1, :b)"), {"b": blob})
        return Checks.expect(conn.execute(text(f"select md5(b) from {p}blobs")).scalar(), hashlib.md5(blob).hexdigest())


@checks.check("bytea_10mb_down")
def bytea_down():
    with db.connect() as conn:
        got = bytes(conn.execute(text(f"select b from {p}blobs where id = 1")).scalar())
        return Checks.expect(hashlib.md5(got).hexdigest(), hashlib.md5(blob).hexdigest())


@checks.check("result_50mb")
def result_50mb():
    with db.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(text("select repeat('x', 1024) from generate_series(1, 51200)"))
        return Checks.expect(sum(len(r[0]) for r in result), 50 * 1024 * 1024)


@checks.check("listen_notify")
def listen_notify():
    with raw() as listener, raw() as sender:
        for c in (listener, sender):
            c.autocommit = True
        listener.cursor().execute(f"listen {p}chan")
        sender.cursor().execute(f"notify {p}chan, 'hello'")
        while not listener.notifies:
            if not select.select([listener], [], [], 30)[0]:
                raise AssertionError("no notification in 30 s")
            listener.poll()
        n = listener.notifies.pop(0)
        return Checks.expect((n.channel, n.payload), (f"{p}chan", "hello"))


@checks.check("cancel")
def cancel():
    with raw() as conn, raw() as watcher:
        watcher.autocommit = True
        pid = conn.get_backend_pid()

        def cancel_when_sleeping():
            cur = watcher.cursor()
            while True:
                cur.execute("select count(*) from pg_stat_activity where pid = %s and wait_event = 'PgSleep'", (pid,))
                if cur.fetchone()[0]:
                    break
            conn.cancel()  # psycopg2 sends libpq's CancelRequest
        t = threading.Thread(target=cancel_when_sleeping)
        t.start()
        try:
            conn.cursor().execute("select pg_sleep(60)")
            raise AssertionError("pg_sleep(60) was not cancelled")
        except Exception as e:
            if getattr(e, "pgcode", None) != "57014":
                raise
            return f"57014 {str(e).strip()}"
        finally:
            t.join()


@checks.check("after_suspend")
def after_suspend():
    with db.connect() as conn:
        return Checks.expect(conn.execute(text("select 1")).scalar(), 1)


checks.run(sys.argv[1] if len(sys.argv) > 1 else "all")
