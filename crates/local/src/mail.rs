//! `OutboxMailer`: mail as RFC 5322 `.eml` files in an outbox folder, and `Outbox` to read them back.
//!
//! Each message is written to a temporary name and renamed, so a reader never sees half a file.
//! A `dedupe_key` is claimed by a line appended (and synced) to a claims log before the mail is
//! written, so a redelivered event sends nothing twice, even across restarts. (Outboxes from
//! before the log kept a marker file per key in the same folder; those still count.)

use clearview_core::ports::clock::Clock;
use clearview_core::ports::mail::{MailError, Mailer, OutgoingEmail};
use lettre::message::{Mailbox, Message, MultiPart, SinglePart, header::ContentType};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use time::format_description::FormatItem;
use time::macros::format_description;

const STAMP: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:6]Z");

/// Where dedupe claims live, inside the outbox (hidden from `*.eml` listings).
const SENT_DIR: &str = ".sent";
/// The claims log in [`SENT_DIR`]: a line `<sha256 of the key> <message id> <file>` per claim,
/// `<sha256> - -` when a failed write gave the key back. One append per mail, where a marker
/// file per key cost a file creation (an inode) each.
const CLAIMS_LOG: &str = "claims.log";

/// The dedupe keys claimed so far (by digest: message id and file), and the log they go to.
struct Claims {
    log: fs::File,
    by_digest: HashMap<String, (String, String)>,
}

impl Claims {
    fn open(sent: &Path) -> std::io::Result<Self> {
        let mut by_digest = HashMap::new();
        // Markers from before the log: a file per key holding "<id>\n<file>".
        for entry in fs::read_dir(sent)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                let claimed = fs::read_to_string(entry.path())?;
                let (id, file) = claimed.split_once('\n').unwrap_or((claimed.as_str(), ""));
                by_digest.insert(name, (id.to_owned(), file.to_owned()));
            }
        }
        let path = sent.join(CLAIMS_LOG);
        let mut torn = false;
        if let Ok(text) = fs::read_to_string(&path) {
            torn = !text.is_empty() && !text.ends_with('\n');
            // A line cut short by a crash has fewer than three fields and is skipped: its mail
            // was never written (the claim is synced before the mail), so nothing is lost.
            for line in text.lines() {
                let mut f = line.split(' ');
                let (Some(digest), Some(id), Some(file), None) = (f.next(), f.next(), f.next(), f.next()) else {
                    continue;
                };
                if id == "-" {
                    by_digest.remove(digest);
                } else {
                    by_digest.insert(digest.to_owned(), (id.to_owned(), file.to_owned()));
                }
            }
        }
        let mut log = fs::OpenOptions::new().create(true).append(true).open(&path)?;
        if torn {
            // End the torn line, so the next claim starts a line of its own.
            log.write_all(b"\n")?;
        }
        Ok(Self { log, by_digest })
    }

    /// Claims `digest` for the mail `id` in `file`. The line is on disk before this returns: a
    /// claim must outlive a crash before its mail exists.
    fn claim(&mut self, digest: &str, id: &str, file: &str) -> std::io::Result<()> {
        self.append(digest, id, file)?;
        self.by_digest.insert(digest.to_owned(), (id.to_owned(), file.to_owned()));
        Ok(())
    }

    /// Gives `digest` back (its mail could not be written), so a retry can send it.
    fn give_back(&mut self, digest: &str) {
        self.by_digest.remove(digest);
        if let Err(e) = self.append(digest, "-", "-") {
            // Only a restart would still see the claim, and it then writes that mail.
            tracing::warn!(error = %e, "could not log a claim given back");
        }
    }

    fn append(&mut self, digest: &str, id: &str, file: &str) -> std::io::Result<()> {
        self.log.write_all(format!("{digest} {id} {file}\n").as_bytes())?;
        self.log.sync_data()
    }
}

/// Writes each message as `<outbox>/<timestamp>-<id>.eml`. Cheap to clone.
#[derive(Clone)]
pub struct OutboxMailer {
    dir: PathBuf,
    from: Mailbox,
    clock: Arc<dyn Clock>,
    claims: Arc<Mutex<Claims>>,
}

impl std::fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMailer").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn io_err(e: impl std::fmt::Display) -> MailError {
    MailError::Unavailable(format!("outbox: {e}"))
}

impl OutboxMailer {
    /// An outbox in `dir` (created if needed), sending from `ClearView <no-reply@clearview.local>`.
    pub fn open(dir: &Path, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        fs::create_dir_all(dir.join(SENT_DIR))?;
        let claims = Arc::new(Mutex::new(Claims::open(&dir.join(SENT_DIR))?));
        let from =
            Mailbox::new(Some("ClearView".into()), "no-reply@clearview.local".parse().map_err(std::io::Error::other)?);
        Ok(Self { dir: dir.to_owned(), from, clock, claims })
    }

    /// Sends from this address instead.
    pub fn with_from(mut self, from: Mailbox) -> Self {
        self.from = from;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A reader over the same folder.
    pub fn outbox(&self) -> Outbox {
        Outbox::new(&self.dir)
    }

    fn build(&self, email: &OutgoingEmail, message_id: &str) -> Result<Vec<u8>, MailError> {
        // An address, not a display-name mailbox: the recipient is a bare address (name@domain).
        let to = Mailbox::new(
            None,
            email
                .to
                .parse::<lettre::Address>()
                .map_err(|e| MailError::Rejected(format!("recipient {:?}: {e}", email.to)))?,
        );
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{message_id}@clearview.local>")))
            .date(self.clock.now().into());
        let message = match (&email.html_body, &email.calendar) {
            (None, None) => {
                builder.singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text_body.clone()))
            }
            (Some(html), None) => {
                builder.multipart(MultiPart::alternative_plain_html(email.text_body.clone(), html.clone()))
            }
            // An invite: text, HTML and the calendar object as alternatives, which is what mail
            // clients look for to offer "add to calendar".
            (html, Some(cal)) => {
                let media = ContentType::parse(&format!("text/calendar; method={}; charset=utf-8", cal.method))
                    .map_err(|e| MailError::Rejected(format!("calendar part: {e}")))?;
                let mut parts = MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(email.text_body.clone()));
                if let Some(html) = html {
                    parts = parts.singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone()));
                }
                builder.multipart(parts.singlepart(SinglePart::builder().header(media).body(cal.ics.clone())))
            }
        }
        .map_err(|e| MailError::Rejected(e.to_string()))?;
        Ok(message.formatted())
    }

    fn send_blocking(&self, email: &OutgoingEmail) -> Result<String, MailError> {
        let fresh_id = uuid::Uuid::now_v7().to_string();
        let stamp = self.clock.now().format(STAMP).map_err(io_err)?;
        let fresh_name = format!("{stamp}-{fresh_id}.eml");
        // A dedupe key is claimed by a line naming the message id and file it sends. If the
        // key is claimed and its file exists, the mail was sent: answer its id, send nothing.
        // If it is claimed without its file, the sender stopped between the two (killed,
        // crashed): write that same message now, so the mail goes out exactly once.
        let (message_id, name, claimed) = match &email.dedupe_key {
            Some(key) => {
                let digest = hex(&Sha256::digest(key.as_bytes()));
                let mut claims = self.claims.lock().map_err(|_| io_err("claims lock poisoned"))?;
                match claims.by_digest.get(&digest) {
                    Some((id, file)) if file.is_empty() || self.dir.join(file).exists() => {
                        tracing::debug!(key, "mail already sent; not sending again");
                        return Ok(id.clone());
                    }
                    Some((id, file)) => {
                        tracing::warn!(
                            key,
                            file,
                            "mail claimed but never written (the sender stopped); writing it now"
                        );
                        (id.clone(), file.clone(), None)
                    }
                    None => {
                        claims.claim(&digest, &fresh_id, &fresh_name).map_err(io_err)?;
                        (fresh_id, fresh_name, Some(digest))
                    }
                }
            }
            None => (fresh_id, fresh_name, None),
        };
        let bytes = self.build(email, &message_id)?;
        let written = (|| {
            let tmp = self.dir.join(format!(".{name}.tmp"));
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, self.dir.join(&name))
        })();
        if let Err(e) = written {
            // Give the key back so a retry can send it.
            if let Some(digest) = claimed
                && let Ok(mut claims) = self.claims.lock()
            {
                claims.give_back(&digest);
            }
            return Err(io_err(e));
        }
        tracing::info!(to = %email.to, subject = %email.subject, file = %name, "mail written to outbox");
        Ok(message_id)
    }
}

#[async_trait::async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, email: OutgoingEmail) -> Result<String, MailError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.send_blocking(&email)).await.map_err(io_err)?
    }

    /// Deletes every `.eml` file addressed to `recipient` or mentioning the person (the outbox
    /// is the embedded default's mail queue and archive: an erasure leaves none of it).
    async fn forget(&self, recipient: &str, mentions: &[String]) -> Result<usize, MailError> {
        let outbox = self.outbox();
        let want = recipient.trim().to_ascii_lowercase();
        let mentions: Vec<String> =
            mentions.iter().map(|m| m.trim().to_lowercase()).filter(|m| m.chars().count() >= 3).collect();
        tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for m in outbox.files().iter().filter_map(|p| Outbox::read(p)) {
                let text =
                    format!("{}\n{}\n{}", m.subject, m.text, m.html.as_deref().unwrap_or_default()).to_lowercase();
                if !addresses(&m.to).any(|a| a == want) && !mentions.iter().any(|x| text.contains(x.as_str())) {
                    continue;
                }
                match fs::remove_file(&m.path) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(e)),
                }
            }
            Ok(removed)
        })
        .await
        .map_err(io_err)?
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A message read back from the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    pub path: PathBuf,
    pub to: String,
    pub subject: String,
    /// The decoded text/plain body.
    pub text: String,
    pub html: Option<String>,
}

impl ParsedMail {
    /// The first run of exactly six digits in the text (a verification or reset code).
    pub fn code(&self) -> Option<String> {
        let b = self.text.as_bytes();
        let is_digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
        (0..b.len())
            .find(|&i| (i == 0 || !is_digit(i - 1)) && (i..i + 6).all(is_digit) && !is_digit(i + 6))
            .map(|i| self.text[i..i + 6].to_owned())
    }

    /// The rest of the first line that starts with `label` (trimmed).
    pub fn value_after(&self, label: &str) -> Option<String> {
        self.text.lines().find_map(|l| l.trim().strip_prefix(label)).map(|v| v.trim().to_owned())
    }
}

/// Reads the outbox folder: for tests, the README walkthrough and the dev server's mail view.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    pub fn new(dir: &Path) -> Self {
        Self { dir: dir.to_owned() }
    }

    /// Every `.eml` file, oldest first (names start with a timestamp, then a UUIDv7).
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
    }

    /// Parses one `.eml` file.
    pub fn read(path: &Path) -> Option<ParsedMail> {
        use mailparse::MailHeaderMap;
        let bytes = fs::read(path).ok()?;
        let mail = mailparse::parse_mail(&bytes).ok()?;
        let to = mail.headers.get_first_value("To").unwrap_or_default();
        let subject = mail.headers.get_first_value("Subject").unwrap_or_default();
        let part = |mime: &str| {
            std::iter::once(&mail)
                .chain(mail.subparts.iter())
                .find(|p| p.ctype.mimetype == mime)
                .and_then(|p| p.get_body().ok())
        };
        let text = part("text/plain").unwrap_or_default();
        let html = part("text/html");
        Some(ParsedMail { path: path.to_owned(), to, subject, text, html })
    }

    /// Every message to this address, oldest first.
    pub fn messages_to(&self, email: &str) -> Vec<ParsedMail> {
        let mut newest_first: Vec<ParsedMail> = self.newest_to(email).collect();
        newest_first.reverse();
        newest_first
    }

    /// Messages to this address, newest first, parsed lazily (the outbox only grows).
    fn newest_to<'a>(&self, email: &'a str) -> impl Iterator<Item = ParsedMail> + 'a {
        let want = email.trim().to_ascii_lowercase();
        self.files()
            .into_iter()
            .rev()
            .filter_map(|p| Self::read(&p))
            .filter(move |m| addresses(&m.to).any(|a| a == want))
    }

    /// The newest message to this address.
    pub fn read_latest_to(&self, email: &str) -> Option<ParsedMail> {
        self.newest_to(email).next()
    }

    /// The six-digit code in the newest message to this address that carries one.
    pub fn find_code(&self, email: &str) -> Option<String> {
        self.newest_to(email).find_map(|m| m.code())
    }

    /// The temporary password in the newest invitation to this address.
    pub fn find_temporary_password(&self, email: &str) -> Option<String> {
        self.newest_to(email).find_map(|m| m.value_after(crate::identity::TEMPORARY_PASSWORD_LABEL))
    }
}

/// The bare addresses in a To header (`Name <a@b>` or `a@b`, comma-separated), lower-cased.
fn addresses(header: &str) -> impl Iterator<Item = String> + '_ {
    header.split(',').map(|a| {
        let a = a.trim();
        let bare = match (a.rfind('<'), a.rfind('>')) {
            (Some(l), Some(r)) if l < r => &a[l + 1..r],
            _ => a,
        };
        bare.trim().to_ascii_lowercase()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clearview_core::ports::clock::SystemClock;

    fn mail(to: &str, text: &str, key: Option<&str>) -> OutgoingEmail {
        OutgoingEmail {
            to: to.into(),
            subject: "Héllo — subject".into(),
            text_body: text.into(),
            html_body: None,
            dedupe_key: key.map(Into::into),
            calendar: None,
        }
    }

    #[tokio::test]
    async fn sent_mail_reads_back_with_decoded_subject_and_text() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        m.send(mail("Ana@Example.com", "Your code is 123456.\nThanks — ClearView", None)).await.unwrap();
        let got = m.outbox().read_latest_to("ana@example.com").unwrap();
        assert_eq!(got.subject, "Héllo — subject");
        assert!(got.text.contains("Thanks — ClearView"));
        assert_eq!(got.code().as_deref(), Some("123456"));
        assert_eq!(m.outbox().find_code("ana@example.com").as_deref(), Some("123456"));
    }

    #[tokio::test]
    async fn html_alternative_keeps_the_text_part() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        let mut e = mail("b@example.com", "plain 654321", None);
        e.html_body = Some("<p>html</p>".into());
        m.send(e).await.unwrap();
        let got = m.outbox().read_latest_to("b@example.com").unwrap();
        assert_eq!(got.text.trim(), "plain 654321");
        assert!(got.html.unwrap().contains("<p>html</p>"));
    }

    #[tokio::test]
    async fn same_dedupe_key_sends_once_even_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        let first = m.send(mail("c@example.com", "x", Some("event-1"))).await.unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        let again = m.send(mail("c@example.com", "x", Some("event-1"))).await.unwrap();
        assert_eq!(first, again);
        m.send(mail("c@example.com", "x", Some("event-2"))).await.unwrap();
        assert_eq!(m.outbox().messages_to("c@example.com").len(), 2);
    }

    /// A sender killed after claiming the key but before writing the mail: the retry writes
    /// that same mail (same id), once.
    #[tokio::test]
    async fn a_claim_without_its_mail_is_completed_by_the_retry() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        let first = m.send(mail("d@example.com", "x", Some("event-9"))).await.unwrap();
        let written = m.outbox().messages_to("d@example.com");
        assert_eq!(written.len(), 1);
        std::fs::remove_file(&written[0].path).unwrap();
        let again = m.send(mail("d@example.com", "x", Some("event-9"))).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(m.outbox().messages_to("d@example.com").len(), 1);
        m.send(mail("d@example.com", "x", Some("event-9"))).await.unwrap();
        assert_eq!(m.outbox().messages_to("d@example.com").len(), 1);
    }

    /// An outbox from before the claims log kept a marker file per key: those keys stay sent.
    #[tokio::test]
    async fn a_key_claimed_by_an_old_marker_file_is_not_sent_again() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        let first = m.send(mail("e@example.com", "x", None)).await.unwrap();
        let file = m.outbox().messages_to("e@example.com")[0].path.file_name().unwrap().to_string_lossy().into_owned();
        let marker = dir.path().join(SENT_DIR).join(hex(&Sha256::digest(b"event-old")));
        std::fs::write(&marker, format!("{first}\n{file}")).unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        assert_eq!(m.send(mail("e@example.com", "x", Some("event-old"))).await.unwrap(), first);
        assert_eq!(m.outbox().messages_to("e@example.com").len(), 1);
    }

    /// A claim line cut short by a crash is not a claim: the mail it was for was never written.
    #[tokio::test]
    async fn a_torn_last_claim_line_does_not_block_the_mail() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        m.send(mail("f@example.com", "x", Some("event-1"))).await.unwrap();
        drop(m);
        let log = dir.path().join(SENT_DIR).join(CLAIMS_LOG);
        let digest = hex(&Sha256::digest(b"event-2"));
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(format!("{digest} 0190").as_bytes()).unwrap();
        drop(f);
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        m.send(mail("f@example.com", "x", Some("event-1"))).await.unwrap();
        m.send(mail("f@example.com", "x", Some("event-2"))).await.unwrap();
        assert_eq!(m.outbox().messages_to("f@example.com").len(), 2);
        // The claim made after the torn line holds across another restart.
        drop(m);
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        m.send(mail("f@example.com", "x", Some("event-2"))).await.unwrap();
        assert_eq!(m.outbox().messages_to("f@example.com").len(), 2);
    }

    #[tokio::test]
    async fn bad_recipient_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let m = OutboxMailer::open(dir.path(), Arc::new(SystemClock)).unwrap();
        assert!(matches!(m.send(mail("not an address", "x", None)).await, Err(MailError::Rejected(_))));
    }

    #[test]
    fn code_must_be_exactly_six_digits() {
        let p = |t: &str| ParsedMail {
            path: PathBuf::new(),
            to: String::new(),
            subject: String::new(),
            text: t.into(),
            html: None,
        };
        assert_eq!(p("order 1234567 code 000123").code().as_deref(), Some("000123"));
        assert_eq!(p("no code 12345").code(), None);
    }
}
