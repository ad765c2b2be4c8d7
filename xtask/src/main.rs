//! `cargo xtask gen` writes the generated files; `cargo xtask check` fails if any drifted.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    match cmd.as_str() {
        "gen" => {
            let root = xtask::root();
            for (path, contents) in xtask::generated() {
                let full = root.join(&path);
                if std::fs::read_to_string(&full).ok().as_deref() == Some(contents.as_str()) {
                    continue;
                }
                if let Some(dir) = full.parent()
                    && let Err(e) = std::fs::create_dir_all(dir)
                {
                    eprintln!("cannot create {}: {e}", dir.display());
                    return ExitCode::FAILURE;
                }
                if let Err(e) = std::fs::write(&full, contents) {
                    eprintln!("cannot write {}: {e}", full.display());
                    return ExitCode::FAILURE;
                }
                println!("wrote {}", path.display());
            }
            for path in xtask::stale() {
                if let Err(e) = std::fs::remove_file(root.join(&path)) {
                    eprintln!("cannot remove {}: {e}", path.display());
                    return ExitCode::FAILURE;
                }
                println!("removed {}", path.display());
            }
            ExitCode::SUCCESS
        }
        "check" => {
            let drift = xtask::drift();
            if drift.is_empty() {
                println!("generated files are up to date");
                ExitCode::SUCCESS
            } else {
                for p in drift {
                    eprintln!("out of date: {} (run `cargo xtask gen`)", p.display());
                }
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!("usage: cargo xtask gen | check");
            ExitCode::FAILURE
        }
    }
}
