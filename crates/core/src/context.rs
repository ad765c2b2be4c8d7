//! What the audit trail records of the request a change came from: the caller's address and
//! user agent. The HTTP layer runs each handler inside [`scope`]; work outside a request (queue
//! consumers, schedules) has none.

/// The caller of the request being served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

tokio::task_local! {
    static CLIENT: Client;
}

/// Runs `f` as the request of `client`.
pub async fn scope<F: std::future::Future>(client: Client, f: F) -> F::Output {
    CLIENT.scope(client, f).await
}

/// The caller of the request being served, if any.
pub fn current() -> Option<Client> {
    CLIENT.try_with(Client::clone).ok()
}
