//! The `frontdesk` binary: parses the command line and runs it (see `cli`).

/// mimalloc instead of glibc's malloc: glibc's malloc took ~13 % of the server's CPU on the
/// message path (`perf`, `./x bench`); with mimalloc the bench measured 5–13 % less CPU per
/// message and a little less RSS per idle visitor.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    frontdesk_server::cli::main()
}
