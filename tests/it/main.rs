//! Integration tests: one binary, one module per area. Every test starts its own server
//! (real HTTP/WebSocket on 127.0.0.1:0, its own database) and talks to it as a client.
//! The database is a SQLite file, or a fresh PostgreSQL database on the server that
//! `FRONTDESK_TEST_DATABASE_URL=postgres://…` names (`harness::TestDb`): the whole suite runs
//! on either. Shared fixtures live in `tests/src/lib.rs` (`harness`): `TestServer` (stopped on
//! drop; `start_open` lifts the per-address budgets), `VisitorClient`, `AgentClient`,
//! `ProcessServer` / `Cluster` (real processes), `eventually(..)` for what no frame announces.
//!
//! Where a feature is tested (a feature spread over several modules lists them all):
//!
//! | feature | modules |
//! |---|---|
//! | visitor protocol: hello, send/ack, resume, idempotent retries, isolation | `visitor`, `group_commit`, `restart` |
//! | pending visitors, tokens, identity (`partnerid` + `sign`) | `visitor`, `security`, `site_import` |
//! | seed 001 agent socket: login, lists, history, send, transfer, end, typing | `agent`, `routing` |
//! | routing: least loaded, queue, positions, groups, agents gone | `routing` |
//! | routing rules: `agentid`, `groupid`, `transfer_action`, VIP/`queueFirst`, hours, `flowType`; what a hello may change | `rules` |
//! | reception: robot modes 1–4, hand-over, greetings, offline text | `reception` |
//! | FAQ robot: CLI, REST API, replies, another node's FAQ changes | `robot` |
//! | visits, browse trace, presence, invitations (`328xx`), their storage bounds | `visits`, `abuse` |
//! | uploads and their serving | `files`, `security` |
//! | seed 000 custom push | `push` |
//! | web push to agents' phones: subscriptions, the VAPID key, signed and encrypted pushes | `webpush` |
//! | seed 002 account API, seed 000 group list | `compat`, `site_import` |
//! | seed 000 chat entry (`/index/index/home`): identity, product, bad input | `entry` |
//! | leave a message: templates, `34000`–`34200`, the answer in the chat, bad input, limits | `leave` |
//! | rating a chat: one per chat, `admin ratings`, bad input | `rating` |
//! | CLI (`admin … --json`), rate-limit flags | `cli`, `limits` |
//! | storage: group commit, two writers, migrations (both backends make the same schema), a message the database refuses | `storage`, `group_commit`, `schema`, `abuse` |
//! | several nodes: Redis bus, shared presence, `kill -9` behind haproxy | `cluster`, `storage` |
//! | what outside probes tried (issues 8 and 22) | `security`, `abuse` |
//! | what browsers fetch: loader, headers, CSP, REST error shapes | `web`, `security` |
//! | operating: `/metrics`, `/readyz`, JSON logs | `ops` |
//! | backup under traffic, restore into an empty database | `backup` |
//! | a visitor's data: export, erase; retention (`--retain-days`) | `privacy` |
//! | fuzzed decoders: the corpus and crash repros, replayed | `fuzz_replay` |
//! | chaos: Redis/PostgreSQL restarts and freezes, a frozen node, a full disk, under traffic | `chaos` |
//! | the agent's workbench: search, notes, summaries and labels, conversations, another site sees nothing | `workbench` |

mod abuse;
mod agent;
mod backup;
mod chaos;
mod cli;
mod cluster;
mod compat;
mod entry;
mod face;
mod files;
mod fuzz_replay;
mod group_commit;
mod leave;
mod limits;
mod ops;
mod prefs;
mod privacy;
mod push;
mod rating;
mod reception;
mod restart;
mod robot;
mod roles;
mod routing;
mod rules;
mod schema;
mod security;
mod site_import;
mod storage;
mod visitor;
mod visits;
mod web;
mod webpush;
mod workbench;
