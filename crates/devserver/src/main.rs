//! `clearview`: the whole system on one laptop. Every route on the embedded default (SQLite
//! store, local RS256 issuer, .eml outbox), data kept under `--data-dir` across restarts.

use clearview_core::ports::crypto::AesGcmSealer;
use clearview_http::App;
use clearview_http::cursor::CursorKey;
use clearview_local::{CancellationToken, LocalFamily, LocalOptions};
use rand::RngCore;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc instead of glibc's allocator: the mixed load spent ~13% of the server's CPU in
/// glibc's malloc and free (`_int_malloc`, `malloc_consolidate`); with mimalloc the server uses
/// 7–10% less CPU per request (docs/benchmarks.md, session 12).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// A 32-byte secret generated once and kept with the data (owner-only).
fn secret(data_dir: &Path, name: &str) -> Result<[u8; 32], String> {
    let path = data_dir.join("keys").join(name);
    if let Ok(s) = std::fs::read(&path)
        && let Ok(k) = <[u8; 32]>::try_from(s.as_slice())
    {
        return Ok(k);
    }
    let mut k = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut k);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&path, k).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(k)
}

#[tokio::main]
async fn main() -> ExitCode {
    // Human-readable lines; CLEARVIEW_LOG_FORMAT=json for the Lambda functions' JSON lines.
    clearview_observe::logs::init_dev("info,clearview=info");
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.data_dir) {
        eprintln!("cannot create the data folder {}: {e}", args.data_dir.display());
        return ExitCode::FAILURE;
    }
    // One process owns a data folder: its queue receipts and cron are this process's alone.
    let _lock = match lock_data_dir(&args.data_dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = format!("{}:{}", args.host, args.port);
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e} (is another `make run` still running? try PORT=8081 make run)");
            return ExitCode::FAILURE;
        }
    };
    // --port 0 takes a free port: the URLs below (and presigned uploads) use the real one.
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    let base = format!("http://{addr}");
    let Some(malware) = malware_scanner(&args.data_dir) else { return ExitCode::FAILURE };
    let options = LocalOptions { base_url: base.clone(), malware: Some(malware), ..LocalOptions::default() };
    let family = match LocalFamily::open_with(&args.data_dir, options) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot open the data folder {}: {e}", args.data_dir.display());
            return ExitCode::FAILURE;
        }
    };
    // Messages a killed or crashed predecessor held are nobody's now: make them visible again.
    match family.queues.release_abandoned().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(messages = n, "released messages a previous run held when it stopped"),
        Err(e) => {
            eprintln!("cannot recover the queues: {e}");
            return ExitCode::FAILURE;
        }
    }
    let (cursor_secret, sealing_key) =
        match (secret(&args.data_dir, "cursor.key"), secret(&args.data_dir, "sealing.key")) {
            (Ok(c), Ok(s)) => (c, s),
            (Err(e), _) | (_, Err(e)) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
    let cursors = match CursorKey::new(&cursor_secret) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let deps = family.deps().with_sealer(Arc::new(AesGcmSealer::new("local-1", &sealing_key)));
    // Every consumer of the asynchronous-work table runs in this process: queue consumers on
    // the durable embedded queues, scheduled jobs on the local cron.
    let shutdown = CancellationToken::new();
    // The consumers run on a runtime of their own (one worker thread, its own blocking
    // threads): a consumer's work (scoring a resume, writing mail, an aggregate) never holds
    // one of the request runtime's workers, so requests queue only behind requests, as in AWS,
    // where the consumers are other Lambda functions. Measured with `make bench-load`: at
    // 1,000/s the median fell from 4–6 ms to 2–3 ms (docs/benchmarks.md).
    let background = match background_runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the consumers' runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let workers = {
        let _on_background = background.enter();
        family.spawn_table(&deps, shutdown.clone())
    };
    let limits = match clearview_http::ratelimit::RateLimits::from_env() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // This process is the only one serving the data folder: rate counts are kept in memory and
    // written to the table once a second (clearview_http::ratelimit::Batched).
    let rate_counts = clearview_http::ratelimit::Batched::new();
    let (store, clock) = (deps.store.clone(), deps.clock.clone());
    let rate_writer =
        background.spawn(rate_counts.clone().run(store.clone(), clock.clone(), std::time::Duration::from_secs(1)));
    let app = App::new(deps, cursors)
        .with_rate_limits(limits)
        .with_rate_counter(clearview_http::ratelimit::Counter::Batched(rate_counts.clone()))
        .with_platform_admins_from_env();
    let router = clearview_devserver::router(app, family.verifier.clone(), family.jwks(), Some(family.blobs.clone()))
        .merge(clearview_devserver::hosted_ui::routes(
            family.identity.clone(),
            family.verifier.clone(),
            clearview_devserver::hosted_ui::HostedUiConfig::from_env(&base),
        ));
    let outbox = std::fs::canonicalize(family.mailer.dir()).unwrap_or_else(|_| family.mailer.dir().to_owned());
    println!("ClearView is running on the embedded default (no AWS account needed)");
    println!("  API       {base}/api");
    println!("  OpenAPI   {base}/openapi.json");
    println!("  JWKS      {base}/.well-known/jwks.json");
    println!(
        "  Sign-in   {base}/oauth2/authorize   (a stand-in for Cognito's hosted UI: code grant with PKCE, social stand-ins)"
    );
    println!("  Uploads   {base}/local-blobs/upload (presigned, HMAC-signed; the queue consumers run in this process)");
    println!("  Outbox    {}   (verification codes and other mail land here as .eml files)", outbox.display());
    println!("  Data      {}", args.data_dir.display());
    println!("Press Ctrl-C to stop.");
    // SIGTERM or Ctrl-C: stop accepting, let requests in flight finish, let each worker finish
    // the message in hand (the rest stay queued), then exit.
    let stopping = shutdown.clone();
    let signal = async move {
        let why = stop_signal().await;
        tracing::info!(signal = why, "shutting down: finishing requests and messages in flight");
        stopping.cancel();
    };
    // With the peer's address: anonymous requests are rate-limited per IP.
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, service).with_graceful_shutdown(signal).await;
    shutdown.cancel();
    for w in workers {
        let _ = w.await;
    }
    // The last second's rate counts.
    rate_writer.abort();
    rate_counts.flush(store.as_ref(), clock.now().unix_timestamp()).await;
    // Every worker has stopped; the runtime's threads go without waiting for idle ones.
    background.shutdown_background();
    if let Err(e) = served {
        eprintln!("server error: {e}");
        return ExitCode::FAILURE;
    }
    tracing::info!("stopped cleanly");
    ExitCode::SUCCESS
}

/// The runtime the queue consumers and the scheduled jobs run on: one worker thread of its
/// own, and its own blocking threads (the outbox's file writes), all of them giving way to the
/// request handlers (see [`clearview_local::background`]).
fn background_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("consumers")
        .on_thread_start(clearview_local::background::run_as_background_thread)
        .enable_all()
        .build()
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM; names the one that came.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Takes the data folder's lock file for this process's lifetime (released by the OS when the
/// process ends, however it ends).
fn lock_data_dir(dir: &Path) -> Result<std::fs::File, String> {
    let path = dir.join("clearview.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(format!(
            "another clearview is using the data folder {} (stop it first, or pass another --data-dir)",
            dir.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

/// ClamAV over the system signature database (or `CLEARVIEW_CLAMAV_DB`). Without one (Debian's
/// `freshclam` downloads it, which needs the internet) uploads are scanned with the development
/// signatures only (the EICAR test file and the ClearView test marker), and the start-up log
/// says so: on such a laptop real malware would not be found.
fn malware_scanner(data_dir: &std::path::Path) -> Option<clearview_local::ClamAv> {
    use clearview_local::ClamAv;
    use clearview_local::malware::{CLAMSCAN_ENV, DATABASE_ENV, SYSTEM_DATABASE};
    let scanner = match ClamAv::from_env() {
        Some(c) => {
            tracing::info!(database = %c.database().display(), "uploads are scanned for malware by clamscan");
            c
        }
        None => match ClamAv::write_test_database(&data_dir.join("clamav")) {
            Ok(db) => {
                tracing::warn!(
                    database = %db.display(),
                    "no ClamAV virus database in {SYSTEM_DATABASE} (run freshclam, or set {DATABASE_ENV}): uploads \
                     are scanned with the development signatures only (the EICAR test file and the ClearView \
                     test marker); real malware would not be found"
                );
                ClamAv::new(db)
            }
            Err(e) => {
                eprintln!("cannot write the development malware signatures under {}: {e}", data_dir.display());
                return None;
            }
        },
    };
    let bin = std::env::var_os(CLAMSCAN_ENV).filter(|v| !v.is_empty()).unwrap_or_else(|| "clamscan".into());
    if std::process::Command::new(&bin).arg("--version").output().is_err() {
        tracing::warn!(
            "clamscan is not installed (Debian's clamav: make test-deps): uploads wait in the parse queue, \
             retried and then dead-lettered with that reason, and are never taken for clean"
        );
    }
    Some(scanner)
}
