//! Integration tests: one binary, one module per area. Every test starts its own server
//! (real HTTP/WebSocket on 127.0.0.1:0, its own SQLite file) and talks to it as a client.

mod agent;
mod cli;
mod compat;
mod files;
mod group_commit;
mod limits;
mod push;
mod restart;
mod routing;
mod security;
mod site_import;
mod visitor;
mod visits;
mod web;
