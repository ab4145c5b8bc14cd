"""psycopg 3 through Oxbow's proxy; see ../README.md for the environment and the output."""
import hashlib
import os
import sys
import threading

import psycopg

from checks import Checks

host = os.environ["OXBOW_HOST"]  # the endpoint's status.hosts.host
user = os.environ["OXBOW_USER"]
token = os.environ["OXBOW_TOKEN"]
ca = os.environ["OXBOW_CA"]
rows = int(os.environ["OXBOW_ROWS"])
p = os.environ["OXBOW_PREFIX"]
checks = Checks()


def connect(**kwargs):
    # the seed's Quick Start line, verbatim (the port comes from PGPORT)
    return psycopg.connect(f"host={host} dbname=databricks_postgres user={user} password={token} sslmode=require", **kwargs)


@checks.check("connect_require")
def connect_require():
    with connect() as conn:
        return Checks.expect(conn.execute("select current_user").fetchone()[0], user)


@checks.check("connect_verify_full")
def connect_verify_full():
    with psycopg.connect(host=host, dbname="databricks_postgres", user=user, password=token,
                         sslmode="verify-full", sslrootcert=ca) as conn:
        return Checks.expect(conn.execute("select 1").fetchone()[0], 1)


@checks.check("prepared_reused")
def prepared_reused():
    with connect() as conn:
        total = sum(conn.execute("select %s::int * 2", (i,), prepare=True).fetchone()[0] for i in range(1, 7))
        prepared = conn.execute("select count(*) from pg_prepared_statements").fetchone()[0]
        Checks.expect(prepared >= 1, True)
        return Checks.expect(total, 42) + f" ({prepared} server-side prepared)"


@checks.check("copy_in")
def copy_in():
    with connect() as conn:
        conn.execute(f"drop table if exists {p}rows")
        conn.execute(f"create table {p}rows (i int, t text)")
        block = 50_000
        with conn.cursor().copy(f"copy {p}rows from stdin") as copy:
            for start in range(1, rows + 1, block):
                copy.write("".join(f"{i}\trow {i}\n" for i in range(start, min(start + block, rows + 1))))
        conn.commit()
        count, total = conn.execute(f"select count(*), sum(i) from {p}rows").fetchone()
        return Checks.expect((count, int(total)), (rows, rows * (rows + 1) // 2))


@checks.check("copy_out")
def copy_out():
    with connect() as conn:
        lines = 0
        with conn.cursor().copy(f"copy {p}rows to stdout") as copy:
            for data in copy:
                lines += bytes(data).count(b"\n")
        return Checks.expect(lines, rows)


blob = os.urandom(10 * 1024 * 1024)


@checks.check("bytea_10mb_up")
def bytea_up():
    with connect() as conn:
        conn.execute(f"drop table if exists {p}blobs")
        conn.execute(f"create table {p}blobs (id int, b bytea)")
        conn.execute(f"insert into {p}blobs values (1, %b)", (blob,))  # a binary parameter
        conn.commit()
        return Checks.expect(conn.execute(f"select md5(b) from {p}blobs").fetchone()[0], hashlib.md5(blob).hexdigest())


@checks.check("bytea_10mb_down")
def bytea_down():
    with connect() as conn:
        got = conn.execute(f"select b from {p}blobs where id = 1", binary=True).fetchone()[0]
        return Checks.expect(hashlib.md5(got).hexdigest(), hashlib.md5(blob).hexdigest())


@checks.check("result_50mb")
def result_50mb():
    with connect() as conn:
        size = sum(len(r[0]) for r in conn.execute("select repeat('x', 1024) from generate_series(1, 51200)"))
        return Checks.expect(size, 50 * 1024 * 1024)


@checks.check("listen_notify")
def listen_notify():
    with connect(autocommit=True) as listener, connect(autocommit=True) as sender:
        listener.execute(f"listen {p}chan")
        sender.execute(f"notify {p}chan, 'hello'")
        for n in listener.notifies():
            return Checks.expect((n.channel, n.payload), (f"{p}chan", "hello"))


@checks.check("cancel")
def cancel():
    with connect() as conn, connect(autocommit=True) as watcher:
        pid = conn.info.backend_pid
        # cancel once the backend is in pg_sleep: psycopg sends a CancelRequest on a new connection
        def cancel_when_sleeping():
            while not watcher.execute("select count(*) from pg_stat_activity where pid = %s and wait_event = 'PgSleep'",
                                      (pid,)).fetchone()[0]:
                pass
            conn.cancel()
        t = threading.Thread(target=cancel_when_sleeping)
        t.start()
        try:
            conn.execute("select pg_sleep(60)")
            raise AssertionError("pg_sleep(60) was not cancelled")
        except psycopg.errors.QueryCanceled as e:
            return f"{e.sqlstate} {str(e).strip()}"
        finally:
            t.join()


@checks.check("after_suspend")
def after_suspend():
    with connect() as conn:
        return Checks.expect(conn.execute("select 1").fetchone()[0], 1)


checks.run(sys.argv[1] if len(sys.argv) > 1 else "all")
