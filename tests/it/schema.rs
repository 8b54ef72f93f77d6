//! Schema parity: the server's SQLite migrations (`server/migrations`) and its PostgreSQL
//! migrations (`server/migrations-pg`) make the same schema. A fresh SQLite file and a fresh
//! PostgreSQL database are migrated by `Db::open`, then read back from each engine's
//! catalog and compared: the same tables, the same columns with the same type family
//! (INTEGER ↔ BIGINT, TEXT ↔ TEXT, BLOB ↔ BYTEA) and nullability, the same primary keys, the
//! same named indexes (columns, unique, partial) and the same unique constraints (by their
//! columns: the engines name them differently). sqlx's `_sqlx_migrations` and SQLite's own
//! `sqlite_*` tables are left out.
//!
//! Needs the PostgreSQL server of `FRONTDESK_TEST_DATABASE_URL`, which is set in the
//! suite's PostgreSQL run (`./x test` runs it; a PostgreSQL server that is missing fails
//! that run); in the SQLite run the test says why it has nothing to compare and passes.

use std::collections::{BTreeMap, BTreeSet};

use frontdesk_server::db::Db;
use harness::*;
use sqlx::{Connection, Row};

/// One table as both engines are compared on.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// Column → (type family, NOT NULL).
    columns: BTreeMap<String, (String, bool)>,
    /// The primary key's columns, in order.
    primary_key: Vec<String>,
    /// Indexes created by name (`CREATE [UNIQUE] INDEX`): name → (columns, unique, partial).
    indexes: BTreeMap<String, (Vec<String>, bool, bool)>,
    /// `UNIQUE` constraints of the table, by their columns.
    unique: BTreeSet<Vec<String>>,
}

type Schema = BTreeMap<String, Table>;

/// The type family of a declared SQLite type (`pragma_table_info`).
fn sqlite_family(declared: &str) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" => "integer".into(),
        "TEXT" => "text".into(),
        "BLOB" => "blob".into(),
        other => format!("sqlite {other}"),
    }
}

/// The type family of a PostgreSQL type (`information_schema.columns.data_type`). Only
/// BIGINT is an integer here: sqlx `Any` reads every integer column as `i64`.
fn pg_family(data_type: &str) -> String {
    match data_type {
        "bigint" => "integer".into(),
        "text" => "text".into(),
        "bytea" => "blob".into(),
        other => format!("postgres {other}"),
    }
}

async fn sqlite_schema(url: &str) -> Schema {
    let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in tables {
        let mut t = Table::default();
        let cols = sqlx::query(r#"SELECT name, type, "notnull", pk FROM pragma_table_info($1)"#)
            .bind(&name)
            .fetch_all(&mut c)
            .await
            .unwrap();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for col in &cols {
            let (column, ty, not_null, in_pk): (String, String, i64, i64) = (
                col.get("name"),
                col.get("type"),
                col.get("notnull"),
                col.get("pk"),
            );
            if in_pk > 0 {
                pk.push((in_pk, column.clone()));
            }
            t.columns
                .insert(column, (sqlite_family(&ty), not_null != 0));
        }
        pk.sort();
        t.primary_key = pk.into_iter().map(|(_, c)| c).collect();
        // A one-column INTEGER PRIMARY KEY is the rowid: it can never hold NULL, whatever
        // `notnull` says.
        if let [only] = t.primary_key.as_slice() {
            if let Some((ty, not_null)) = t.columns.get_mut(only) {
                if ty == "integer" {
                    *not_null = true;
                }
            }
        }
        let indexes =
            sqlx::query(r#"SELECT name, "unique", origin, partial FROM pragma_index_list($1)"#)
                .bind(&name)
                .fetch_all(&mut c)
                .await
                .unwrap();
        for ix in &indexes {
            let (index, unique, origin, partial): (String, i64, String, i64) = (
                ix.get("name"),
                ix.get("unique"),
                ix.get("origin"),
                ix.get("partial"),
            );
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
            match origin.as_str() {
                // The primary key's own index (compared as `primary_key`).
                "pk" => {}
                "u" => {
                    t.unique.insert(columns);
                }
                _ => {
                    t.indexes
                        .insert(index, (columns, unique != 0, partial != 0));
                }
            }
        }
        schema.insert(name, t);
    }
    c.close().await.unwrap();
    schema
}

async fn pg_schema(url: &str) -> Schema {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
         AND table_name <> '_sqlx_migrations' ORDER BY table_name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in tables {
        let mut t = Table::default();
        let cols: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text, is_nullable::text
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(&name)
        .fetch_all(&mut c)
        .await
        .unwrap();
        for (column, ty, nullable) in cols {
            t.columns.insert(column, (pg_family(&ty), nullable == "NO"));
        }
        // Every index of the table with its columns in order; `constraint` when a PRIMARY KEY
        // or UNIQUE constraint made it (those are compared by their columns, not names).
        let indexes: Vec<(String, String, bool, bool, bool, bool)> = sqlx::query_as(
            "SELECT i.relname::text,
                    array_to_string(ARRAY(
                      SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                      ORDER BY k.ord), ','),
                    x.indisunique, x.indisprimary, x.indpred IS NOT NULL,
                    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid
                            AND k.conrelid = x.indrelid)
             FROM pg_index x
             JOIN pg_class i ON i.oid = x.indexrelid
             JOIN pg_class r ON r.oid = x.indrelid
             JOIN pg_namespace n ON n.oid = r.relnamespace
             WHERE n.nspname = 'public' AND r.relname = $1",
        )
        .bind(&name)
        .fetch_all(&mut c)
        .await
        .unwrap();
        for (index, columns, unique, primary, partial, constraint) in indexes {
            let columns: Vec<String> = columns.split(',').map(str::to_owned).collect();
            if primary {
                t.primary_key = columns;
            } else if constraint {
                t.unique.insert(columns);
            } else {
                t.indexes.insert(index, (columns, unique, partial));
            }
        }
        schema.insert(name, t);
    }
    c.close().await.unwrap();
    schema
}

/// Every way `pg` differs from `sqlite`, one line each.
fn differences(sqlite: &Schema, pg: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(pg.keys()).collect();
    for name in names {
        let (s, p) = match (sqlite.get(name), pg.get(name)) {
            (Some(s), Some(p)) => (s, p),
            (s, _) => {
                let only = if s.is_some() { "SQLite" } else { "PostgreSQL" };
                out.push(format!("table {name}: only on {only}"));
                continue;
            }
        };
        let cols: BTreeSet<&String> = s.columns.keys().chain(p.columns.keys()).collect();
        for col in cols {
            let (sc, pc) = (s.columns.get(col), p.columns.get(col));
            if sc != pc {
                out.push(format!(
                    "{name}.{col}: SQLite {sc:?}, PostgreSQL {pc:?} (type family, NOT NULL)"
                ));
            }
        }
        if s.primary_key != p.primary_key {
            out.push(format!(
                "{name} primary key: SQLite {:?}, PostgreSQL {:?}",
                s.primary_key, p.primary_key
            ));
        }
        let ixs: BTreeSet<&String> = s.indexes.keys().chain(p.indexes.keys()).collect();
        for ix in ixs {
            let (si, pi) = (s.indexes.get(ix), p.indexes.get(ix));
            if si != pi {
                out.push(format!(
                    "{name} index {ix}: SQLite {si:?}, PostgreSQL {pi:?} (columns, unique, partial)"
                ));
            }
        }
        if s.unique != p.unique {
            out.push(format!(
                "{name} UNIQUE constraints: SQLite {:?}, PostgreSQL {:?}",
                s.unique, p.unique
            ));
        }
    }
    out
}

#[tokio::test]
async fn sqlite_and_postgres_migrations_make_the_same_schema() {
    // `./x test` runs the suite on SQLite and then on PostgreSQL: this test belongs to the
    // second run (the first has no PostgreSQL URL, whatever FRONTDESK_REQUIRE_SERVICES says).
    let Some(_) = pg_url() else {
        eprintln!(
            "skipping the schema parity test: it compares SQLite with PostgreSQL, and \
             FRONTDESK_TEST_DATABASE_URL is unset (start PostgreSQL with \
             `bash scripts/services.sh start` and export what it prints)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!("sqlite://{}", dir.path().join("parity.db").display());
    // With FRONTDESK_TEST_DATABASE_URL set, a TestDb is a fresh PostgreSQL database.
    let pg = TestDb::new(&dir.path().join("unused.db")).await;
    assert!(!pg.is_sqlite());
    for url in [&sqlite_url, &pg.url] {
        Db::open(url).await.expect("migrate").close().await;
    }
    let (sqlite, pg) = (sqlite_schema(&sqlite_url).await, pg_schema(&pg.url).await);
    assert!(
        sqlite.contains_key("messages") && sqlite.len() > 20,
        "{sqlite:?}"
    );
    let diff = differences(&sqlite, &pg);
    assert!(
        diff.is_empty(),
        "the two backends' schemas differ:\n  {}",
        diff.join("\n  ")
    );
}
