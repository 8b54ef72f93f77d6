//! Integration tests: one binary, one module per area. Every test starts its own server
//! (real HTTP/WebSocket on 127.0.0.1:0, its own database) and talks to it as a client.
//! The database is a SQLite file, or a fresh PostgreSQL database on the server that
//! `FRONTDESK_TEST_DATABASE_URL=postgres://…` names (`harness::TestDb`): the whole suite runs
//! on either.

mod abuse;
mod agent;
mod cli;
mod cluster;
mod compat;
mod files;
mod group_commit;
mod limits;
mod push;
mod reception;
mod restart;
mod robot;
mod routing;
mod rules;
mod schema;
mod security;
mod site_import;
mod storage;
mod visitor;
mod visits;
mod web;
