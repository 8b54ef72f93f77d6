//! The `frontdesk` binary: parses the command line and runs it (see `cli`); a packaged build
//! first reads its env file.

/// mimalloc instead of glibc's malloc: glibc's malloc took ~13 % of the server's CPU on the
/// message path (`perf`, `./x bench`); with mimalloc the bench measured 5–13 % less CPU per
/// message and a little less RSS per idle visitor.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // The Debian package (`./x package`) builds with FRONTDESK_ENV_FILE set to its env file
    // (/etc/frontdesk/frontdesk.env), so `frontdesk admin` uses the service's database.
    if let Some(file) = option_env!("FRONTDESK_ENV_FILE") {
        if let Err(code) = frontdesk_server::cli::packaged(file) {
            return code;
        }
    }
    frontdesk_server::cli::main()
}
