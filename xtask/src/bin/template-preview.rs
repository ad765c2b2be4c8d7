//! Writes the SAM templates as they will be once every planned consumer is wired (their handlers
//! exist) under the given folder, laid out like the repository (template.yaml, infra/sam/*.yaml),
//! so `scripts/check-infra.sh` can lint the consumer half of the generator today.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: template-preview <output folder>");
        return ExitCode::FAILURE;
    };
    for (path, text) in xtask::infra::Infra::current(true).sam_files() {
        let full = dir.join(&path);
        let written = full.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&full, text));
        if let Err(e) = written {
            eprintln!("cannot write {}: {e}", full.display());
            return ExitCode::FAILURE;
        }
        println!("{}", full.display());
    }
    ExitCode::SUCCESS
}
