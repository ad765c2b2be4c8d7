//! The Lambda bootstrap of every ClearView function. Each function of the stack (one per API
//! route, one per consumer, each with its own role, trigger, log group and alarm) runs this same
//! binary; its `Handler` setting, which the `provided.al2023` runtime passes as `_HANDLER`,
//! names the route or consumer it serves (`jobs-get`, `parse`, `reports`).

#[tokio::main]
async fn main() -> Result<(), clearview_functions::Error> {
    let handler = clearview_functions::handler_name()?;
    clearview_functions::run(&handler).await
}
