//! `clearview-outbox`: reads the local outbox, e.g. to fetch the verification code a sign-up sent.
//!
//! ```text
//! clearview-outbox [--data DIR] code EMAIL       the newest six-digit code sent to EMAIL
//! clearview-outbox [--data DIR] password EMAIL   the temporary password of EMAIL's invitation
//! clearview-outbox [--data DIR] latest EMAIL     the newest message to EMAIL
//! clearview-outbox [--data DIR] list             every message, oldest first
//! ```
//! DIR defaults to `$CLEARVIEW_DATA_DIR`, else `.clearview`.

use clearview_local::Outbox;
use clearview_local::family::OUTBOX_DIR;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: clearview-outbox [--data DIR] (code EMAIL | password EMAIL | latest EMAIL | list)";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut data = std::env::var_os("CLEARVIEW_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| ".clearview".into());
    if args.first().map(String::as_str) == Some("--data") {
        if args.len() < 2 {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        data = PathBuf::from(args.remove(1));
        args.remove(0);
    }
    let outbox = Outbox::new(&data.join(OUTBOX_DIR));
    let found = match (args.first().map(String::as_str), args.get(1)) {
        (Some("code"), Some(email)) => outbox.find_code(email),
        (Some("password"), Some(email)) => outbox.find_temporary_password(email),
        (Some("latest"), Some(email)) => outbox
            .read_latest_to(email)
            .map(|m| format!("To: {}\nSubject: {}\nFile: {}\n\n{}", m.to, m.subject, m.path.display(), m.text)),
        (Some("list"), None) => Some(
            outbox
                .files()
                .iter()
                .filter_map(|p| Outbox::read(p))
                .map(|m| format!("{}\t{}\t{}", m.path.display(), m.to, m.subject))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match found {
        Some(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("nothing found in {}", data.join(OUTBOX_DIR).display());
            ExitCode::FAILURE
        }
    }
}
