//! Use cases: each takes the ports it needs through [`crate::Deps`] and the acting user.
