//! `clearview`: the whole system on one laptop. Every route on the embedded default (SQLite
//! store, local RS256 issuer, .eml outbox), data kept under `--data-dir` across restarts.

use clearview_http::App;
use clearview_http::cursor::CursorKey;
use clearview_local::LocalFamily;
use rand::RngCore;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

struct Args {
    data_dir: PathBuf,
    port: u16,
    host: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { data_dir: PathBuf::from(".clearview-data"), port: 8080, host: "127.0.0.1".into() };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--data-dir" => args.data_dir = PathBuf::from(value("--data-dir")?),
            "--port" => args.port = value("--port")?.parse().map_err(|_| "--port must be a number".to_owned())?,
            "--host" => args.host = value("--host")?,
            "-h" | "--help" => {
                return Err("usage: clearview [--data-dir DIR] [--port 8080] [--host 127.0.0.1]".into());
            }
            other => return Err(format!("unknown argument {other}; try --help")),
        }
    }
    Ok(args)
}

/// The cursor-sealing secret, generated once and kept with the data.
fn cursor_key(data_dir: &Path) -> Result<CursorKey, String> {
    let path = data_dir.join("cursor.key");
    let secret = match std::fs::read(&path) {
        Ok(s) if s.len() >= 32 => s,
        _ => {
            let mut s = vec![0u8; 32];
            rand::thread_rng().fill_bytes(&mut s);
            std::fs::write(&path, &s).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            s
        }
    };
    CursorKey::new(&secret)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,clearview=info".into()),
        )
        .init();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let family = match LocalFamily::open(&args.data_dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot open the data folder {}: {e}", args.data_dir.display());
            return ExitCode::FAILURE;
        }
    };
    let cursors = match cursor_key(&args.data_dir) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let app = App::new(family.deps(), cursors);
    let router = clearview_devserver::router(app, family.verifier.clone(), family.jwks());
    let addr = format!("{}:{}", args.host, args.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (is another `make run` still running? try PORT=8081 make run)");
            return ExitCode::FAILURE;
        }
    };
    let base = format!("http://{addr}");
    let outbox = std::fs::canonicalize(family.mailer.dir()).unwrap_or_else(|_| family.mailer.dir().to_owned());
    println!("ClearView is running on the embedded default (no AWS account needed)");
    println!("  API       {base}/api");
    println!("  OpenAPI   {base}/openapi.json");
    println!("  JWKS      {base}/.well-known/jwks.json");
    println!("  Outbox    {}   (verification codes and other mail land here as .eml files)", outbox.display());
    println!("  Data      {}", args.data_dir.display());
    println!("Press Ctrl-C to stop.");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
        eprintln!("server error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
