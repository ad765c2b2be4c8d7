//! ClearView screening (bootstrapping).
pub mod extract;
